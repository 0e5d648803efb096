import { describe, expect, it } from "vitest";
import { version } from "../../package.json";
import { api } from "../test/helpers";

describe("GET /api/health", () => {
  it("says the Worker, D1 and a Durable Object answer, and which build this is, without a session", async () => {
    const res = await api("/api/health");
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ ok: true, build: { version }, checks: { worker: { ok: true }, d1: { ok: true }, durableObject: { ok: true } } });
    expect(typeof res.data.checks.d1.ms).toBe("number");
    // Nothing that looks like a secret or a user.
    expect(JSON.stringify(res.data)).not.toMatch(/pepper|key|token|u_/i);
  });
});
