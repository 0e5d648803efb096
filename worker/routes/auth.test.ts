import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { api, freshIp, register } from "../test/helpers";

describe("register", () => {
  it("creates a user with a session token and the E.164 phone for the owner only", async () => {
    const res = await api("/api/auth/register", {
      method: "POST",
      json: { handle: "Alice_One", phone: "(415) 555-0100", password: "long enough pw", displayName: "Alice" },
    });
    expect(res.status).toBe(201);
    expect(res.data.user).toMatchObject({ handle: "alice_one", displayName: "Alice", address: "alice_one@unibox.example", phone: "+14155550100", phoneVerified: false });
    expect(res.data.token).toMatch(/^[\w-]{40,}$/);
    expect(res.headers.get("Set-Cookie")).toMatch(/unibox_session=.*HttpOnly.*SameSite=Strict/i);
  });

  it("refuses a taken handle (any case) with 409, but never says whether a number is taken", async () => {
    const a = await register("dup");
    const sameHandle = await api("/api/auth/register", { method: "POST", json: { handle: a.user.handle.toUpperCase(), phone: "+1 415 555 0199", password: "long enough pw", displayName: "X" } });
    expect(sameHandle.status).toBe(409);
    expect(sameHandle.data.error.code).toBe("handle_taken");
    // Before numbers were verified this was 409 phone_taken: a stranger learnt that the number
    // had an account. Now it only claims the number, which counts for nothing until proved.
    const samePhone = await api("/api/auth/register", { method: "POST", json: { handle: "otherdup", phone: a.phone.replace(/\s/g, "-"), password: "long enough pw", displayName: "X" } });
    expect(samePhone.status).toBe(201);
    expect(samePhone.data.user).toMatchObject({ phone: a.user.phone, phoneVerified: false });
  });

  it.each([
    [{ handle: "ab", phone: "+14155550101", password: "long enough pw", displayName: "A" }, "handle"],
    [{ handle: "bad-handle", phone: "+14155550101", password: "long enough pw", displayName: "A" }, "handle"],
    [{ handle: "okhandle", phone: "+14155550101", password: "short", displayName: "A" }, "password"],
    [{ handle: "okhandle", phone: "+14155550101", password: "long enough pw", displayName: "" }, "displayName"],
    [{ handle: "okhandle", phone: "+14155550101", password: "long enough pw", displayName: "A", admin: true }, ""],
  ])("rejects %j with 400 naming the field", async (body, field) => {
    const res = await api("/api/auth/register", { method: "POST", json: body });
    expect(res.status).toBe(400);
    expect(res.data.error.code).toBe("invalid_input");
    expect(res.data.error.message).toContain(field);
  });

  it("rejects an invalid phone number with invalid_phone", async () => {
    const res = await api("/api/auth/register", { method: "POST", json: { handle: "phoneless", phone: "12345", password: "long enough pw", displayName: "A" } });
    expect(res.status).toBe(400);
    expect(res.data.error.code).toBe("invalid_phone");
  });

  it("rejects non-JSON and oversized bodies", async () => {
    const notJson = await api("/api/auth/register", { method: "POST", json: "{nope" });
    expect(notJson.status).toBe(400);
    expect(notJson.data.error.code).toBe("invalid_json");
    const huge = await api("/api/auth/register", { method: "POST", json: { handle: "x".repeat(70_000) } });
    expect(huge.status).toBe(413);
    expect(huge.data.error.code).toBe("body_too_large");
  });

  it("refuses a declared Content-Length over 64 KB before reading a byte, and a body past 64 KB as it arrives", async () => {
    // A body that never ends: reading it would hang the test.
    const never = () => new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined) });
    const declared = await exports.default.fetch("http://unibox.test/api/auth/register", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Length": String(96 * 1024 * 1024) },
      body: never(),
    });
    expect([declared.status, ((await declared.json()) as { error: { code: string } }).error.code]).toEqual([413, "body_too_large"]);
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(ctl) {
        sent += 16 * 1024;
        ctl.enqueue(new Uint8Array(16 * 1024).fill(0x20));
      },
    });
    const streamed = await exports.default.fetch("http://unibox.test/api/auth/register", { method: "POST", headers: { "Content-Type": "application/json" }, body: endless });
    expect([streamed.status, ((await streamed.json()) as { error: { code: string } }).error.code]).toEqual([413, "body_too_large"]);
    expect(sent).toBeLessThan(1024 * 1024);
  });

  it("limits registrations per IP with 429 and Retry-After", async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await api("/api/auth/register", { method: "POST", ip, json: { handle: `ratelim${i}`, phone: `+1 212 555 01${10 + i}`, password: "long enough pw", displayName: "R" } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
        expect(res.data.error.code).toBe("rate_limited");
      }
    }
    // wrangler.toml's production default: 5 per hour per IP.
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
  });
});

describe("login", () => {
  it("accepts phone in any format, handle, @handle and address", async () => {
    const a = await register("login");
    const digits = a.phone.replace(/\D/g, "").slice(1); // national format without +1
    for (const login of [a.phone, `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`, a.user.handle, `@${a.user.handle.toUpperCase()}`, a.user.address]) {
      const res = await api("/api/auth/login", { method: "POST", json: { login, password: a.password } });
      expect(res.status, login).toBe(200);
      expect(res.data.user.id).toBe(a.user.id);
    }
  });

  it("says nothing about which part was wrong", async () => {
    const a = await register("wrongpw");
    const badPw = await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: "not the password" } });
    const noUser = await api("/api/auth/login", { method: "POST", json: { login: "nobody_here", password: "whatever pw" } });
    expect([badPw.status, noUser.status]).toEqual([401, 401]);
    expect(badPw.data.error).toEqual(noUser.data.error);
  });

  it("slows one client down after a few failures, with growing delays, whatever name it uses", async () => {
    const a = await register("brute");
    const ip = freshIp();
    const names = [a.user.handle, `@${a.user.handle.toUpperCase()}`, a.user.address, a.phone];
    const attempt = (i: number, password = `guess number ${i}`) => api("/api/auth/login", { method: "POST", ip, json: { login: names[i % names.length], password } });
    // wrangler.toml: 5 failures per account and client are free.
    for (let i = 0; i < 5; i++) expect((await attempt(i)).status).toBe(401);
    const slowed = await attempt(5);
    expect([slowed.status, slowed.data.error.code, slowed.headers.get("Retry-After")]).toEqual([429, "rate_limited", "1"]);
    // Even the right password waits: the delay does not tell a right guess from a wrong one.
    expect((await attempt(6, a.password)).status).toBe(429);
    // Once the delay has passed the next try is heard, and each failure doubles the wait.
    await rewindLoginFailures(2_000);
    expect((await attempt(7)).status).toBe(401);
    // That was the 6th failure: the wait is now 2 s, so 1.5 s later there is still one to go.
    await rewindLoginFailures(1_500);
    const longer = await attempt(8);
    expect([longer.status, longer.headers.get("Retry-After")]).toEqual([429, "1"]);
    await rewindLoginFailures(600);
    expect((await attempt(9, a.password)).status).toBe(200);
  });

  it("does not let strangers lock the owner out: the account-wide ceiling is far above the per-client limit", async () => {
    const a = await register("lockout");
    // Before, 10 wrong guesses from anywhere blocked the owner for 15 minutes.
    for (let i = 0; i < 20; i++) expect((await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: `wrong ${i}` } })).status).toBe(401);
    expect((await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: a.password } })).status).toBe(200);
    // wrangler.toml: the ceiling for all clients together is 100, and past it there are waits, not a block.
    for (let i = 20; i < 100; i++) await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: `wrong ${i}` } });
    const ceiling = await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: a.password } });
    expect([ceiling.status, ceiling.headers.get("Retry-After")]).toEqual([429, "1"]);
    await rewindLoginFailures(2_000);
    expect((await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: a.password } })).status).toBe(200);
  }, 30_000);

  it("treats a login that names nobody exactly like a wrong password: the same PBKDF2 work and the same limiter", async () => {
    const a = await register("timing");
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    try {
      await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: "not the password" } });
      const known = derive.mock.calls.length;
      await api("/api/auth/login", { method: "POST", json: { login: "nobody_at_all", password: "not the password" } });
      // Before, an unknown login skipped PBKDF2 (15 ms against 25 ms): its timing said "no such account".
      expect([known, derive.mock.calls.length - known]).toEqual([1, 1]);
      expect(derive.mock.calls.at(-1)![0]).toMatchObject({ name: "PBKDF2", iterations: 100_000 });
    } finally {
      derive.mockRestore();
    }
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await api("/api/auth/login", { method: "POST", ip, json: { login: "+1 415 555 0000", password: `guess ${i}` } })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

/** Moves every recorded login failure `ms` into the past, as if that much time went by. */
async function rewindLoginFailures(ms: number): Promise<void> {
  await env.DB.prepare("UPDATE login_failures SET last_at = last_at - ?").bind(ms).run();
}

describe("sessions", () => {
  it("serves /api/me by bearer token and by cookie, and logout ends the session", async () => {
    const a = await register("sess");
    expect((await api("/api/me", { token: a.token })).data.user.id).toBe(a.user.id);
    const byCookie = await api("/api/me", { headers: { Cookie: `unibox_session=${a.token}` } });
    expect(byCookie.status).toBe(200);
    expect((await api("/api/auth/logout", { method: "POST", token: a.token })).status).toBe(200);
    const after = await api("/api/me", { token: a.token });
    expect(after.status).toBe(401);
    expect(after.data.error.code).toBe("unauthorized");
  });

  it("answers unknown API routes with a JSON 404", async () => {
    const res = await api("/api/nope");
    expect(res.status).toBe(404);
    expect(res.data.error.code).toBe("not_found");
  });
});
