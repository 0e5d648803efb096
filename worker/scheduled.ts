import { lt } from "drizzle-orm";
import { db } from "./db/client";
import { sessions } from "./db/schema";
import type { Env } from "./env";
import { enqueueDue } from "./poll";

/**
 * Cron: housekeeping today (expired sessions); the social and mail pollers join here,
 * each picking its due accounts.
 */
export async function scheduled(_controller: ScheduledController, env: Env): Promise<{ expiredSessions: number; polls: number }> {
  const result = await db(env.DB).delete(sessions).where(lt(sessions.expiresAt, Date.now()));
  const expiredSessions = result.meta.changes ?? 0;
  const polls = await enqueueDue(env);
  console.log(JSON.stringify({ event: "scheduled", expiredSessions, polls }));
  return { expiredSessions, polls };
}
