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
