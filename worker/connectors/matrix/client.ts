// A small client for the Matrix client-server API over io.fetch (no SDK: the official one is
// about half a megabyte gzipped and brings encryption we do not use). JSON in and out, the
// access token as a Bearer header, and the spec's standard error response ({errcode, error})
// turned into RemoteError kinds, so callers only decide what a kind means for them.
import { type LinkIO, RemoteError, type SendResult } from "../types";

export const CS = "/_matrix/client/v3";

/** What the homeserver refused, with the spec's fields kept for the callers that care. */
export class MatrixError extends RemoteError {
  constructor(
    kind: RemoteError["kind"],
    message: string,
    readonly status: number,
    readonly errcode?: string,
    readonly softLogout = false,
    retryAfterMs?: number,
  ) {
    super(kind, message, retryAfterMs);
  }
}

/** Thrown when our own close() aborted a request: not a failure of the homeserver. */
export class Aborted extends Error {}

export type Call = {
  method?: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
  bytes?: { data: Uint8Array; mime: string };
  /** Default true; login, discovery and /versions go without a token. */
  auth?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
};

/** When a homeserver says to wait but not for how long. */
const DEFAULT_RETRY_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 30_000;

export class Homeserver {
  /** Called once per request on M_UNKNOWN_TOKEN with soft_logout: a new token, or undefined to give up. */
  renew?: () => Promise<string | undefined>;

  constructor(
    private io: LinkIO,
    readonly base: string,
    public token?: string,
  ) {}

  async json<T>(path: string, call: Call = {}): Promise<T> {
    const res = await this.request(path, call);
    try {
      return (await res.json()) as T;
    } catch {
      throw new MatrixError("transient", `${path.split("?")[0]} answered ${res.status} with a body that is not JSON`, res.status);
    }
  }

  /** A 2xx response; everything else is thrown as a MatrixError (or Aborted). */
  async request(path: string, call: Call = {}): Promise<Response> {
    const res = await this.send(path, call);
    if (res.ok) return res;
    const err = await failure(res, path);
    if (err.softLogout && this.renew && call.auth !== false) {
      const token = await this.renew();
      if (token) {
        this.token = token;
        const again = await this.send(path, call);
        if (again.ok) return again;
        throw await failure(again, path);
      }
    }
    throw err;
  }

  private async send(path: string, call: Call): Promise<Response> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    if (call.auth !== false && this.token) headers.authorization = `Bearer ${this.token}`;
    let body: BodyInit | undefined;
    if (call.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(call.json);
    } else if (call.bytes) {
      headers["content-type"] = call.bytes.mime;
      body = call.bytes.data as Uint8Array<ArrayBuffer>;
    }
    const timeoutMs = call.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // node-io drops its own timeout when given a signal, so the timeout always rides along here.
    const signal = call.signal ? AbortSignal.any([call.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    try {
      return await this.io.fetch(url, { method: call.method ?? (body === undefined ? "GET" : "POST"), headers, body, signal, timeoutMs });
    } catch (err) {
      if (err instanceof RemoteError) throw err; // the host guard refused: permanent
      if (call.signal?.aborted) throw new Aborted();
      const why = (err as Error).name === "TimeoutError" ? "did not answer in time" : "cannot be reached";
      throw new MatrixError("transient", `the homeserver ${new URL(this.base).host} ${why}`, 0);
    }
  }
}

/** The spec's error shape → a kind: 429 waits, 401 is the token, 5xx and proxy pages are transient. */
export async function failure(res: Response, path: string): Promise<MatrixError> {
  const text = await res.text().catch(() => "");
  let body: { errcode?: unknown; error?: unknown; soft_logout?: unknown; retry_after_ms?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {}
  const errcode = typeof body?.errcode === "string" ? body.errcode : undefined;
  const said = typeof body?.error === "string" ? body.error : "";
  const what = `${path.split("?")[0]}: ${res.status}${errcode ? ` ${errcode}` : ""}${said ? ` (${said})` : ""}`;
  if (res.status === 429 || errcode === "M_LIMIT_EXCEEDED") {
    // retry_after_ms is deprecated (v1.10) in favour of Retry-After; servers still send both.
    const ms = typeof body.retry_after_ms === "number" ? body.retry_after_ms : retryAfter(res.headers.get("retry-after"));
    return new MatrixError("rate_limited", what, res.status, errcode, false, ms ?? DEFAULT_RETRY_MS);
  }
  if (errcode === "M_UNKNOWN_TOKEN" || errcode === "M_MISSING_TOKEN" || errcode === "M_USER_DEACTIVATED" || res.status === 401) {
    return new MatrixError("auth", what, res.status, errcode, body.soft_logout === true);
  }
  if (res.status >= 500 || !errcode) return new MatrixError(res.status >= 500 ? "transient" : "permanent", what, res.status, errcode);
  return new MatrixError("permanent", what, res.status, errcode);
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3). */
export function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export const enc = encodeURIComponent;

/** A RemoteError as the SendResult the outbox reads. */
export function sendFailure(err: unknown): SendResult {
  if (!(err instanceof MatrixError)) {
    const kind = (err as RemoteError)?.kind;
    if (kind === "permanent") return { ok: false, code: "remote_refused", message: (err as Error).message, retryable: false };
    return { ok: false, code: "internal", message: (err as Error)?.message ?? String(err), retryable: false };
  }
  switch (err.kind) {
    case "rate_limited":
      return { ok: false, code: "rate_limited", message: err.message, retryable: true, retryAfterMs: err.retryAfterMs };
    case "transient":
      return { ok: false, code: "remote_unavailable", message: err.message, retryable: true };
    case "auth":
      return { ok: false, code: "bad_credentials", message: err.message, retryable: false };
    case "permanent":
      return { ok: false, code: "remote_refused", message: err.message, retryable: false };
  }
}
