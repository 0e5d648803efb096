// The Bot API over io.fetch (https://core.telegram.org/bots/api, "Making requests"): methods at
// <root>/bot<token>/<method>, answers in the envelope {ok, result} / {ok: false, error_code,
// description, parameters}. Failures become RemoteError kinds. The token is part of every URL,
// so no URL is ever logged or put in an error message.
import { HttpError } from "../social/http";
import { type LinkIO, RemoteError } from "../types";

export const DEFAULT_API_ROOT = "https://api.telegram.org";

/** Server configuration (tests point it at the fake), never something a user types. */
export const apiRoot = (io: LinkIO) => (io.config("TELEGRAM_API_ROOT") ?? DEFAULT_API_ROOT).replace(/\/+$/, "");

/** What the Bot API answered when it refused: an HttpError with its status. */
export class TelegramError extends HttpError {}

type Envelope<T> = { ok: true; result: T } | { ok: false; error_code?: number; description?: string; parameters?: { retry_after?: number; migrate_to_chat_id?: number } };

/** Calls a method with JSON parameters, or a FormData for uploads. */
export async function call<T>(io: LinkIO, token: string, method: string, params: Record<string, unknown> | FormData = {}, timeoutMs = 30_000): Promise<T> {
  const body = params instanceof FormData ? params : JSON.stringify(params);
  const headers: Record<string, string> = params instanceof FormData ? {} : { "content-type": "application/json" };
  const res = await reach(io, `${apiRoot(io)}/bot${token}/${method}`, { method: "POST", headers, body, timeoutMs });
  let envelope: Envelope<T>;
  try {
    envelope = await res.json();
  } catch {
    // A proxy's HTML page: 5xx is Telegram being down, anything else is not the Bot API.
    throw new TelegramError(res.status >= 500 ? "transient" : "permanent", `${method}: Telegram answered ${res.status}`, res.status);
  }
  if (envelope.ok) return envelope.result;
  throw failure(method, res.status, envelope);
}

/** A file by its file_path, as getFile gave it (valid for an hour, at most 20 MB). */
export async function downloadFile(io: LinkIO, token: string, path: string): Promise<{ bytes: Uint8Array; mime: string | null }> {
  const res = await reach(io, `${apiRoot(io)}/file/bot${token}/${path.split("/").map(encodeURIComponent).join("/")}`, { timeoutMs: 60_000 });
  if (!res.ok) throw new TelegramError(res.status >= 500 ? "transient" : "permanent", `file download: Telegram answered ${res.status}`, res.status);
  return { bytes: new Uint8Array(await res.arrayBuffer()), mime: res.headers.get("content-type") };
}

async function reach(io: LinkIO, url: string, init: RequestInit & { timeoutMs: number }): Promise<Response> {
  try {
    return await io.fetch(url, init);
  } catch (err) {
    if (err instanceof RemoteError) throw err; // the host guard
    const why = (err as Error).name === "TimeoutError" ? "did not answer in time" : "cannot be reached";
    throw new TelegramError("transient", `the Telegram Bot API ${why}`, 0);
  }
}

function failure(method: string, status: number, e: Extract<Envelope<unknown>, { ok: false }>): TelegramError {
  const code = e.error_code ?? status;
  const said = e.description ?? `error ${code}`;
  const what = `${method}: ${said}`;
  if (code === 429) return new TelegramError("rate_limited", what, code, (e.parameters?.retry_after ?? 5) * 1000);
  // 401 is a revoked or unknown token; 404 on a method is a token that is not shaped like one.
  if (code === 401 || code === 404) return new TelegramError("auth", what, code);
  if (code >= 500) return new TelegramError("transient", what, code);
  if (e.parameters?.migrate_to_chat_id) return new TelegramError("permanent", `${what} (the group is now the supergroup ${e.parameters.migrate_to_chat_id})`, code);
  return new TelegramError("permanent", what, code);
}
