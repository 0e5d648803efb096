// Your own account: the display name, the password, and signing out other devices.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { api, befriend, Client, register } from "../test/helpers";

const login = async (handle: string, password: string) => {
  const res = await api("/api/auth/login", { method: "POST", json: { login: handle, password } });
  expect(res.status, JSON.stringify(res.data)).toBe(200);
  return res.data.token as string;
};

describe("display names", () => {
  it("are kept NFC, without controls, bidi overrides or invisible fillers, and need a visible character", async () => {
    const a = await register("names");
    const rename = (displayName: string) => api("/api/me", { method: "PATCH", token: a.token, json: { displayName } });
    const kept: [string, string][] = [
      ["Ali\u0000ce", "Alice"],
      ["\u202Eevil\u202C.exe", "evil.exe"],
      ["Cafe\u0301", "Caf\u00e9"],
      ["  Mary \n\t Ann  ", "Mary Ann"],
      ["\u2067Bob\u2069 \u200B", "Bob"],
      ["\u{1F469}\u200D\u{1F469}\u200D\u{1F467}", "\u{1F469}\u200D\u{1F469}\u200D\u{1F467}"],
      ["李\uD800明", "李明"],
    ];
    for (const [sent, stored] of kept) {
      const res = await rename(sent);
      expect([res.status, res.data.user.displayName], JSON.stringify(sent)).toEqual([200, stored]);
    }
    // Before, each of these was stored as sent.
    for (const invisible of ["\u0000", "\u200B\u200B\u200B", "\u202E", "\uD800", "\u3164\u3164", " \u00A0 ", "\u0301"]) {
      const res = await rename(invisible);
      expect([res.status, res.data.error.code], JSON.stringify(invisible)).toEqual([400, "invalid_input"]);
      expect(res.data.error.message).toMatch(/displayName: needs at least one visible character/);
    }
    expect((await rename("x".repeat(65))).status).toBe(400);
    const reg = await api("/api/auth/register", { method: "POST", json: { handle: "bidiname", phone: "+1 415 555 0144", password: "long enough pw", displayName: "\u202Egnp.exe" } });
    expect(reg.data.user.displayName).toBe("gnp.exe");
  });

  it("show in your friends' lists and your own profile at once", async () => {
    const [a, b] = [await register("renamed"), await register("renamefriend")];
    await befriend(a, b);
    await api("/api/me", { method: "PATCH", token: a.token, json: { displayName: "Alice Liddell" } });
    expect((await api("/api/me", { token: a.token })).data.user.displayName).toBe("Alice Liddell");
    const friends = await api("/api/friends", { token: b.token });
    expect(friends.data.friends[0].user.displayName).toBe("Alice Liddell");
  });
});

describe("other sessions", () => {
  it("end on request: their tokens stop working and their sockets close; this one stays", async () => {
    const a = await register("endothers");
    const [phone, laptop] = [await login(a.user.handle, a.password), await login(a.user.handle, a.password)];
    const [here, there] = [await Client.open(a.token, 0), await Client.open(phone, 0)];
    const res = await api("/api/auth/sessions/end-others", { method: "POST", token: a.token });
    expect([res.status, res.data]).toEqual([200, { signedOut: 2 }]);
    for (const token of [phone, laptop]) expect((await api("/api/me", { token })).status).toBe(401);
    expect((await api("/api/me", { token: a.token })).status).toBe(200);
    await vi.waitFor(() => expect(there.closed?.code).toBe(4001));
    expect(here.closed).toBeNull();
    here.close();
  });

  it("end when the password changes, which needs the current one", async () => {
    const a = await register("newpw");
    const other = await login(a.user.handle, a.password);
    const socket = await Client.open(other, 0);
    const wrong = await api("/api/me/password", { method: "POST", token: a.token, json: { current: "not my password", next: "a brand new password" } });
    expect([wrong.status, wrong.data.error.code]).toEqual([401, "invalid_credentials"]);
    expect((await api("/api/me", { token: other })).status).toBe(200);
    const short = await api("/api/me/password", { method: "POST", token: a.token, json: { current: a.password, next: "short" } });
    expect([short.status, short.data.error.code]).toEqual([400, "invalid_input"]);

    const ok = await api("/api/me/password", { method: "POST", token: a.token, json: { current: a.password, next: "a brand new password" } });
    expect([ok.status, ok.data]).toEqual([200, { ok: true, signedOut: 1 }]);
    expect((await api("/api/me", { token: other })).status).toBe(401);
    await vi.waitFor(() => expect(socket.closed?.code).toBe(4001));
    expect((await api("/api/me", { token: a.token })).status).toBe(200);
    expect((await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: a.password } })).status).toBe(401);
    expect((await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: "a brand new password" } })).status).toBe(200);
  });

  it("a stolen session cannot guess the current password quickly", async () => {
    const a = await register("pwguess");
    const ip = "203.0.113.90";
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await api("/api/me/password", { method: "POST", token: a.token, ip, json: { current: `guess ${i}`, next: "a brand new password" } })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    await env.DB.prepare("DELETE FROM login_failures").run();
  });
});
