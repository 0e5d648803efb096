// Property tests: random, truncated, oversized, wrong-typed and mutated-valid input at
// every HTTP route and every frame type. Invariants: never a 500, always the error
// shape, the socket never closes, what was stored before is unchanged, and afterwards
// the same user can still send and receive. FUZZ_RUNS raises the case count.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../core/protocol";
import { api, befriend, Client, register, textBody } from "./test/helpers";

const RUNS = Number(env.FUZZ_RUNS || 150);
const TIMEOUT = 10_000 + RUNS * 20;

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const weirdString = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "\u0000", "\uD800", "💥".repeat(2000), "NaN", "-1", "1e309", "[]", "{}", "null"),
);
const hugeNumber = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, -0, 0.5);
const deepJson = fc.integer({ min: 50, max: 3000 }).map((n) => "[".repeat(n) + "]".repeat(n));

/** Valid frames, then mutated: a field dropped, retyped or replaced. */
function mutatedFrames(peer: string) {
  const valid = fc.constantFrom<Record<string, unknown>>(
    { t: "hello", resume: 0 },
    { t: "send", id: "fz", to: { user: peer }, body: { type: "text", text: "x" } },
    { t: "send", id: "fz", to: { user: peer }, body: { type: "location", lat: 1, lng: 2 } },
    { t: "broadcast", id: "fz", to: [{ user: peer }], body: { type: "text", text: "x" } },
    { t: "send", id: "fz", to: { group: "g_nope" }, body: { type: "text", text: "x" } },
    { t: "send", id: "fz", to: { user: peer }, body: { type: "image", media: "md_nope", caption: "x" } },
    { t: "ack", seq: 1 },
    { t: "read", conv: "d:a:b", msgIds: ["m_1"] },
  );
  return fc.tuple(valid, fc.nat(), fc.oneof(jsonValue, weirdString, hugeNumber), fc.boolean()).map(([frame, i, value, drop]) => {
    const keys = Object.keys(frame);
    const key = keys[i % keys.length]!;
    const copy: Record<string, unknown> = structuredClone(frame);
    if (drop) delete copy[key];
    else copy[key] = value;
    return JSON.stringify(copy);
  });
}

describe("fuzz: frames", () => {
  it("never closes the socket or loses stored messages, and the user can still talk afterwards", async () => {
    const [a, b] = [await register("fuzza"), await register("fuzzb")];
    await befriend(a, b);
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);
    alice.send({ t: "send", id: "before-fuzz", to: { user: b.user.id }, body: textBody("kept") });
    const before = await alice.next<Extract<ServerFrame, { t: "accepted" }>>((f) => f.t === "accepted");

    const frames = fc.oneof(
      mutatedFrames(b.user.id),
      jsonValue.map((v) => JSON.stringify(v)),
      weirdString,
      deepJson,
      fc.string({ minLength: 0, maxLength: 200 }).map((s) => s.slice(0, Math.floor(s.length / 2))),
    );
    await fc.assert(
      fc.asyncProperty(frames, async (frame) => {
        alice.frames.length = 0;
        alice.send(frame);
        // A probe after every case: the hub answers it, so it also processed the case.
        alice.send({ t: "ack", seq: 10 ** 12 });
        const probe = await alice.next((f) => f.t === "error" && f.code === "invalid_ack");
        expect(probe).toBeTruthy();
        expect(alice.closed).toBeNull();
        expect(alice.frames.filter((f) => f.t === "error" && f.code === "internal")).toEqual([]);
      }),
      { numRuns: RUNS },
    );

    alice.send({ t: "send", id: "after-fuzz", to: { user: b.user.id }, body: textBody("still works") });
    expect((await alice.next<Extract<ServerFrame, { t: "accepted" }>>((f) => f.t === "accepted" && f.id === "after-fuzz")).conv).toBe(before.conv);
    await bob.next((f) => f.t === "ev" && f.ev.type === "message" && (f.ev.msg.body as { text?: string }).text === "still works");
    const history = await api(`/api/conversations/${before.conv}/messages?limit=200`, { token: b.token });
    expect(history.data.messages[0]).toMatchObject({ id: before.msgId, body: { type: "text", text: "kept" } });
    alice.close();
    bob.close();
  }, TIMEOUT);
});

describe("fuzz: HTTP", () => {
  it("answers any body at any route with a JSON error shape or success, never a 500", async () => {
    const a = await register("fuzzhttp");
    const routes: [string, string][] = [
      ["POST", "/api/auth/register"],
      ["POST", "/api/auth/login"],
      ["POST", "/api/auth/logout"],
      ["GET", "/api/me"],
      ["GET", "/api/friends"],
      ["POST", "/api/friends/requests"],
      ["GET", "/api/friends/requests"],
      ["POST", "/api/friends/requests/fr_x/accept"],
      ["POST", "/api/friends/requests/fr_x/decline"],
      ["DELETE", "/api/friends/u_x"],
      ["GET", "/api/conversations"],
      ["GET", "/api/conversations/d:x:y/messages"],
      ["GET", "/api/ws"],
      ["POST", "/api/contacts/discover"],
      ["POST", "/api/groups"],
      ["GET", "/api/groups"],
      ["POST", "/api/groups/g_x/members"],
      ["DELETE", "/api/groups/g_x/members/me"],
      ["DELETE", "/api/groups/g_x"],
      ["GET", "/api/push/key"],
      ["POST", "/api/push/subscriptions"],
      ["DELETE", "/api/push/subscriptions"],
    ];
    const body = fc.oneof(jsonValue.map((v) => JSON.stringify(v)), weirdString, deepJson);
    const query = fc.oneof(fc.constant(""), fc.string({ maxLength: 30 }).map((s) => `?before=${encodeURIComponent(s)}&limit=${encodeURIComponent(s)}`));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, query, fc.boolean(), async ([method, path], text, q, authed) => {
        const res = await api(path + q, {
          method,
          token: authed ? a.token : undefined,
          ...(method === "GET" ? {} : { json: text }),
        });
        expect(res.status, `${method} ${path}${q} ${text.slice(0, 60)}`).toBeLessThan(500);
        if (res.status >= 400) expect(res.data.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
      }),
      { numRuns: RUNS },
    );
    // The user is intact afterwards (the fuzzed logout may have ended that session).
    const again = await api("/api/auth/login", { method: "POST", json: { login: a.user.handle, password: a.password } });
    expect((await api("/api/me", { token: again.data.token })).data.user.id).toBe(a.user.id);
  }, TIMEOUT);
});
