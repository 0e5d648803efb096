import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { phoneHash, toE164 } from "../auth/phone";
import { rateLimit } from "../auth/rate-limit";
import { requireUser } from "../auth/session";
import { chunked, db } from "../db/client";
import { friendsOf } from "../db/friends";
import { users } from "../db/schema";
import { toUser, verifiedPhoneIn } from "../db/users";
import { countLookups } from "../auth/lookups";
import { requireVerifiedPhone } from "../auth/verify-phone";
import type { AppEnv } from "../env";
import { unauthorized } from "../errors";
import { discoverBody } from "../../core/protocol";
import { json } from "../validate";

// Which of the phone's contacts are on Unibox: the one place that deliberately tells
// whether a number is registered, so only to accounts with a verified number of their
// own, only for verified numbers, and for a capped number of distinct numbers a day.
// The uploaded numbers are only hashed and compared, never logged; the answer names each
// match by the number as sent.
export const contacts = new Hono<AppEnv>().use(requireUser).post("/discover", json(discoverBody), async (c) => {
  const me = c.get("userId");
  const input = c.req.valid("json");
  await rateLimit(c.env, "RATE_DISCOVER", me);
  const d = db(c.env.DB);
  const meRow = await d.query.users.findFirst({ where: eq(users.id, me) });
  if (!meRow) throw unauthorized();
  requireVerifiedPhone(meRow);
  // Numbers without a country code are read in the caller's region, as their phone would.
  const region = input.region ?? meRow.region;
  const sentAs = new Map<string, string>();
  for (const number of input.numbers) {
    const e164 = toE164(number, region);
    if (e164) {
      const hash = await phoneHash(c.env.PHONE_PEPPER, e164);
      if (!sentAs.has(hash)) sentAs.set(hash, number);
    }
  }
  await countLookups(c.env, me, [...sentAs.keys()]);
  const rows = (await Promise.all(chunked([...sentAs.keys()]).map((part) => d.select().from(users).where(verifiedPhoneIn(part))))).flat();
  const friendIds = new Set((await friendsOf(d, c.env, me)).map((f) => f.user.id));
  const matches = rows
    .filter((row) => row.id !== me)
    .map((row) => ({ number: sentAs.get(row.phoneHash)!, user: toUser(row, c.env), friend: friendIds.has(row.id) }));
  return c.json({ matches });
});
