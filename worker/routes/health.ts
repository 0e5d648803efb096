import { Hono } from "hono";
import { callCounts, counting, statementCounts } from "../../durable-objects/call-count";
import { fail } from "../errors";
import { limiterOf } from "../../durable-objects/stubs";
import { version } from "../../package.json";
import type { AppEnv } from "../env";

// For uptime checks and the dashboard: the Worker answers, D1 answers, a Durable Object
// answers, and which build this is. No auth, no secrets, two tiny round trips: cheap to poll.
export const health = new Hono<AppEnv>()
  // The benchmark's count of Durable Object calls; not there unless COUNT_DO_CALLS=1.
  .get("/do-calls", (c) => {
    if (!counting(c.env)) throw fail("not_found", "no route GET /api/health/do-calls");
    return c.json({ calls: callCounts(), statements: statementCounts() });
  })
  .get("/", async (c) => {
  const [d1, durableObject] = await Promise.all([
    timed(() => c.env.DB.prepare("SELECT 1 AS ok").first()),
    timed(() => limiterOf(c.env, "health").ping()),
  ]);
  const ok = d1.ok && durableObject.ok;
  const build = { version, id: c.env.VERSION?.id ?? "local", tag: c.env.VERSION?.tag || undefined };
  return c.json({ ok, build, checks: { worker: { ok: true }, d1, durableObject } }, ok ? 200 : 503);
});

async function timed(check: () => Promise<unknown>): Promise<{ ok: boolean; ms: number }> {
  const started = Date.now();
  try {
    await check();
    return { ok: true, ms: Date.now() - started };
  } catch {
    return { ok: false, ms: Date.now() - started };
  }
}
