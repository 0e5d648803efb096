// An error the user can cause, as a short sentence in their language: looked up by the
// server's code (core/errors.ts), falling back to the server's own (English) message for a
// code this build does not know yet.
import { type MessageKey, t } from ".";
import { en } from "./en";

export function errorText(err: { code: string; message?: string }): string {
  const key = `err.${err.code}`;
  if (key in en) return t(key as MessageKey);
  return err.message || t("err.internal");
}

/**
 * The sentence for anything a call can throw: an ApiFailure (or an error frame) by its
 * code, a 429 with how long to wait, and anything else as our own fault — never the raw
 * text of an exception, which is for the console, not for people.
 */
export function errorMessage(err: unknown): string {
  if (!err || typeof err !== "object" || typeof (err as { code?: unknown }).code !== "string") return t("err.internal");
  const e = err as { code: string; message?: string; retryAfter?: number };
  if (e.code === "rate_limited" && typeof e.retryAfter === "number") return t("error.rateLimited", { seconds: Math.ceil(e.retryAfter) });
  // No error body (a proxy's page, a route this server does not have): by status, not "HTTP 404".
  const status = /^http_(\d{3})$/.exec(e.code)?.[1];
  if (status) return t(status === "404" ? "err.not_found" : "err.internal");
  return errorText(e);
}
