// XRPC over HTTP as atproto defines it (atproto.com/specs/xrpc): queries are GETs with
// params, procedures POSTs with a JSON (or raw blob) body, errors `{error, message}` with
// the status; the PDS sends its rate limit in RateLimit-* headers.
import { z } from "zod";
import { errorFor, HttpError, originOf, send, type Throttle } from "../social/http";
import type { LinkIO } from "../types";

const origin = z.string().trim().max(253).refine((s) => {
  try {
    originOf(s);
    return true;
  } catch {
    return false;
  }
}, "an https address, without a path");

export const credentials = z.strictObject({
  /** A handle ("alice.bsky.social"), a DID, or the account's email. */
  identifier: z.string().trim().min(3).max(253),
  /** An app password (Settings → Privacy and security → App passwords), not the account's own. */
  appPassword: z.string().trim().min(4).max(128),
  /** The PDS or entryway to log in at; https://bsky.social unless given. */
  service: origin.optional(),
});
export type Creds = z.infer<typeof credentials>;

/** An XRPC error: `error` is the Lexicon's name for it (ExpiredToken, RecordNotFound, ...). */
export class XrpcError extends HttpError {
  constructor(
    kind: HttpError["kind"],
    message: string,
    status: number,
    readonly error: string,
    retryAfterMs?: number,
  ) {
    super(kind, message, status, retryAfterMs);
  }
}

export type Call = {
  params?: Record<string, string | string[] | number | undefined>;
  input?: unknown;
  /** A raw body (uploadBlob). */
  bytes?: { data: Uint8Array; type: string };
  /** A procedure without input (refreshSession). */
  post?: boolean;
  token?: string;
  throttle?: Throttle;
  timeoutMs?: number;
};

export async function xrpc<T>(io: LinkIO, server: string, nsid: string, call: Call = {}): Promise<T> {
  const url = new URL(`/xrpc/${nsid}`, server);
  for (const [k, v] of Object.entries(call.params ?? {})) {
    if (v === undefined) continue;
    for (const one of [v].flat()) url.searchParams.append(k, String(one));
  }
  const headers: Record<string, string> = { Accept: "application/json" };
  if (call.token) headers.Authorization = `Bearer ${call.token}`;
  let body: BodyInit | undefined;
  if (call.input !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(call.input);
  } else if (call.bytes) {
    headers["Content-Type"] = call.bytes.type;
    body = call.bytes.data as Uint8Array<ArrayBuffer>;
  }
  const method = body !== undefined || call.post ? "POST" : "GET";
  const res = await send(io, url, { method, headers, body, timeoutMs: call.timeoutMs });
  call.throttle?.see(res);
  if (!res.ok) throw await failed(res, nsid);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

async function failed(res: Response, nsid: string): Promise<XrpcError> {
  let error = `HTTP${res.status}`;
  let message = "";
  try {
    const body = JSON.parse(await res.text()) as { error?: string; message?: string };
    error = body.error ?? error;
    message = body.message ?? "";
  } catch {
    // A proxy's empty or HTML answer when the PDS is down: the status says enough.
  }
  const base = errorFor(res, `Bluesky ${nsid}: ${message || error}`);
  // The PDS answers an expired or unverifiable token with 400: that is about the session.
  const kind = error === "ExpiredToken" || error === "InvalidToken" ? "auth" : base.kind;
  return new XrpcError(kind, base.message, res.status, error, base.retryAfterMs);
}
