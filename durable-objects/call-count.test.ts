// The benchmark's Durable Object call counter: off, a stub is handed out untouched; on,
// every call through it is counted by class and method and still reaches the object.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../worker/env";
import { callCounts, counted } from "./call-count";
import { limiterOf } from "./stubs";

describe("Durable Object call counter", () => {
  it("is off unless COUNT_DO_CALLS=1: the stub is the stub, and the route is not there", async () => {
    const stub = (env as unknown as Env).RATE_LIMITER.get((env as unknown as Env).RATE_LIMITER.idFromName("cc-off"));
    expect(counted(env as unknown as Env, "RateLimiter", stub)).toBe(stub);
    const before = callCounts()["RateLimiter.ping"] ?? 0;
    await limiterOf(env as unknown as Env, "cc-off").ping();
    expect(callCounts()["RateLimiter.ping"] ?? 0).toBe(before);
    const res = await exports.default.fetch("http://unibox.test/api/health/do-calls");
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([404, "not_found"]);
  });

  it("on, counts each call by class and method, and the call still returns the object's answer", async () => {
    const on = { ...(env as unknown as Env), COUNT_DO_CALLS: "1" };
    const before = callCounts();
    const limiter = limiterOf(on, "cc-on");
    const answers = [await limiter.hit(5, 60), await limiter.hit(5, 60)];
    expect(answers.map((a) => a.allowed)).toEqual([true, true]);
    expect(callCounts()["RateLimiter.hit"]).toBe((before["RateLimiter.hit"] ?? 0) + 2);
    expect(callCounts()["RateLimiter.ping"] ?? 0).toBe(before["RateLimiter.ping"] ?? 0);
  });
});
