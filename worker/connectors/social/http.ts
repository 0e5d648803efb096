// HTTP plumbing the poll connectors share: what a failed request means (RemoteError kinds),
// how long a server asks us to wait (Retry-After; X-RateLimit-* as Rack::Attack-style
// servers send them; RateLimit-* as in the IETF draft), and a failed send as a SendResult.
// No network is named here: the connectors that use it say which headers their server sends.
import type { LinkIO, SendResult } from "../types";
import { RemoteError } from "../types";

/** A RemoteError that remembers the HTTP status it came from (0: no answer at all). */
export class HttpError extends RemoteError {
  constructor(
    kind: RemoteError["kind"],
    message: string,
    readonly status: number,
    retryAfterMs?: number,
  ) {
    super(kind, message, retryAfterMs);
  }
}

const DEFAULT_WAIT_MS = 60_000;

/** io.fetch, with "no answer" (refused, reset, timed out) as a transient HttpError. */
export async function send(io: LinkIO, url: string | URL, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
  try {
    return await io.fetch(url, init);
  } catch (err) {
    if (err instanceof RemoteError) throw err; // the host guard's refusal
    throw new HttpError("transient", `${new URL(url).host} did not answer (${(err as Error).name})`, 0);
  }
}

/** When the window resets, from whichever rate-limit headers the server sends (ms since epoch). */
export function resetAt(res: Response, now = Date.now()): number | undefined {
  const raw = res.headers.get("x-ratelimit-reset") ?? res.headers.get("ratelimit-reset");
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) {
    const n = Number(raw);
    // Some servers send epoch seconds; the IETF draft's RateLimit-Reset is seconds from now.
    return n > 1e9 ? n * 1000 : now + n * 1000;
  }
  const date = Date.parse(raw); // or an ISO 8601 time
  return Number.isNaN(date) ? undefined : date;
}

export function remaining(res: Response): number | undefined {
  const raw = res.headers.get("x-ratelimit-remaining") ?? res.headers.get("ratelimit-remaining");
  const n = raw === null ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** How long a 429 (or 503) says to wait: Retry-After first (RFC 9110 §10.2.3), then the reset time. */
export function retryAfterMs(res: Response, now = Date.now()): number {
  const raw = res.headers.get("retry-after");
  if (raw) {
    if (/^\d+$/.test(raw.trim())) return Number(raw) * 1000;
    const date = Date.parse(raw);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = resetAt(res, now);
  return reset !== undefined ? Math.max(1000, reset - now) : DEFAULT_WAIT_MS;
}

/**
 * Watches the rate-limit headers of a poll's responses: when a window is used up, the
 * next poll should wait for its reset rather than be refused with a 429.
 */
export class Throttle {
  private waitUntil = 0;
  constructor(private readonly now = Date.now) {}

  see(res: Response): void {
    if (remaining(res) !== 0) return;
    const reset = resetAt(res, this.now());
    if (reset !== undefined) this.waitUntil = Math.max(this.waitUntil, reset);
  }

  /** ms until the used-up window resets, when one is. */
  get nextInMs(): number | undefined {
    const wait = this.waitUntil - this.now();
    return wait > 0 ? wait : undefined;
  }
}

/** The RemoteError for a status the caller did not handle itself. */
export function errorFor(res: Response, message: string): HttpError {
  const { status } = res;
  if (status === 429) return new HttpError("rate_limited", message, status, retryAfterMs(res));
  if (status === 401) return new HttpError("auth", message, status);
  if (status >= 500 || status === 408) return new HttpError("transient", message, status, res.headers.has("retry-after") ? retryAfterMs(res) : undefined);
  return new HttpError("permanent", message, status);
}

/** A send that failed, as the hub's outbox wants it: a code, a reason, whether to retry. */
export function failure(err: unknown): Extract<SendResult, { ok: false }> {
  if (!(err instanceof RemoteError)) throw err;
  const status = err instanceof HttpError ? err.status : undefined;
  switch (err.kind) {
    case "rate_limited":
      return { ok: false, code: "rate_limited", message: err.message, retryable: true, retryAfterMs: err.retryAfterMs };
    case "transient":
      return { ok: false, code: "remote_unavailable", message: err.message, retryable: true, ...(err.retryAfterMs ? { retryAfterMs: err.retryAfterMs } : {}) };
    case "auth":
      return { ok: false, code: "bad_credentials", message: err.message, retryable: false };
    default:
      return { ok: false, code: status === 404 ? "not_found" : "remote_refused", message: err.message, retryable: false };
  }
}

/** The http(s) origin of a server the user named ("example.social", "https://x.y/"). */
export function originOf(input: string): string {
  const raw = input.trim().replace(/\/+$/, "");
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  // Tokens never travel in clear over the internet: http only to this machine (tests,
  // local development), which the host guard refuses in production anyway.
  const local = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) throw new Error("the server's address must start with https://");
  if (url.pathname !== "/" && url.pathname !== "") throw new Error("give the server's address without a path");
  return url.origin;
}
