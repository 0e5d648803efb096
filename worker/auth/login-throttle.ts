// Failed logins slow the next try down instead of blocking the account: per account and
// client (IP) a few failures are free, then each next try waits 1 s, 2 s, 4 s, ... up to
// the window; the same counts over all clients together only from a much higher ceiling,
// so a stranger guessing from elsewhere never locks the owner out. An unknown login is
// counted the same way under a keyed hash of what was typed, so the limiter says nothing
// about which logins exist.
import { eq, inArray, sql } from "drizzle-orm";
import { db } from "../db/client";
import { loginFailures } from "../db/schema";
import type { Env } from "../env";
import { tooMany } from "../errors";
import { keyedHash } from "./phone";
import { parseLimit } from "./rate-limit";

type Spec = { limit: number; seconds: number };
export type LoginKeys = { client: string; account: string };

/** How long after the last failure the next try must wait, once `failures` have piled up. */
export function delayMs(failures: number, spec: Spec): number {
  if (failures < spec.limit) return 0;
  return Math.min(1000 * 2 ** (failures - spec.limit), spec.seconds * 1000);
}

const specs = (env: Env) => ({ client: parseLimit(env.RATE_LOGIN_PER_ACCOUNT_CLIENT), account: parseLimit(env.RATE_LOGIN_ACCOUNT_CEILING) });

/** The limiter keys for a login attempt: `account` is the user id, or for nobody the canonical login typed. */
export async function loginKeys(env: Env, account: string, ip: string): Promise<LoginKeys> {
  const [client, all] = await Promise.all([keyedHash(env.PHONE_PEPPER, `login|client|${account}|${ip}`), keyedHash(env.PHONE_PEPPER, `login|account|${account}`)]);
  return { client, account: all };
}

/** Throws 429 with Retry-After while either key is still waiting out its delay. */
export async function checkLoginDelay(env: Env, keys: LoginKeys, now = Date.now()): Promise<void> {
  const s = specs(env);
  const rows = await db(env.DB).select().from(loginFailures).where(inArray(loginFailures.key, [keys.client, keys.account]));
  let waitMs = 0;
  for (const row of rows) {
    const spec = row.key === keys.client ? s.client : s.account;
    // A key quiet for a whole window starts again from nothing.
    if (now - row.lastAt >= spec.seconds * 1000) continue;
    waitMs = Math.max(waitMs, row.lastAt + delayMs(row.failures, spec) - now);
  }
  if (waitMs > 0) throw tooMany(Math.ceil(waitMs / 1000));
}

export async function recordLoginFailure(env: Env, keys: LoginKeys, now = Date.now()): Promise<void> {
  const s = specs(env);
  const d = db(env.DB);
  const bump = (key: string, spec: Spec) =>
    d
      .insert(loginFailures)
      .values({ key, failures: 1, lastAt: now })
      .onConflictDoUpdate({
        target: loginFailures.key,
        set: { failures: sql`case when ${loginFailures.lastAt} <= ${now - spec.seconds * 1000} then 1 else ${loginFailures.failures} + 1 end`, lastAt: now },
      });
  await d.batch([bump(keys.client, s.client), bump(keys.account, s.account)]);
}

/** A right password clears this client's count; the account-wide one runs out by itself. */
export async function clearLoginFailures(env: Env, keys: LoginKeys): Promise<void> {
  await db(env.DB).delete(loginFailures).where(eq(loginFailures.key, keys.client));
}
