// A group's own sockets (docs/protocol.md, "A group's own socket"): the room pushes its
// entries to its members' room sockets, takes sends and acks on them, and hands each
// member's hub a quiet, lazy digest; a member with no room socket still gets everything through
// the hub. Every test here goes through the Worker, as a phone would.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { Env } from "../worker/env";
import { hubOf, roomOf } from "./stubs";
import { describe, expect, it, vi } from "vitest";
import type { ServerFrame } from "../core/protocol";
import { png1x1 } from "../worker/media/test-samples";
import { api, Client, createGroup, crew } from "../worker/test/helpers";

type Ev = Extract<ServerFrame, { t: "ev" }>;
type Accepted = Extract<ServerFrame, { t: "accepted" }>;
type Msg = { id: string; from: string; body: { text?: string } };
const texts = (c: Client, conv: string) => c.events("message").filter((f) => f.ev.type === "message" && f.ev.conv === conv).map((f) => ((f.ev as { msg: Msg }).msg.body.text));
const history = async (token: string, conv: string) =>
  ((await api(`/api/conversations/${encodeURIComponent(conv)}/messages`, { token })).data.messages as Msg[]).map((m) => m.body.text);
const say = (id: string, group: string, text: string) => ({ t: "send", id, to: { group }, body: { type: "text", text } });

describe("room sockets: live delivery", () => {
  it("pushes a send on a room socket to every member's room socket, not their hub socket; the hubs store it quietly", async () => {
    const [a, b, c] = await crew(3);
    const group = await createGroup(a!, [b!, c!]);
    const hubs = await Promise.all([a, b, c].map((u) => Client.open(u!.token, 0)));
    const rooms = await Promise.all([a, b, c].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    rooms[0]!.send(say("r1", group.id, "  hello room  "));
    const acc = await rooms[0]!.next<Accepted>((f) => f.t === "accepted");
    expect(acc).toMatchObject({ id: "r1", conv: group.conv });
    for (const r of rooms) {
      const ev = await r.next<Ev>((f) => f.t === "ev" && f.ev.type === "message");
      expect(ev.ev).toMatchObject({ type: "message", conv: group.conv, msg: { id: acc.msgId, from: a!.user.id, source: "unibox", body: { type: "text", text: "hello room" }, at: acc.at } });
      // The devices ack what they stored (the sender's own copy needs none).
      if (r !== rooms[0]) r.send({ t: "ack", seq: ev.seq });
    }
    // Every member's hub gets its copy for history and search (a history page catches it up).
    for (const u of [a, b, c]) await vi.waitFor(() => history(u!.token, group.conv).then((h) => expect(h).toEqual(["hello room"])), { timeout: 6000 });
    // …and no hub logged or pushed it: the room sockets had it.
    await new Promise((r) => setTimeout(r, 300));
    for (const h of hubs) expect(texts(h, group.conv)).toEqual([]);
    [...hubs, ...rooms].forEach((s) => s.close());
  });

  it("an entry no device acked on a room socket also comes on /api/ws once the ack grace has passed", async () => {
    // A room socket can die with frames in flight, and a device without a cursor says hello
    // fresh: what no device confirmed is logged and pushed by the hub as well.
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const bobHub = await Client.open(b!.token, 0);
    const bobRoom = await Client.room(b!.token, group.id, { fresh: true });
    const alice = await Client.room(a!.token, group.id, { fresh: true });
    alice.send(say("na", group.id, "never acked"));
    await alice.next((f) => f.t === "accepted");
    await bobRoom.next((f) => f.t === "ev" && f.ev.type === "message");
    const viaHub = await bobHub.next<Ev>((f) => f.t === "ev" && f.ev.type === "message", 8000);
    expect(viaHub.ev).toMatchObject({ conv: group.conv, msg: { body: { text: "never acked" } } });
    // Alice's own copy stays quiet on her hub: she sent it.
    await vi.waitFor(() => history(a!.token, group.conv).then((h) => expect(h).toEqual(["never acked"])), { timeout: 6000 });
    [bobHub, bobRoom, alice].forEach((s) => s.close());
  });

  it("a device whose acks keep moving, however far behind, gets nothing twice; once they stop, the grace runs out and the hub pushes what was never acked", async () => {
    // A room past what it sustains: the acks come back later than the grace, but they keep
    // coming, so the socket works and delivers in order. Pushing those entries on /api/ws as
    // well doubled the work of a room that was already behind.
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const bobHub = await Client.open(b!.token, 0);
    const bobRoom = await Client.room(b!.token, group.id, { fresh: true });
    const alice = await Client.room(a!.token, group.id, { fresh: true });
    const seqs: number[] = [];
    for (let i = 0; i < 20; i++) {
      alice.send(say(`lag${i}`, group.id, `m${i}`));
      await alice.next((f) => f.t === "accepted" && f.id === `lag${i}`);
      const ev = await bobRoom.next<Ev>((f) => f.t === "ev" && f.ev.type === "message" && f.ev.msg.body.type === "text" && f.ev.msg.body.text === `m${i}`);
      seqs.push(ev.seq);
      // Bob's acks run ever further behind: on the i-th message, up to the (i/2)-th. Each of
      // m7…m9 waits 2.1–2.7 s for its ack (past the 2 s grace); an ack moves every 600 ms.
      if (i % 2 === 0) bobRoom.send({ t: "ack", seq: seqs[i / 2]! });
      await new Promise((r) => setTimeout(r, 300));
    }
    // Bob's acks stop at m9: 2 s after the last one moved, m10…m19 come through his hub.
    await vi.waitFor(() => expect(texts(bobHub, group.conv)).toHaveLength(10), { timeout: 8000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(texts(bobHub, group.conv)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 10}`));
    // His hub holds every one, once, in order (the acked ones quietly).
    expect(await history(b!.token, group.conv)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    [bobHub, bobRoom, alice].forEach((s) => s.close());
  }, 20_000);

  it("a member with no room socket gets the group's messages through the hub, live", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const bobHub = await Client.open(b!.token, 0);
    const alice = await Client.room(a!.token, group.id, { fresh: true });
    alice.send(say("x1", group.id, "to bob's hub"));
    await alice.next((f) => f.t === "accepted");
    const ev = await bobHub.next<Ev>((f) => f.t === "ev" && f.ev.type === "message");
    expect(ev.ev).toMatchObject({ conv: group.conv, msg: { body: { text: "to bob's hub" } } });
    [bobHub, alice].forEach((s) => s.close());
  });

  it("sends are idempotent by client id across the room socket and the hub socket", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const room = await Client.room(a!.token, group.id, { fresh: true });
    const hub = await Client.open(a!.token, 0);
    room.send(say("same", group.id, "once"));
    const first = await room.next<Accepted>((f) => f.t === "accepted");
    room.send(say("same", group.id, "once"));
    expect(await room.next<Accepted>((f) => f.t === "accepted")).toEqual(first);
    // The phone's room socket dropped before `accepted`; the retry went on the hub socket.
    hub.send(say("same", group.id, "once"));
    expect(await hub.next<Accepted>((f) => f.t === "accepted")).toMatchObject({ id: "same", msgId: first.msgId, at: first.at });
    // And the other way round: first on the hub, then again on the room socket.
    hub.send(say("other", group.id, "twice?"));
    const viaHub = await hub.next<Accepted>((f) => f.t === "accepted");
    room.send(say("other", group.id, "twice?"));
    expect(await room.next<Accepted>((f) => f.t === "accepted")).toMatchObject({ id: "other", msgId: viaHub.msgId });
    await vi.waitFor(() => history(b!.token, group.conv).then((h) => expect(h).toEqual(["once", "twice?"])), { timeout: 6000 });
    [room, hub].forEach((s) => s.close());
  });

  it("acks on room sockets become one `delivered` for the sender, on the sender's hub socket", async () => {
    const [a, b, c] = await crew(3);
    const group = await createGroup(a!, [b!, c!]);
    const aliceHub = await Client.open(a!.token, 0);
    const rooms = await Promise.all([a, b, c].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    rooms[0]!.send(say("d1", group.id, "tick?"));
    const acc = await rooms[0]!.next<Accepted>((f) => f.t === "accepted");
    for (const r of rooms.slice(1)) {
      const ev = await r.next<Ev>((f) => f.t === "ev" && f.ev.type === "message");
      r.send({ t: "ack", seq: ev.seq });
    }
    const status = await aliceHub.next<Ev>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "delivered", 8000);
    expect(status.ev).toMatchObject({ conv: group.conv, msgIds: [acc.msgId], state: "delivered" });
    // The sender's stored copy says so too.
    await vi.waitFor(async () => {
      const mine = (await api(`/api/conversations/${encodeURIComponent(group.conv)}/messages`, { token: a!.token })).data.messages as { id: string; state?: string }[];
      expect(mine.find((m) => m.id === acc.msgId)?.state).toBe("delivered");
    });
    // Only the first member's receipt changes anything: one status event, not one per member.
    await new Promise((r) => setTimeout(r, 500));
    expect(aliceHub.events("status").filter((f) => f.ev.type === "status" && f.ev.state === "delivered")).toHaveLength(0);
    [aliceHub, ...rooms].forEach((s) => s.close());
  });

  it("a `read` of a message the hub does not hold yet fetches it from the room first", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const rooms = await Promise.all([a, b].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    const aliceHub = await Client.open(a!.token, 0);
    const bobHub = await Client.open(b!.token, 0);
    rooms[0]!.send(say("rd", group.id, "read me"));
    const acc = await rooms[0]!.next<Accepted>((f) => f.t === "accepted");
    await rooms[1]!.next((f) => f.t === "ev" && f.ev.type === "message");
    // At once, well inside the digest window.
    bobHub.send({ t: "read", conv: group.conv, msgIds: [acc.msgId] });
    const own = await bobHub.next<Ev>((f) => f.t === "ev" && f.ev.type === "status");
    expect(own.ev).toMatchObject({ state: "read", msgIds: [acc.msgId], unread: 0 });
    expect(bobHub.frames.filter((f) => f.t === "error")).toEqual([]);
    const seen = await aliceHub.next<Ev>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "read", 8000);
    expect(seen.ev).toMatchObject({ msgIds: [acc.msgId], by: b!.user.id });
    [...rooms, aliceHub, bobHub].forEach((s) => s.close());
  });
});

const roomStub = (id: string) => roomOf(env as unknown as Env, id);
/** How many of the group's messages the member's hub holds, read from its storage (asking the hub over HTTP would make it catch up). */
const held = (userId: string, conv: string) =>
  runInDurableObject(hubOf(env as unknown as Env, userId), async (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages WHERE conv = ?", conv).one().n);
/** The member's devices sent `n` messages on their room socket; the others acked each. */
async function chat(rooms: Client[], group: string, texts: string[]): Promise<Accepted[]> {
  const accepted: Accepted[] = [];
  for (const [i, text] of texts.entries()) {
    rooms[0]!.send(say(`lz${i}`, group, text));
    accepted.push(await rooms[0]!.next<Accepted>((f) => f.t === "accepted" && f.id === `lz${i}`));
  }
  for (const r of rooms.slice(1)) {
    const last = accepted.at(-1)!;
    const ev = await r.next<Ev>((f) => f.t === "ev" && f.ev.type === "message" && f.ev.msg.id === last.msgId);
    r.send({ t: "ack", seq: ev.seq });
  }
  return accepted;
}

describe("room sockets: what a send and an ack write", () => {
  it("the log's head and the receipts survive a restart: the next send takes the next seq, a retry its first answer, a receipt is recorded once it reached the sender", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const aliceHub = await Client.open(a!.token, 0);
    const rooms = await Promise.all([a, b].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    const [first, second] = await chat(rooms, group.id, ["one", "two"]);
    const status = await aliceHub.next<Ev>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "delivered", 8000);
    expect(status.ev).toMatchObject({ msgIds: [first!.msgId, second!.msgId] });
    const seqOf = async (msgId: string) => (await rooms[1]!.next<Ev>((f) => f.t === "ev" && f.ev.type === "message" && f.ev.msg.id === msgId)).seq;
    type Info = { info(): Promise<{ head: number }> };
    const stored = await runInDurableObject(roomStub(group.id), async (instance, state) => {
      // A fresh instance over the same storage is the room after a restart: nothing in memory.
      const restarted = new (instance.constructor as new (s: DurableObjectState, e: unknown) => Info)(state, env);
      return {
        live: (await (instance as unknown as Info).info()).head,
        head: (await restarted.info()).head,
        receipted: state.storage.sql.exec<{ msg_id: string }>("SELECT msg_id FROM receipted ORDER BY msg_id").toArray().map((r) => r.msg_id),
        claims: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log WHERE client_id IS NOT NULL").one().n,
      };
    });
    // Two invitations and two messages.
    expect(stored).toEqual({ live: 4, head: 4, receipted: [first!.msgId, second!.msgId].sort(), claims: 2 });
    // The same client id again: the first answer, no new entry; then a new send takes head + 1.
    rooms[0]!.send(say("lz0", group.id, "one"));
    expect(await rooms[0]!.next<Accepted>((f) => f.t === "accepted" && f.id === "lz0")).toEqual(first);
    rooms[0]!.send(say("lz9", group.id, "three"));
    const third = await rooms[0]!.next<Accepted>((f) => f.t === "accepted" && f.id === "lz9");
    expect(await seqOf(third.msgId)).toBe(5);
    expect(await history(b!.token, group.conv)).toEqual(["one", "two", "three"]);
    [aliceHub, ...rooms].forEach((s) => s.close());
  }, 20_000);

  it("a room from before the claims moved into the log keeps its claims: a retry of an old send gets its first answer after the restart", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const rooms = await Promise.all([a, b].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    const [first] = await chat(rooms, group.id, ["one"]);
    type Info = { info(): Promise<{ head: number }> };
    const after = await runInDurableObject(roomStub(group.id), async (instance, state) => {
      const sql = state.storage.sql;
      // The old layout: the claim in `posts`, a log without `client_id`.
      state.storage.transactionSync(() => {
        sql.exec("CREATE TABLE posts (sender TEXT NOT NULL, client_id TEXT NOT NULL, msg_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (sender, client_id))");
        sql.exec("INSERT INTO posts SELECT sender, client_id, msg_id, seq FROM log WHERE client_id IS NOT NULL");
        sql.exec("DROP INDEX log_claim");
        sql.exec("CREATE TABLE old_log (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, msg_id TEXT UNIQUE, sender TEXT, payload TEXT NOT NULL, at INTEGER NOT NULL, only TEXT)");
        sql.exec("INSERT INTO old_log SELECT seq, kind, msg_id, sender, payload, at, only FROM log");
        sql.exec("DROP TABLE log");
        sql.exec("ALTER TABLE old_log RENAME TO log");
      });
      const before = sql.exec<{ name: string }>("PRAGMA table_info(log)").toArray().map((c) => c.name);
      // A fresh instance over the same storage is the room after a restart (it migrates).
      const restarted = new (instance.constructor as new (s: DurableObjectState, e: unknown) => Info)(state, env);
      return {
        before: before.includes("client_id"),
        head: (await restarted.info()).head,
        posts: sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'posts'").toArray().length,
        claims: sql.exec<{ client_id: string }>("SELECT client_id FROM log WHERE client_id IS NOT NULL").toArray().map((r) => r.client_id),
      };
    });
    expect(after).toEqual({ before: false, head: 3, posts: 0, claims: ["lz0"] });
    // The live instance shares that storage: its next sends meet the migrated log.
    const again = rooms[0]!;
    again.send(say("lz0", group.id, "one"));
    expect(await again.next<Accepted>((f) => f.t === "accepted" && f.id === "lz0")).toEqual(first);
    again.send(say("lz1", group.id, "two"));
    const second = await again.next<Accepted>((f) => f.t === "accepted" && f.id === "lz1");
    expect(second.msgId).not.toBe(first!.msgId);
    expect(await history(b!.token, group.conv)).toEqual(["one", "two"]);
    rooms.forEach((s) => s.close());
  }, 20_000);
});

describe("room sockets: the hubs' copy is lazy while the members are live", () => {
  it("no hub call for what the devices acked; a history page brings the hub its copy first", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const bobHub = await Client.open(b!.token, 0);
    const rooms = await Promise.all([a, b].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    await chat(rooms, group.id, ["one", "two"]);
    // Past the ack grace (GROUP_ACK_GRACE_MS, 2 s), well inside the digest (GROUP_DIGEST_MS, 10 min).
    await new Promise((r) => setTimeout(r, 3000));
    // Bob's hub has nothing yet. Alice's has her own two: Bob's `delivered` for them came
    // back, and a receipt brings its sender's copies along (the ticks need them).
    expect([await held(a!.user.id, group.conv), await held(b!.user.id, group.conv)]).toEqual([2, 0]);
    expect(await history(b!.token, group.conv)).toEqual(["one", "two"]);
    expect(await held(b!.user.id, group.conv)).toBe(2);
    // The conversation list catches up too.
    await chat([rooms[1]!, rooms[0]!], group.id, ["three"]);
    expect(await held(a!.user.id, group.conv)).toBe(2);
    const convs = (await api("/api/conversations", { token: a!.token })).data.conversations as { id: string; last?: { body: { text: string } } }[];
    expect(convs.find((c) => c.id === group.conv)?.last?.body.text).toBe("three");
    // Bob's devices had both on the room socket: his hub pushed neither.
    expect(texts(bobHub, group.conv)).toEqual([]);
    [bobHub, ...rooms].forEach((s) => s.close());
  });

  it("search catches up the groups first", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const rooms = await Promise.all([a, b].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    await chat(rooms, group.id, ["pancakes at nine"]);
    expect(await held(b!.user.id, group.conv)).toBe(0);
    const found = (await api(`/api/search?q=pancakes`, { token: b!.token })).data.hits as { message?: { body: { text: string } } }[];
    expect(found.map((h) => h.message?.body.text)).toEqual(["pancakes at nine"]);
    rooms.forEach((s) => s.close());
  });

  it("the member's last room socket closing hands over: acked entries stored quietly, the unacked one pushed on /api/ws", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const bobHub = await Client.open(b!.token, 0);
    const rooms = await Promise.all([a, b].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    await chat(rooms, group.id, ["acked"]);
    rooms[0]!.send(say("un", group.id, "not acked"));
    await rooms[0]!.next((f) => f.t === "accepted" && f.id === "un");
    await rooms[1]!.next((f) => f.t === "ev" && f.ev.type === "message" && f.ev.msg.body.type === "text" && f.ev.msg.body.text === "not acked");
    rooms[1]!.close();
    // Well before the ack grace would have made it go.
    const pushed = await bobHub.next<Ev>((f) => f.t === "ev" && f.ev.type === "message", 1500);
    expect(pushed.ev).toMatchObject({ conv: group.conv, msg: { body: { text: "not acked" } } });
    await vi.waitFor(async () => expect(await held(b!.user.id, group.conv)).toBe(2));
    // The acked one stayed quiet.
    expect(texts(bobHub, group.conv)).toEqual([]);
    [bobHub, rooms[0]!].forEach((s) => s.close());
  });

  it("at the latest, the room's digest alarm brings every live member's hub its copy, quietly", async () => {
    const [a, b, c] = await crew(3);
    const group = await createGroup(a!, [b!, c!]);
    const hubs = await Promise.all([b, c].map((u) => Client.open(u!.token, 0)));
    const rooms = await Promise.all([a, b, c].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    await chat(rooms, group.id, ["later", "is fine"]);
    await new Promise((r) => setTimeout(r, 2500));
    const digestAt = () => runInDurableObject(roomStub(group.id), async (_i, state) => state.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'digest_at'").toArray()[0]?.v);
    // Armed once, by the first entry, GROUP_DIGEST_MS ahead.
    expect(Number(await digestAt())).toBeGreaterThan(Date.now() + 50_000);
    for (const u of [b, c]) expect(await held(u!.user.id, group.conv)).toBe(0);
    // Its time comes.
    await runInDurableObject(roomStub(group.id), async (instance) => (instance as unknown as { setMeta(k: string, v: number): void }).setMeta("digest_at", Date.now() - 1));
    expect(await runDurableObjectAlarm(roomStub(group.id))).toBe(true);
    for (const u of [a, b, c]) expect(await held(u!.user.id, group.conv)).toBe(2);
    expect(await digestAt()).toBeUndefined();
    for (const h of hubs) expect(texts(h, group.conv)).toEqual([]);
    [...hubs, ...rooms].forEach((s) => s.close());
  });

  it("a page piled up goes at once, without waiting for the digest", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const rooms = await Promise.all([a, b].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    // One page (BATCH, 200) behind, acked: the room's next look (after the grace) delivers it.
    await chat(rooms, group.id, Array.from({ length: 200 }, (_, i) => `n${i}`));
    await vi.waitFor(async () => expect(await held(b!.user.id, group.conv)).toBe(200), { timeout: 6000 });
    rooms.forEach((s) => s.close());
  });
});

describe("room: message times", () => {
  it("rise strictly with the log, so a thread shown by time is in the room's order", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const room = roomOf(env as unknown as Env, group.id);
    const late = Date.now() + 60_000;
    const first = await room.post(a!.user.id, "t1", { id: "m_t1", body: { type: "text", text: "first" }, at: late });
    // A hub that gave its send an earlier time, arriving after: the room's time wins.
    const second = await room.post(b!.user.id, "t2", { id: "m_t2", body: { type: "text", text: "second" }, at: late - 5_000 });
    expect(first).toMatchObject({ ok: true, msgId: "m_t1", at: late });
    expect(second).toMatchObject({ ok: true, msgId: "m_t2", at: late + 1 });
    // The sender's hub answers its client with the room's time, and stores its copy with it.
    const bob = await Client.open(b!.token, 0);
    bob.send(say("t2", group.id, "second"));
    expect(await bob.next<Accepted>((f) => f.t === "accepted")).toMatchObject({ msgId: "m_t2", at: late + 1 });
    const mine = (await api(`/api/conversations/${encodeURIComponent(group.conv)}/messages`, { token: b!.token })).data.messages as { id: string; at: number }[];
    expect(mine.map((m) => [m.id, m.at])).toEqual([["m_t1", late], ["m_t2", late + 1]]);
    bob.close();
  });
});

describe("room sockets: resume", () => {
  it("replays after the cursor, skipping entries that are not the member's; `fresh` replays what the hub lacks; a cursor past the head resets", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const alice = await Client.room(a!.token, group.id, { fresh: true });
    for (const [i, text] of ["one", "two", "three"].entries()) {
      alice.send(say(`s${i}`, group.id, text));
      await alice.next((f) => f.t === "accepted");
    }
    const seqs = alice.events("message").map((f) => f.seq);
    expect(seqs).toHaveLength(3);
    // Bob's invitation is his own entry: Alice never sees it, so her seqs have a gap there.
    const again = await Client.room(a!.token, group.id);
    again.send({ t: "hello", resume: seqs[0] });
    const ready = await again.next<Extract<ServerFrame, { t: "ready" }>>((f) => f.t === "ready");
    expect([texts(again, group.conv), ready]).toEqual([["two", "three"], { t: "ready", head: seqs[2] }]);
    const whole = await Client.room(a!.token, group.id, { resume: 0 });
    expect(whole.events().map((f) => f.ev.type)).toEqual(["group.invited", "message", "message", "message"]);
    expect(whole.events().every((f) => f.ev.type !== "group.invited" || (f.ev as { group: { id: string } }).group.id === group.id)).toBe(true);
    const ahead = await Client.room(a!.token, group.id);
    ahead.send({ t: "hello", resume: seqs[2]! + 50 });
    expect(await ahead.next((f) => f.t === "ready")).toEqual({ t: "ready", head: seqs[2], reset: true });
    expect(ahead.events()).toEqual([]);
    // A device with nothing stored: what Bob's hub already holds comes over HTTP, the rest here.
    await vi.waitFor(() => history(b!.token, group.conv).then((h) => expect(h).toEqual(["one", "two", "three"])), { timeout: 6000 });
    const bob = await Client.room(b!.token, group.id, { fresh: true });
    expect(bob.events()).toEqual([]);
    alice.send(say("s4", group.id, "four"));
    const four = await bob.next<Ev>((f) => f.t === "ev");
    expect(four.ev).toMatchObject({ type: "message", msg: { body: { text: "four" } } });
    [alice, again, whole, ahead, bob].forEach((s) => s.close());
  });
});

describe("room sockets: refusals and closes", () => {
  it("refuses strangers, non-upgrades and made-up groups; bad frames get errors and the socket stays open", async () => {
    const [a, b] = await crew(2);
    const [stranger] = await crew(1);
    const group = await createGroup(a!, [b!]);
    const upgrade = (token: string, id = group.id) => exports.default.fetch(`http://unibox.test/api/groups/${id}/ws`, { headers: { Upgrade: "websocket", Authorization: `Bearer ${token}` } });
    const refusal = async (res: Response) => [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    expect(await refusal(await upgrade(stranger!.token))).toEqual([404, "group_not_found"]);
    expect(await refusal(await upgrade(a!.token, "g_madeup"))).toEqual([404, "group_not_found"]);
    expect(await refusal(await exports.default.fetch(`http://unibox.test/api/groups/${group.id}/ws`, { headers: { Authorization: `Bearer ${a!.token}` } }))).toEqual([426, "upgrade_required"]);
    expect((await exports.default.fetch(`http://unibox.test/api/groups/${group.id}/ws`, { headers: { Upgrade: "websocket" } })).status).toBe(401);
    const alice = await Client.room(a!.token, group.id, { fresh: true });
    const errorOf = async (frame: unknown) => {
      alice.send(frame);
      return (await alice.next<Extract<ServerFrame, { t: "error" }>>((f) => f.t === "error")).code;
    };
    expect(await errorOf("{nope")).toBe("invalid_json");
    expect(await errorOf({ t: "send", id: "e1", to: { group: group.id }, body: { type: "text", text: "   " } })).toBe("invalid_frame");
    expect(await errorOf({ t: "send", id: "e2", to: { group: "g_elsewhere" }, body: { type: "text", text: "hi" } })).toBe("invalid_target");
    expect(await errorOf({ t: "send", id: "e3", to: { user: b!.user.id }, body: { type: "text", text: "hi" } })).toBe("invalid_target");
    expect(await errorOf({ t: "read", conv: group.conv, msgIds: ["m_x"] })).toBe("unsupported_frame");
    expect(await errorOf({ t: "ack", seq: 10_000 })).toBe("invalid_ack");
    expect(await errorOf({ t: "send", id: "e4", to: { group: group.id }, body: { type: "image", media: "md_notmine" } })).toBe("invalid_media");
    expect(await errorOf("x".repeat(70_000))).toBe("frame_too_large");
    // Still open and working.
    alice.send(say("ok", group.id, "still here"));
    expect(await alice.next((f) => f.t === "accepted")).toMatchObject({ id: "ok" });
    expect(alice.closed).toBeNull();
    alice.close();
  });

  it("takes a picture on the room socket when it is the sender's own upload", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const up = await api("/api/media", { method: "POST", token: a!.token, body: await png1x1(), headers: { "Content-Type": "image/png" } });
    expect(up.status).toBe(201);
    const alice = await Client.room(a!.token, group.id, { fresh: true });
    const bob = await Client.room(b!.token, group.id, { fresh: true });
    alice.send({ t: "send", id: "pic", to: { group: group.id }, body: { type: "image", media: up.data.media.id } });
    await alice.next((f) => f.t === "accepted");
    const ev = await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "message");
    expect(ev.ev).toMatchObject({ msg: { body: { type: "image", media: up.data.media.id } } });
    // Bob's hub learns of it with the digest, and then serves him the picture.
    await vi.waitFor(async () => expect((await api(`/api/media/${up.data.media.id}`, { token: b!.token })).status).toBe(200), { timeout: 6000 });
    [alice, bob].forEach((s) => s.close());
  });

  it("a member who leaves gets their leaving, then 4004; when the group ends every room socket gets it, then 4010", async () => {
    const [a, b, c] = await crew(3);
    const group = await createGroup(a!, [b!, c!]);
    const [alice, bob, carol] = await Promise.all([a, b, c].map((u) => Client.room(u!.token, group.id, { fresh: true })));
    expect((await api(`/api/groups/${group.id}/members/me`, { method: "DELETE", token: c!.token })).status).toBe(200);
    const left = await carol!.next<Ev>((f) => f.t === "ev" && f.ev.type === "group.member.left");
    expect(left.ev).toMatchObject({ user: c!.user.id });
    await vi.waitFor(() => expect(carol!.closed?.code).toBe(4004));
    await alice!.next((f) => f.t === "ev" && f.ev.type === "group.member.left");
    expect((await api(`/api/groups/${group.id}/ws`, { token: c!.token, headers: { Upgrade: "websocket" } })).status).toBe(404);
    expect((await api(`/api/groups/${group.id}`, { method: "DELETE", token: a!.token })).status).toBe(200);
    for (const s of [alice!, bob!]) {
      const ended = await s.next<Ev>((f) => f.t === "ev" && f.ev.type === "group.expired");
      expect(ended.ev).toMatchObject({ reason: "ended" });
      await vi.waitFor(() => expect(s.closed?.code).toBe(4010));
    }
  });

  it("signing out closes the session's room sockets with 4001", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const room = await Client.room(a!.token, group.id, { fresh: true });
    const other = await Client.room(b!.token, group.id, { fresh: true });
    expect((await api("/api/auth/logout", { method: "POST", token: a!.token })).status).toBe(200);
    await vi.waitFor(() => expect(room.closed?.code).toBe(4001));
    expect(other.closed).toBeNull();
    other.close();
  });
});
