// A cap on how many distinct phone numbers one account may look up per UTC day, across
// contact discovery and add-by-phone: enough for a real address book, too few to walk
// the number space and learn who is on Unibox. A number looked up again the same day
// costs nothing. What is kept is a day-keyed hash of each number, swept after the day.
import { and, count, eq, inArray } from "drizzle-orm";
import { chunked, db } from "../db/client";
import { phoneLookups } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../errors";
import { keyedHash } from "./phone";

export const DAY_MS = 86_400_000;

/** Counts `phoneHashes` against the user's day; throws 429 (until the next UTC day) when they would pass the cap. */
export async function countLookups(env: Env, userId: string, phoneHashes: string[], now = Date.now()): Promise<void> {
  const cap = Number(env.PHONE_LOOKUPS_PER_DAY);
  const day = Math.floor(now / DAY_MS);
  const keys = [...new Set(await Promise.all(phoneHashes.map(async (h) => (await keyedHash(env.PHONE_PEPPER, `lookup|${day}|${h}`)).slice(0, 16))))];
  if (keys.length === 0) return;
  const d = db(env.DB);
  const mine = and(eq(phoneLookups.userId, userId), eq(phoneLookups.day, day));
  const [[total], ...seenParts] = await Promise.all([
    d.select({ n: count() }).from(phoneLookups).where(mine),
    ...chunked(keys, 1, 3).map((part) => d.select({ key: phoneLookups.numberKey }).from(phoneLookups).where(and(mine, inArray(phoneLookups.numberKey, part)))),
  ]);
  const seen = new Set(seenParts.flat().map((r) => r.key));
  const fresh = keys.filter((k) => !seen.has(k));
  if (fresh.length === 0) return;
  if (total!.n + fresh.length > cap) {
    const retryAfter = Math.ceil(((day + 1) * DAY_MS - now) / 1000);
    throw new ApiError("rate_limited", `you can look up ${cap} different numbers a day`, { retryAfter, limit: cap }, { "Retry-After": String(retryAfter) });
  }
  const rows = fresh.map((numberKey) => ({ userId, day, numberKey }));
  const [first, ...rest] = chunked(rows, 3, 0).map((part) => d.insert(phoneLookups).values(part).onConflictDoNothing());
  await d.batch([first!, ...rest]);
}
