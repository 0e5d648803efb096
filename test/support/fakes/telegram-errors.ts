// The Bot API's error envelope ("Making requests"): `{ok: false, error_code, description,
// parameters?}`, answered with the same HTTP status as error_code. Descriptions are the
// strings the real API answers (as bots and libraries quote them), so connectors can be
// tested against the text they will actually see.
import type { ResponseParameters } from "@grammyjs/types";

export class BotApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly parameters?: ResponseParameters,
  ) {
    super(description);
  }

  get body() {
    return { ok: false as const, error_code: this.status, description: this.description, ...(this.parameters ? { parameters: this.parameters } : {}) };
  }
}

export const badRequest = (what: string) => new BotApiError(400, `Bad Request: ${what}`);
export const unauthorized = () => new BotApiError(401, "Unauthorized");
export const notFound = () => new BotApiError(404, "Not Found");
export const conflict = (what: string) => new BotApiError(409, `Conflict: ${what}`);
export const tooManyRequests = (seconds: number) => new BotApiError(429, `Too Many Requests: retry after ${seconds}`, { retry_after: seconds });
