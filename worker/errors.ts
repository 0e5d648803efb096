import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * An error a caller can cause. Thrown anywhere; `app.onError` renders every one as
 * `{"error":{"code","message","details?"}}` with its status. Codes are stable API.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new ApiError(400, code, message, details);
export const unauthorized = (message = "sign in first") => new ApiError(401, "unauthorized", message);
export const forbidden = (code: string, message: string) => new ApiError(403, code, message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);
export const tooMany = (retryAfter: number) =>
  new ApiError(429, "rate_limited", `too many attempts; try again in ${retryAfter} s`, { retryAfter }, { "Retry-After": String(retryAfter) });
