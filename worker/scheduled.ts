import { lt } from "drizzle-orm";
import { DAY_MS } from "./auth/lookups";
import { db } from "./db/client";
import { loginFailures, phoneCodes, phoneLookups, sessions } from "./db/schema";
import type { Env } from "./env";
import { enqueueDue } from "./poll";
import { sweepUnsentMedia } from "./media/sweep";

/**
 * Cron: housekeeping (expired sessions and codes, login counters and lookup counts past
 * their window, uploads never sent); the social and mail pollers join here, each
 * picking its due accounts.
 */
export async function scheduled(_controller: ScheduledController, env: Env, now = Date.now()) {
  const d = db(env.DB);
  const [s, codes, logins, lookups] = await d.batch([
    d.delete(sessions).where(lt(sessions.expiresAt, now)),
    d.delete(phoneCodes).where(lt(phoneCodes.expiresAt, now - DAY_MS)),
    d.delete(loginFailures).where(lt(loginFailures.lastAt, now - DAY_MS)),
    d.delete(phoneLookups).where(lt(phoneLookups.day, Math.floor(now / DAY_MS))),
  ]);
  const media = await sweepUnsentMedia(env, now).catch((err: unknown) => {
    console.error("Error in scheduled: media sweep", err);
    return { deleted: 0, sent: 0 };
  });
  const polls = await enqueueDue(env, now);
  const result = {
    polls,
    expiredSessions: s.meta.changes ?? 0,
    expiredCodes: codes.meta.changes ?? 0,
    oldLoginFailures: logins.meta.changes ?? 0,
    oldLookups: lookups.meta.changes ?? 0,
    unsentMediaDeleted: media.deleted,
  };
  console.log(JSON.stringify({ event: "scheduled", ...result }));
  return result;
}
