// Matrix's "standard error response" (client-server API, "API Standards"): every error is
// JSON `{errcode, error}`, some with extra keys. Routes throw these; one place renders them.

export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get body(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const missingToken = () => new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");

/** `soft_logout` is always present; the spec says it defaults to false, Synapse always sends it. */
export const unknownToken = (softLogout: boolean) =>
  new MatrixError(401, "M_UNKNOWN_TOKEN", "Unrecognised access token", { soft_logout: softLogout });

export const forbidden = (message: string) => new MatrixError(403, "M_FORBIDDEN", message);
export const notFound = (message: string) => new MatrixError(404, "M_NOT_FOUND", message);
export const notJson = (message = "Content not JSON.") => new MatrixError(400, "M_NOT_JSON", message);
/** The spec's example for a login type the server does not offer. */
export const unknownError = (message: string) => new MatrixError(400, "M_UNKNOWN", message);
export const badJson = (message: string) => new MatrixError(400, "M_BAD_JSON", message);
export const missingParam = (message: string) => new MatrixError(400, "M_MISSING_PARAM", message);
export const invalidParam = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);
export const tooLarge = (message: string) => new MatrixError(413, "M_TOO_LARGE", message);

/** 404 for a path the server does not implement, 405 for a known path with the wrong method. */
export const unrecognized = (status: 404 | 405) => new MatrixError(status, "M_UNRECOGNIZED", "Unrecognized request");

/**
 * Rate limiting: `retry_after_ms` (deprecated since v1.10, still sent by Synapse) and the
 * `Retry-After` header in whole seconds, which the spec now prefers.
 */
export const limitExceeded = (retryAfterMs: number) =>
  new MatrixError(429, "M_LIMIT_EXCEEDED", "Too Many Requests", { retry_after_ms: retryAfterMs }, { "retry-after": String(Math.ceil(retryAfterMs / 1000)) });
