// Record keys for our posts: TIDs (atproto.com/specs/tid), 13 characters of base32-sortable
// encoding a 64-bit number: a zero top bit, 53 bits of microseconds since the epoch and a
// 10-bit clock id. Ours take the clock id from the send's idempotency key, and the time of
// the first attempt is kept with the key, so every retry writes the same rkey.
const S32 = "234567abcdefghijklmnopqrstuvwxyz";

export function tid(micros: number, clock: number): string {
  let n = (BigInt(Math.floor(micros)) << 10n) | BigInt(clock & 1023);
  let out = "";
  for (let i = 0; i < 13; i++) {
    out = S32[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return out;
}

export const isTid = (s: string) => /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/.test(s);

/** The TID for a send first tried at `nowMs` with idempotency key `key`. */
export const tidFor = (key: string, nowMs: number): string => tid(nowMs * 1000, fnv1a(key));

/** FNV-1a, 32 bits: a stable spread of the key over the clock ids. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
