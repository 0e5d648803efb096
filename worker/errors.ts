import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERRORS, type ErrorCode, type Refusal, statusOf } from "../core/errors";

/**
 * An error a caller can cause. Thrown anywhere; `app.onError` renders every one as
 * `{"error":{"code","message","details?"}}` with the status the error table gives its code.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;

  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].message,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = statusOf(code) as ContentfulStatusCode;
  }

  /** A refusal from a Durable Object, as the HTTP error it stands for. */
  static from(r: Refusal): ApiError {
    const retryAfter = r.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(r.retryAfterMs / 1000));
    return new ApiError(r.code, r.message, r.details, retryAfter ? { "Retry-After": String(retryAfter) } : undefined);
  }
}

export const fail = (code: ErrorCode, message?: string, details?: unknown) => new ApiError(code, message, details);
export const unauthorized = (message?: string) => new ApiError("unauthorized", message);
export const tooMany = (retryAfter: number) =>
  new ApiError("rate_limited", `too many attempts; try again in ${retryAfter} s`, { retryAfter }, { "Retry-After": String(retryAfter) });

/** Throws the refusal as its HTTP error; passes a success through. */
export function orThrow<T extends { ok: boolean }>(result: T | Refusal): Exclude<T, Refusal> {
  if (!result.ok) throw ApiError.from(result as Refusal);
  return result as Exclude<T, Refusal>;
}
