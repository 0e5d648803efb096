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
  if (!pepper) throw new Error("PHONE_PEPPER is not set: run `npm run setup` locally or `wrangler secret put PHONE_PEPPER`");
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(e164))));
}
