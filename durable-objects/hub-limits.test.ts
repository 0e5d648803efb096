// What one user (or one stolen session) can do to a hub is bounded: sessions that end close
// their sockets, sockets per user are capped, sends are rate limited with a retry hint, and a
// hello never replays an unbounded log.
import { attachmentOf, setAttachment } from "./user-hub/socket-io";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { ServerFrame } from "../core/protocol";
import type { Env } from "../worker/env";
import { api, befriend, Client, register, textBody, timerDueNow, type TestUser } from "../worker/test/helpers";
import type { Hub } from "./user-hub/context";
import { MAX_REPLAY, MAX_SOCKETS } from "./user-hub/sockets";
import { EventLog, LOG_WINDOW } from "./user-hub/store/log";
import { MetaStore } from "./user-hub/store/meta";
import { hubOf } from "./stubs";

const hub = (u: TestUser) => hubOf(env as unknown as Env, u.user.id);

async function login(u: TestUser): Promise<string> {
  const res = await api("/api/auth/login", { method: "POST", json: { login: u.user.handle, password: u.password } });
  expect(res.status).toBe(200);
  return res.data.token;
}

describe("UserHub: sessions end their sockets", () => {
  it("closes the sockets of a session that logs out, and only those", async () => {
    const a = await register("sessout");
    const other = await login(a);
    const mine = await Client.open(a.token, 0);
    const theirs = await Client.open(other, 0);
    expect((await api("/api/auth/logout", { method: "POST", token: a.token })).status).toBe(200);
    await vi.waitFor(() => expect(mine.closed?.code).toBe(4001));
    expect(theirs.closed).toBeNull();
    // The other session still talks.
    theirs.send({ t: "ack", seq: 0 });
    theirs.send({ t: "hello", resume: 0 });
    await theirs.next((f) => f.t === "ready");
    theirs.close();
  });

  it("closes a socket whose session expired, on the hub's next look", async () => {
    const a = await register("sessexp");
    const sock = await Client.open(a.token, 0);
    await runInDurableObject(hub(a), async (instance, state) => {
      for (const ws of state.getWebSockets()) setAttachment(ws, { ...attachmentOf(ws), expiresAt: Date.now() - 1 });
      timerDueNow(instance, "reap");
    });
    expect(await runDurableObjectAlarm(hub(a))).toBe(true);
    await vi.waitFor(() => expect(sock.closed?.code).toBe(4001));
  });
});

describe("UserHub: bounds", () => {
  it(`keeps at most ${MAX_SOCKETS} sockets per user, closing the oldest with a reason`, async () => {
    const a = await register("manysock");
    const sockets: Client[] = [];
    for (let i = 0; i < MAX_SOCKETS; i++) sockets.push(await Client.open(a.token, 0));
    expect(sockets.every((s) => s.closed === null)).toBe(true);
    const newest = await Client.open(a.token, 0);
    await vi.waitFor(() => expect(sockets[0]!.closed?.code).toBe(4008));
    expect(sockets.slice(1).every((s) => s.closed === null)).toBe(true);
    newest.send({ t: "hello", resume: 0 });
    await newest.next((f) => f.t === "ready");
    for (const s of [...sockets.slice(1), newest]) s.close();
  });

  it("refuses sends past the user's rate with rate_limited and a retry hint, then takes them again", async () => {
    const [a, b] = [await register("flooda"), await register("floodb")];
    await befriend(a, b);
    const alice = await Client.open(a.token, 0);
    await runInDurableObject(hub(a), async (instance) => {
      const target = instance as unknown as { env: Env };
      target.env = { ...target.env, RATE_SENDS_PER_USER: "3/1" };
    });
    for (let i = 0; i < 5; i++) alice.send({ t: "send", id: `fl${i}`, to: { user: b.user.id }, body: textBody(`m${i}`) });
    const answers: ServerFrame[] = [];
    for (let i = 0; i < 5; i++) answers.push(await alice.next((f) => f.t === "accepted" || f.t === "error"));
    expect(answers.filter((f) => f.t === "accepted")).toHaveLength(3);
    const limited = answers.filter((f): f is Extract<ServerFrame, { t: "error" }> => f.t === "error");
    expect(limited.map((f) => f.code)).toEqual(["rate_limited", "rate_limited"]);
    expect(limited[0]!.retryAfterMs).toBeGreaterThan(0);
    expect(limited[0]!.retryAfterMs).toBeLessThanOrEqual(1000);
    // Once the hint has passed, the same send goes through.
    await new Promise((r) => setTimeout(r, limited[1]!.retryAfterMs! + 50));
    alice.send({ t: "send", id: limited[1]!.id, to: { user: b.user.id }, body: textBody("later") });
    expect(await alice.next((f) => f.t === "accepted" || f.t === "error")).toMatchObject({ t: "accepted", id: limited[1]!.id });
    alice.close();
  });

  it(`answers a hello more than ${MAX_REPLAY} events behind with ready {reset} instead of a replay`, async () => {
    const a = await register("longlog");
    await Client.open(a.token, 0).then((c) => c.close());
    await runInDurableObject(hub(a), async (instance) => {
      const { hub: h } = instance as unknown as { hub: Hub };
      for (let i = 0; i < MAX_REPLAY + 5; i++) h.store.log.append({ type: "presence", user: "u_x", online: i % 2 === 0, at: i });
    });
    const behind = await Client.open(a.token);
    behind.send({ t: "hello", resume: 1 });
    const ready = await behind.next<Extract<ServerFrame, { t: "ready" }>>((f) => f.t === "ready", 10_000);
    expect(ready).toMatchObject({ reset: true });
    expect(behind.events()).toHaveLength(0);
    // Within the bound it replays as before.
    const close = await Client.open(a.token);
    close.send({ t: "hello", resume: ready.head - 3 });
    await close.next((f) => f.t === "ready");
    expect(close.events().map((f) => f.seq)).toEqual([ready.head - 2, ready.head - 1, ready.head]);
    behind.close();
    close.close();
  });

  it("keeps the log to a window, by count and by age; a device below it gets ready {reset}, one inside it the replay", async () => {
    const a = await register("window");
    await Client.open(a.token, 0).then((c) => c.close());
    const month = 31 * 24 * 3_600_000;
    const { floor, head, rows } = await runInDurableObject(hub(a), async (instance, state) => {
      const { hub: h } = instance as unknown as { hub: Hub };
      const log = h.store.log;
      // By age: 40 events from last month, then 10 of today; the old ones go, the new stay.
      for (let i = 0; i < 40; i++) log.append({ type: "presence", user: "u_x", online: true, at: i }, Date.now() - month);
      for (let i = 0; i < 10; i++) log.append({ type: "presence", user: "u_x", online: false, at: i });
      const byAge = log.compact();
      expect(byAge).toBe(log.headSeq - 10);
      // By count: past KEEP, every EVERY appends the oldest go; the window never exceeds KEEP + EVERY.
      for (let i = 0; i < LOG_WINDOW.keep + 2 * LOG_WINDOW.every; i++) log.append({ type: "presence", user: "u_x", online: i % 2 === 0, at: i });
      // A batch (a group room's) that crosses an EVERY boundary compacts too.
      const presence = JSON.stringify({ type: "presence", user: "u_x", online: true, at: 0 });
      log.appendMany(Array.from({ length: LOG_WINDOW.every + 7 }, () => presence));
      const n = state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n;
      expect(n).toBeLessThanOrEqual(LOG_WINDOW.keep + LOG_WINDOW.every);
      expect(n).toBeGreaterThanOrEqual(LOG_WINDOW.keep);
      return { floor: log.floor, head: log.headSeq, rows: n };
    });
    expect(head - floor).toBe(rows); // gap-free above the floor
    // A device resuming below the floor cannot be replayed to; at the floor it can (within MAX_REPLAY).
    const below = await Client.open(a.token);
    below.send({ t: "hello", resume: floor - 1 });
    expect(await below.next((f) => f.t === "ready", 10_000)).toMatchObject({ reset: true });
    expect(below.events()).toHaveLength(0);
    const inside = await Client.open(a.token);
    inside.send({ t: "hello", resume: head - 5 });
    expect(await inside.next((f) => f.t === "ready")).not.toHaveProperty("reset");
    expect(inside.events().map((f) => f.seq)).toEqual([head - 4, head - 3, head - 2, head - 1, head]);
    // The floor and head survive the object going away: a log opened afresh on the storage reads them back.
    await runInDurableObject(hub(a), async (_i, state) => {
      const again = new EventLog(state.storage.sql, new MetaStore(state.storage.sql));
      expect([again.floor, again.headSeq]).toEqual([floor, head]);
    });
    below.close();
    inside.close();
  });
});
