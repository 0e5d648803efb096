// The per-account webhook secret. setWebhook's secret_token (1-256 of A-Z a-z 0-9 _ -) comes
// back on every delivery in X-Telegram-Bot-Api-Secret-Token; the link compares it with the
// stored one before the update is read.
import { base64url } from "../../../core/bytes";

export const SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

/** Where the connector keeps the secret in its store (the link reads it from there). */
export const SECRET_KEY = "webhookSecret";

/** 32 random bytes, base64url: 43 characters, all of them allowed in a secret_token. */
export const newSecret = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/**
 * Whether `got` is the expected secret, in time that does not depend on where they differ.
 * No expected secret (the account has none yet) never matches.
 */
export function checkSecret(expected: string | null | undefined, got: string | null | undefined): boolean {
  if (!expected || typeof got !== "string") return false;
  const a = new TextEncoder().encode(expected);
  const b = new TextEncoder().encode(got);
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}
