import { base64url, fromBase64url } from "../../core/bytes";

// Workers' WebCrypto caps PBKDF2 at 100,000 iterations; we use the cap.
export const PBKDF2_ITERATIONS = 100_000;

export async function hashPassword(password: string, salt: Uint8Array<ArrayBuffer> = crypto.getRandomValues(new Uint8Array(16)), iterations = PBKDF2_ITERATIONS) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return { hash: base64url(new Uint8Array(bits)), salt: base64url(salt), iterations };
}

export async function verifyPassword(password: string, stored: { hash: string; salt: string; iterations: number }) {
  const { hash } = await hashPassword(password, fromBase64url(stored.salt), stored.iterations);
  return timingSafeEqual(hash, stored.hash);
}

/**
 * Checked instead of a stored hash when a login names nobody, so an unknown login costs
 * the same PBKDF2 work as a wrong password (its password is random and thrown away).
 */
export const NOBODY = { hash: "ShN4nxvku5OwMqHt-r4mx6FWKmX_mOMfWMZOHKTfXB8", salt: "hpAOocE0PsG_k9HBqod5mw", iterations: PBKDF2_ITERATIONS };

export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  // workerd provides crypto.subtle.timingSafeEqual (non-standard).
  return (crypto.subtle as unknown as { timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean }).timingSafeEqual(x, y);
}
