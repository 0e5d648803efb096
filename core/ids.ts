// Ids and tokens: a time prefix (sortable, base36 milliseconds) and 64 random bits.
import { base64url, utf8 } from "./bytes";

// A room makes one per message: random bytes are drawn 32 ids' worth at a time, and written
// as hex from a table (one getRandomValues, array and eight strings per id showed in its profile).
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const pool = new Uint8Array(8 * 32);
let used = pool.length;

export function newId(prefix: string): string {
  if (used === pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  const r = pool;
  const i = used;
  used += 8;
  return `${prefix}_${Date.now().toString(36)}${HEX[r[i]!]}${HEX[r[i + 1]!]}${HEX[r[i + 2]!]}${HEX[r[i + 3]!]}${HEX[r[i + 4]!]}${HEX[r[i + 5]!]}${HEX[r[i + 6]!]}${HEX[r[i + 7]!]}`;
}

export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text))));
}
