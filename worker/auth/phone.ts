import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/min";
import { base64url } from "../../core/bytes";

/** E.164 for any common way of writing a number, or null when it is not a valid number. */
export function toE164(input: string, region: string): string | null {
  const parsed = parsePhoneNumberFromString(input, region as CountryCode);
  return parsed?.isValid() ? parsed.number : null;
}

export function looksLikePhone(input: string): boolean {
  return /^\+?[\d\s().-]{5,}$/.test(input.trim());
}

/** The only form in which phone numbers are kept for matching. */
export async function phoneHash(pepper: string, e164: string): Promise<string> {
  return keyedHash(pepper, e164);
}

/** HMAC-SHA256 under the server's pepper: for anything kept or compared that must not be readable (numbers, codes, limiter keys). */
export async function keyedHash(pepper: string, text: string): Promise<string> {
  const key = await hmacKey(pepper);
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text))));
}

// One imported key per pepper and isolate: a discovery of 1000 numbers signs 1000 times.
const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(pepper: string): Promise<CryptoKey> {
  if (!pepper) throw new Error("PHONE_PEPPER is not set: run `npm run setup` locally or `wrangler secret put PHONE_PEPPER`");
  let key = keys.get(pepper);
  if (!key) keys.set(pepper, (key = crypto.subtle.importKey("raw", new TextEncoder().encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])));
  return key;
}
