import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "./index";
import { describe, expect, it } from "vitest";
import { api, register } from "./test/helpers";

describe("scheduled (cron)", () => {
  it("removes expired sessions and keeps live ones", async () => {
    const [a, b] = [await register("cron_a"), await register("cron_b")];
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1000, a.user.id).run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    const left = await env.DB.prepare("SELECT user_id FROM sessions WHERE user_id IN (?, ?)").bind(a.user.id, b.user.id).all();
    expect(left.results).toEqual([{ user_id: b.user.id }]);
    expect((await api("/api/me", { token: a.token })).status).toBe(401);
    expect((await api("/api/me", { token: b.token })).status).toBe(200);
  });
});
