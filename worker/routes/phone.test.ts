// Verified phone numbers: a number counts (login, discovery, add by phone) only once the
// code sent to it came back; proving a number another account holds moves it.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, Client, e164Of, register, smsCodeFor, verifyPhone } from "../test/helpers";

let n = 0;
/** A number no other test uses: +1 212 555 01NN. */
const freshNumber = () => `+1 212 555 ${String(100 + ++n).padStart(4, "0")}`;

async function signUp(name: string, phone: string) {
  const handle = `${name}${++n}`.toLowerCase();
  const res = await api("/api/auth/register", { method: "POST", json: { handle, phone, password: "long enough pw", displayName: name } });
  expect(res.status, JSON.stringify(res.data)).toBe(201);
  return { handle, token: res.data.token as string, user: res.data.user, phone, password: "long enough pw" };
}

const askCode = (token: string, json: object = {}) => api("/api/me/phone", { method: "POST", token, json });
const typeCode = (token: string, code: string) => api("/api/me/phone/verify", { method: "POST", token, json: { code } });

describe("a number before and after its code", () => {
  it("counts for nothing until verified: no login by it, no discovery, no add by phone", async () => {
    const seeker = await register("seeker");
    const phone = freshNumber();
    const fresh = await signUp("Fresh", phone);
    expect(fresh.user).toMatchObject({ phone: e164Of(phone), phoneVerified: false });
    const login = () => api("/api/auth/login", { method: "POST", json: { login: phone, password: fresh.password } });
    const discover = () => api("/api/contacts/discover", { method: "POST", token: seeker.token, json: { numbers: [phone] } });
    const add = () => api("/api/friends/requests", { method: "POST", token: seeker.token, json: { to: phone } });
    // Before verification existed, all three found the account at once: anyone could claim anyone's number.
    expect((await login()).status).toBe(401);
    expect((await discover()).data.matches).toEqual([]);
    expect((await add()).data.error.code).toBe("user_not_found");
    // Until then the account is known by its handle only.
    expect((await api("/api/auth/login", { method: "POST", json: { login: fresh.handle, password: fresh.password } })).status).toBe(200);

    const user = await verifyPhone(fresh.token, phone);
    expect(user).toMatchObject({ phone: e164Of(phone), phoneVerified: true });
    expect((await login()).data.user.id).toBe(fresh.user.id);
    expect((await discover()).data.matches.map((m: { user: { id: string } }) => m.user.id)).toEqual([fresh.user.id]);
    expect((await add()).status).toBe(201);
  });

  it("lets only accounts with a verified number discover contacts or ask for friends", async () => {
    const target = await register("target");
    const unproven = await signUp("Unproven", freshNumber());
    const discover = await api("/api/contacts/discover", { method: "POST", token: unproven.token, json: { numbers: [target.phone] } });
    expect([discover.status, discover.data.error.code]).toEqual([403, "phone_unverified"]);
    const ask = await api("/api/friends/requests", { method: "POST", token: unproven.token, json: { to: target.user.handle } });
    expect([ask.status, ask.data.error.code]).toEqual([403, "phone_unverified"]);
  });

  it("moves a number to whoever proves it, and tells the account that had it", async () => {
    const phone = freshNumber();
    const old = await signUp("Old", phone);
    await verifyPhone(old.token, phone);
    const oldSocket = await Client.open(old.token, 0);
    // The number was recycled: someone new signs up with it. Nothing says it was taken.
    const next = await signUp("Next", phone);
    expect(next.user.phoneVerified).toBe(false);
    expect((await api("/api/auth/login", { method: "POST", json: { login: phone, password: old.password } })).data.user.id).toBe(old.user.id);

    await verifyPhone(next.token, phone);
    const told = await oldSocket.next((f) => f.t === "ev" && f.ev.type === "phone.moved");
    expect(told).toMatchObject({ ev: { type: "phone.moved", at: expect.any(Number) } });
    expect((await api("/api/me", { token: old.token })).data.user).toMatchObject({ phone: e164Of(phone), phoneVerified: false });
    expect((await api("/api/auth/login", { method: "POST", json: { login: phone, password: next.password } })).data.user.id).toBe(next.user.id);
    const rows = await env.DB.prepare("SELECT id FROM users WHERE phone_display = ? AND phone_verified_at IS NOT NULL").bind(e164Of(phone)).all();
    expect(rows.results).toEqual([{ id: next.user.id }]);
    oldSocket.close();
  });

  it("changes number: the verified one stays until the new one is proved", async () => {
    const me = await register("mover");
    const next = freshNumber();
    const sent = await askCode(me.token, { phone: next.replace("+1 ", "") });
    expect(sent.data.verification).toEqual({ phone: e164Of(next), expiresAt: expect.any(Number), resendAt: expect.any(Number) });
    expect((await api("/api/me", { token: me.token })).data.user).toMatchObject({ phone: e164Of(me.phone), phoneVerified: true });
    expect((await typeCode(me.token, smsCodeFor(e164Of(next))!)).data.user).toMatchObject({ phone: e164Of(next), phoneVerified: true });
    expect((await api("/api/auth/login", { method: "POST", json: { login: me.phone, password: me.password } })).status).toBe(401);
    expect((await api("/api/auth/login", { method: "POST", json: { login: next, password: me.password } })).status).toBe(200);
    const again = await askCode(me.token);
    expect([again.status, again.data.error.code]).toEqual([409, "already_verified"]);
  });
});

describe("the code", () => {
  it("is six digits, kept only as a keyed hash, and a new one replaces the old", async () => {
    const phone = freshNumber();
    const u = await signUp("Codes", phone);
    expect((await askCode(u.token)).status).toBe(200);
    const first = smsCodeFor(e164Of(phone))!;
    expect(first).toMatch(/^\d{6}$/);
    const row = await env.DB.prepare("SELECT code_hash FROM phone_codes WHERE user_id = ?").bind(u.user.id).first<{ code_hash: string }>();
    expect(row!.code_hash).not.toContain(first);
    expect(row!.code_hash).toMatch(/^[\w-]{43}$/);
    await env.DB.prepare("UPDATE phone_codes SET sent_at = sent_at - 60000 WHERE user_id = ?").bind(u.user.id).run();
    expect((await askCode(u.token)).status).toBe(200);
    const second = smsCodeFor(e164Of(phone))!;
    if (second !== first) expect((await typeCode(u.token, first)).data.error.code).toBe("code_wrong");
    expect((await typeCode(u.token, second)).status).toBe(200);
    // Used up: the same code again is not a second verification.
    expect((await typeCode(u.token, second)).data.error.code).toBe("code_expired");
  });

  it("allows a few attempts, then not even the right code works", async () => {
    const phone = freshNumber();
    const u = await signUp("Guess", phone);
    await askCode(u.token);
    const right = smsCodeFor(e164Of(phone))!;
    const wrong = right === "000000" ? "111111" : "000000";
    const lefts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await typeCode(u.token, wrong);
      expect([res.status, res.data.error.code]).toEqual([400, "code_wrong"]);
      lefts.push(res.data.error.details.attemptsLeft);
    }
    expect(lefts).toEqual([4, 3, 2, 1, 0]);
    expect((await typeCode(u.token, right)).data.error.code).toBe("code_expired");
  });

  it("parallel guesses cannot share an attempt", async () => {
    const phone = freshNumber();
    const u = await signUp("Parallel", phone);
    await askCode(u.token);
    const right = smsCodeFor(e164Of(phone))!;
    const guesses = Array.from({ length: 20 }, (_, i) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, "0"));
    const answers = await Promise.all(guesses.map((g) => typeCode(u.token, g)));
    expect(answers.filter((a) => a.data.error.code === "code_wrong")).toHaveLength(5);
    expect(answers.filter((a) => a.data.error.code === "code_expired")).toHaveLength(15);
  });

  it("expires after ten minutes", async () => {
    const phone = freshNumber();
    const u = await signUp("Late", phone);
    await askCode(u.token);
    await env.DB.prepare("UPDATE phone_codes SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1, u.user.id).run();
    expect((await typeCode(u.token, smsCodeFor(e164Of(phone))!)).data.error.code).toBe("code_expired");
  });

  it("is resent no sooner than 30 s, and no more than 5 times an hour per number, whoever asks", async () => {
    const phone = freshNumber();
    const u = await signUp("Resend", phone);
    expect((await askCode(u.token)).status).toBe(200);
    const soon = await askCode(u.token);
    expect([soon.status, soon.data.error.code]).toEqual([429, "rate_limited"]);
    expect(Number(soon.headers.get("Retry-After"))).toBeGreaterThan(25);
    // A corrected number is not held back by the countdown (it counts against the limits below all the same).
    expect((await askCode(u.token, { phone: freshNumber() })).status).toBe(200);
    // Four more accounts ask for the same number (sign-ups with someone else's number).
    for (let i = 0; i < 4; i++) expect((await askCode((await signUp("Pump", phone)).token)).status).toBe(200);
    const sixth = await askCode((await signUp("Pump", phone)).token);
    expect([sixth.status, sixth.data.error.code]).toEqual([429, "rate_limited"]);
  });

  it("is refused from one client after 20 texts an hour, to any numbers", async () => {
    const ip = "203.0.113.77";
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const u = await signUp("Ip", freshNumber());
      statuses.push((await api("/api/me/phone", { method: "POST", token: u.token, ip, json: {} })).status);
    }
    expect(statuses).toEqual([...Array(20).fill(200), 429]);
  });

  it("rejects what is not six digits, and a number that is not valid", async () => {
    const u = await signUp("Shape", freshNumber());
    for (const code of ["12345", "1234567", "abcdef", ""]) expect((await typeCode(u.token, code)).data.error.code).toBe("invalid_input");
    expect((await typeCode(u.token, "123456")).data.error.code).toBe("code_expired"); // none sent yet
    expect((await askCode(u.token, { phone: "12345" })).data.error.code).toBe("invalid_phone");
  });
});

describe("the SMS provider", () => {
  it("never writes codes to the log outside a local host: `log` on a real host is 503 sms_unavailable", async () => {
    const u = await signUp("Prod", freshNumber());
    const res = await exports.default.fetch("https://unibox.example/api/me/phone", {
      method: "POST",
      headers: { Authorization: `Bearer ${u.token}`, "Content-Type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("sms_unavailable");
  });
});
