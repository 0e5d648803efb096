// Room sockets: one per active group, redialled like the hub's but never making the app
// look offline, their entries applied like the hub's with a cursor of their own, sends
// taking them once ready, and a message that comes over both sockets applied once.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../../test/fake-socket";
import { json, serve } from "../../test/http";
import { alice, connectFake, resetClient } from "../../test/sync-harness";
import { TIMING, connection } from "./connection";
import { conversations } from "./conversations";
import { db, kv, loadSnapshot } from "./db";
import { type ClientGroup, groups } from "./groups";
import { echoes, outbox, pendingByConv, queueMessage } from "./outbox";
import { roomGroups, sendToRoom, startRooms, stopRooms } from "./rooms";
import { me } from "./session";
import { activeConv, currentCursor, resetSyncState, settled, startRoomSync, stopSync } from "./sync";
import { threadOf } from "./threads";
import type { Group, HubEvent, ServerFrame, User } from "./types";

const user = (id: string, name: string): User => ({ id, handle: name.toLowerCase(), address: `${name.toLowerCase()}@x`, displayName: name });
const bob = user("u_b", "Bob");
const carol = user("u_c", "Carol");

function group(id: string, extra: Partial<ClientGroup> = {}): ClientGroup {
  const g: Group = { id, conv: `g:${id}`, name: id, owner: "u_a", members: [alice, bob, carol], ttlHours: 24, createdAt: 1, endedAt: null, endReason: null };
  return { ...g, past: [], notices: [], ...extra };
}

const roomSockets = (id: string) => FakeSocket.all.filter((s) => s.url.includes(`/api/groups/${id}/ws`));
const room = (id: string) => roomSockets(id).at(-1)!;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

const conv = "g:g_1";
const text = (t: string) => ({ type: "text" as const, text: t });
const msg = (id: string, from: string, at: number, body = text(id)): HubEvent => ({ type: "message", conv, msg: { id, from, source: "unibox", body, at } });
const sends = (s: FakeSocket) => s.frames().filter((f) => f.t === "send");
const acks = (s: FakeSocket) => s.frames().filter((f) => f.t === "ack");

describe("room sockets: dialling", () => {
  const frames: [string, ServerFrame][] = [];
  const closed: string[] = [];
  const signedOut = vi.fn();

  function start(cursors: Record<string, number> = {}) {
    startRooms({
      resume: (g) => cursors[g] ?? 0,
      onFrame: (g, f) => frames.push([g, f]),
      onClosed: (g) => closed.push(g),
      onSignedOut: signedOut,
      url: (g, self) => `ws://t/api/groups/${g}/ws?as=${self}`,
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
      random: () => 1,
    });
  }

  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    frames.length = 0;
    closed.length = 0;
    signedOut.mockReset();
    me.value = alice;
    connection.value = "online";
    groups.value = {};
  });
  afterEach(() => {
    stopRooms();
    vi.useRealTimers();
  });

  it("opens one socket per active group once the hub is online, and hangs up when a group ends or is left", async () => {
    connection.value = "connecting";
    groups.value = { g_1: group("g_1"), g_2: group("g_2"), g_3: group("g_3", { endedAt: 5, endReason: "ttl" }), g_4: group("g_4", { left: true }) };
    start();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all).toEqual([]);

    connection.value = "online";
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all.map((s) => s.url).sort()).toEqual(["ws://t/api/groups/g_1/ws?as=u_a", "ws://t/api/groups/g_2/ws?as=u_a"]);
    expect(roomGroups().sort()).toEqual(["g_1", "g_2"]);
    room("g_1").open();
    room("g_2").open();

    groups.value = { ...groups.value, g_1: group("g_1", { endedAt: 9, endReason: "ended" }) };
    expect(room("g_1").closed).toBe(true);
    expect(closed).toEqual(["g_1"]);
    groups.value = { ...groups.value, g_2: group("g_2", { left: true }) };
    expect(room("g_2").closed).toBe(true);
    expect(roomGroups()).toEqual([]);
    await vi.advanceTimersByTimeAsync(TIMING.backoffCapMs * 2);
    expect(FakeSocket.all).toHaveLength(2);

    // Invited again after leaving: a room once more.
    groups.value = { ...groups.value, g_2: group("g_2") };
    await vi.advanceTimersByTimeAsync(0);
    expect(roomSockets("g_2")).toHaveLength(2);
  });

  it("says hello with the group's cursor, or fresh without one, and sends only once ready (acks before)", async () => {
    groups.value = { g_1: group("g_1"), g_2: group("g_2") };
    start({ g_1: 812 });
    await vi.advanceTimersByTimeAsync(0);
    room("g_1").open();
    room("g_2").open();
    expect(room("g_1").frames()).toEqual([{ t: "hello", resume: 812 }]);
    expect(room("g_2").frames()).toEqual([{ t: "hello", fresh: true }]);

    const send = { t: "send", id: "c1", to: { group: "g_1" }, body: text("hi") } as const;
    expect(sendToRoom("g_1", send)).toBe(false);
    expect(sendToRoom("g_1", { t: "ack", seq: 813 })).toBe(true);
    room("g_1").deliver({ t: "ready", head: 830 });
    expect(sendToRoom("g_1", send)).toBe(true);
    expect(room("g_1").frames().map((f) => f.t)).toEqual(["hello", "ack", "send"]);
    expect(frames.map(([g, f]) => [g, f.t])).toEqual([["g_1", "ready"]]);
  });

  it("keeps alive with the bare ping, redials a dead link with backoff, and leaves the hub's indicator alone", async () => {
    groups.value = { g_1: group("g_1") };
    start({ g_1: 7 });
    await vi.advanceTimersByTimeAsync(0);
    const first = room("g_1");
    first.open();
    first.deliver({ t: "ready", head: 7 });
    vi.advanceTimersByTime(TIMING.pingEveryMs);
    expect(first.sent.at(-1)).toBe("ping");
    first.deliver("pong");
    // The pong kept it: the next ping goes out on the same socket, and nothing answers that one.
    vi.advanceTimersByTime(TIMING.pingEveryMs);
    expect(first.closed).toBe(false);
    expect(first.sent.filter((s) => s === "ping")).toHaveLength(2);
    vi.advanceTimersByTime(TIMING.pongTimeoutMs);
    expect(first.closed).toBe(true);
    expect(closed).toEqual(["g_1"]);
    expect(connection.value).toBe("online");

    // random() = 1: the full delay, 500 ms, then 1 s for the second try.
    await vi.advanceTimersByTimeAsync(TIMING.backoffBaseMs - 1);
    expect(roomSockets("g_1")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(roomSockets("g_1")).toHaveLength(2);
    // A refused upgrade (not a member any more, say) is a close without a code: backed off too.
    room("g_1").drop();
    await vi.advanceTimersByTimeAsync(2 * TIMING.backoffBaseMs - 1);
    expect(roomSockets("g_1")).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(roomSockets("g_1")).toHaveLength(3);
    room("g_1").open();
    expect(room("g_1").frames()[0]).toEqual({ t: "hello", resume: 7 });
    expect(connection.value).toBe("online");

    // ...until the list says the group is gone: then no more dials.
    room("g_1").drop();
    groups.value = { g_1: group("g_1", { left: true }) };
    await vi.advanceTimersByTimeAsync(TIMING.backoffCapMs * 2);
    expect(roomSockets("g_1")).toHaveLength(3);
  });

  it("does not redial after 4004 (left) or 4010 (ended), and 4001 signs out like the hub's", async () => {
    groups.value = { g_1: group("g_1"), g_2: group("g_2"), g_3: group("g_3") };
    start();
    await vi.advanceTimersByTimeAsync(0);
    for (const g of ["g_1", "g_2", "g_3"]) room(g).open();
    room("g_1").drop(4004);
    room("g_2").drop(4010);
    expect(signedOut).not.toHaveBeenCalled();
    room("g_3").drop(4001);
    expect(signedOut).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(TIMING.backoffCapMs * 2);
    expect(FakeSocket.all).toHaveLength(3);
    // The visibility and network events redial waiting rooms, not finished ones.
    window.dispatchEvent(new Event("online"));
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all).toHaveLength(3);
  });

  it("drops its sockets when the OS reports offline and redials at once when the network is back", async () => {
    groups.value = { g_1: group("g_1") };
    start();
    await vi.advanceTimersByTimeAsync(0);
    room("g_1").open();
    const onLine = vi.spyOn(navigator, "onLine", "get").mockReturnValue(false);
    window.dispatchEvent(new Event("offline"));
    expect(room("g_1").closed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(roomSockets("g_1")).toHaveLength(1);
    onLine.mockReturnValue(true);
    window.dispatchEvent(new Event("online"));
    await vi.advanceTimersByTimeAsync(0);
    expect(roomSockets("g_1")).toHaveLength(2);
    onLine.mockRestore();
  });
});

describe("room sockets through sync", () => {
  beforeEach(async () => {
    await resetClient();
    groups.value = { g_1: group("g_1") };
    threadOf(conv).value = { messages: [], before: undefined, loadingOlder: false, loaded: false };
  });
  afterEach(() => {
    stopSync();
    vi.restoreAllMocks();
  });

  /** The hub online, then the room of g_1 open (and ready at `head`, if given). */
  async function connectBoth({ head }: { head?: number } = {}): Promise<{ hub: FakeSocket; roomSock: FakeSocket }> {
    const hub = await connectFake({ ready: 0 });
    startRoomSync({ url: (g, self) => `ws://t/api/groups/${g}/ws?as=${self}`, WebSocketImpl: FakeSocket as unknown as typeof WebSocket, random: () => 0 });
    await vi.waitFor(() => expect(roomSockets("g_1").length).toBeGreaterThan(0));
    const roomSock = room("g_1");
    roomSock.open();
    if (head !== undefined) {
      roomSock.deliver({ t: "ready", head });
      await settled();
    }
    return { hub, roomSock };
  }

  it("stores a room's entries with its own cursor in one go, skips what it has, and resumes from there", async () => {
    const { hub, roomSock } = await connectBoth();
    expect(roomSock.frames()).toEqual([{ t: "hello", fresh: true }]);
    threadOf(conv).value = { ...threadOf(conv).value, loaded: true };
    // Gaps: the entries in between were for others.
    roomSock.deliver({ t: "ev", seq: 5, ev: msg("m5", "u_b", 50) });
    roomSock.deliver({ t: "ev", seq: 9, ev: msg("m9", "u_c", 90) });
    await settled();
    expect(await kv.get("room:g_1")).toBe(9);
    expect(await (await db()).get("messages", "m9")).toMatchObject({ conv, from: "u_c" });
    // The room's seqs are not the hub's: its cursor stays, and the messages keep them apart.
    expect(currentCursor()).toBe(0);
    expect(await kv.get("seq")).toBeUndefined();
    const m9 = await (await db()).get("messages", "m9");
    expect([m9?.seq, m9?.roomSeq]).toEqual([undefined, 9]);

    roomSock.deliver({ t: "ready", head: 12 });
    roomSock.deliver({ t: "ev", seq: 12, ev: msg("old", "u_b", 95) });
    roomSock.deliver({ t: "ev", seq: 14, ev: msg("m14", "u_b", 140) });
    await settled();
    expect(await kv.get("room:g_1")).toBe(14);
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["m5", "m9", "m14"]);
    expect(conversations.value.find((c) => c.id === conv)).toMatchObject({ unread: 3, last: { id: "m14" } });

    // A lost link: the room redials and resumes after what is stored.
    roomSock.drop();
    await vi.waitFor(() => expect(roomSockets("g_1")).toHaveLength(2));
    room("g_1").open();
    expect(room("g_1").frames()[0]).toEqual({ t: "hello", resume: 14 });
    expect(connection.value).toBe("online");
    expect(hub.frames().filter((f) => f.t === "hello")).toHaveLength(1);
  });

  it("acks every stored burst on the room's socket, with the room's seq, paced", async () => {
    // Up to the ack the member's hub stores quietly; what no device acks it also pushes on
    // the hub's socket (docs/protocol.md): so own copies and events are acked too.
    const { hub, roomSock } = await connectBoth({ head: 0 });
    roomSock.deliver({ t: "ev", seq: 3, ev: msg("own", "u_a", 30) });
    await settled();
    await vi.waitFor(() => expect(acks(roomSock).at(-1)).toEqual({ t: "ack", seq: 3 }));
    roomSock.deliver({ t: "ev", seq: 7, ev: msg("theirs", "u_b", 70) });
    await settled();
    await vi.waitFor(() => expect(acks(roomSock).at(-1)).toEqual({ t: "ack", seq: 7 }));
    roomSock.deliver({ t: "ev", seq: 10, ev: { type: "group.member.joined", conv, group: "g_1", user: user("u_d", "Dave"), by: "u_a" } });
    roomSock.deliver({ t: "ev", seq: 11, ev: { type: "group.member.left", conv, group: "g_1", user: "u_d" } });
    await settled();
    await vi.waitFor(() => expect(acks(roomSock).at(-1)).toEqual({ t: "ack", seq: 11 }));
    // Paced: never two acks for one seq, and each ack past the one before.
    const seqs = acks(roomSock).map((a) => (a as { seq: number }).seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
    expect(await kv.get("room:g_1")).toBe(11);
    // Nothing of it is the hub's to hear.
    expect(acks(hub)).toEqual([]);
  });

  it("acks the head on a fresh device's first ready, and takes a head past its cursor", async () => {
    const { roomSock } = await connectBoth({ head: 40 });
    expect(acks(roomSock)).toEqual([{ t: "ack", seq: 40 }]);
    expect(await kv.get("room:g_1")).toBe(40);
    roomSock.drop();
    await vi.waitFor(() => expect(roomSockets("g_1")).toHaveLength(2));
    room("g_1").open();
    expect(room("g_1").frames()[0]).toEqual({ t: "hello", resume: 40 });
    room("g_1").deliver({ t: "ready", head: 45 });
    await settled();
    expect(await kv.get("room:g_1")).toBe(45);
    expect(acks(room("g_1"))).toEqual([]);
  });

  it("on ready.reset takes the head and loads the group's history again from its newest page", async () => {
    await kv.set("room:g_1", 500);
    const sent = serve({
      [`/api/conversations/${conv}/messages`]: () =>
        json(200, { messages: [{ id: "m_new", from: "u_b", source: "unibox", body: text("while away"), at: 900, seq: 77 }], before: "page-2" }),
    });
    threadOf(conv).value = { messages: [], before: "far-back", loadingOlder: false, loaded: true };
    const { roomSock } = await connectBoth();
    expect(roomSock.frames()[0]).toEqual({ t: "hello", resume: 500 });
    roomSock.deliver({ t: "ready", head: 20, reset: true });
    await settled();
    expect(await kv.get("room:g_1")).toBe(20);
    await vi.waitFor(() => expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["m_new"]));
    // Paging starts again from the newest page, so scrolling up fills what was missed.
    expect(threadOf(conv).value.before).toBe("page-2");
    expect(sent.map((s) => s.url)).toContain(`/api/conversations/${conv}/messages`);
    // After the reset the room's count goes on from the head.
    roomSock.deliver({ t: "ev", seq: 21, ev: msg("m21", "u_b", 1000) });
    await settled();
    expect(await kv.get("room:g_1")).toBe(21);
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["m_new", "m21"]);
  });

  it("sends a group's messages over its room once ready, over the hub before, one path at a time", async () => {
    const { hub, roomSock } = await connectBoth();
    // The room is still replaying: the hub takes it.
    const a = await queueMessage(conv, "g_1", text("a"));
    expect(sends(hub).map((f) => f.id)).toEqual([a.id]);
    roomSock.deliver({ t: "ready", head: 0 });
    await settled();
    // `a` is still in flight on the hub, so `b` follows it there rather than overtake it.
    const b = await queueMessage(conv, "g_1", text("b"));
    expect(sends(hub).map((f) => f.id)).toEqual([a.id, b.id]);
    expect(sends(roomSock)).toEqual([]);
    hub.deliver({ t: "accepted", id: a.id, msgId: "m_a", conv, at: 10 });
    hub.deliver({ t: "accepted", id: b.id, msgId: "m_b", conv, at: 11 });
    await settled();

    // Nothing in flight: the room's socket, same frame as the hub's.
    const c = await queueMessage(conv, "g_1", text("c"));
    expect(sends(roomSock)).toEqual([{ t: "send", id: c.id, to: { group: "g_1" }, body: text("c") }]);
    roomSock.deliver({ t: "accepted", id: c.id, msgId: "m_c", conv, at: 12 });
    await settled();
    expect(outbox.value).toEqual([]);
    expect(await (await db()).get("messages", "m_c")).toMatchObject({ conv, from: "u_a", state: "sent" });
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["m_a", "m_b", "m_c"]);

    // The room's link drops with `d` unanswered: it goes again, same id, over the hub.
    const d = await queueMessage(conv, "g_1", text("d"));
    expect(sends(roomSock).map((f) => f.id)).toEqual([c.id, d.id]);
    roomSock.drop();
    expect(sends(hub).map((f) => f.id)).toEqual([a.id, b.id, d.id]);
    hub.deliver({ t: "accepted", id: d.id, msgId: "m_d", conv, at: 13 });
    await settled();

    // A refusal from a room goes through the same handler as the hub's.
    await vi.waitFor(() => expect(roomSockets("g_1")).toHaveLength(2));
    room("g_1").open();
    room("g_1").deliver({ t: "ready", head: 0 });
    await settled();
    const e = await queueMessage(conv, "g_1", text("e"));
    expect(sends(room("g_1")).map((f) => f.id)).toEqual([e.id]);
    room("g_1").deliver({ t: "error", id: e.id, code: "group_ended", message: "ended" });
    await settled();
    expect(outbox.value).toEqual([expect.objectContaining({ id: e.id, error: { code: "group_ended", message: "ended" } })]);
    // 1:1 sends never take a room.
    await queueMessage("d:u_a:u_b", "u_b", text("direct"));
    expect(sends(hub).at(-1)).toMatchObject({ to: { user: "u_b" } });
  });

  it("sends the hub's unanswered group sends again over the room when the hub's link goes", async () => {
    const { hub, roomSock } = await connectBoth();
    const a = await queueMessage(conv, "g_1", text("a"));
    expect(sends(hub).map((f) => f.id)).toEqual([a.id]);
    roomSock.deliver({ t: "ready", head: 0 });
    await settled();
    hub.drop();
    await vi.waitFor(() => expect(sends(roomSock).map((f) => f.id)).toEqual([a.id]));
    const b = await queueMessage(conv, "g_1", text("b"));
    expect(sends(roomSock).map((f) => f.id)).toEqual([a.id, b.id]);
  });

  it("applies a group message that comes over both sockets once: thread, list, unread, echo, after a reload too", async () => {
    const { hub, roomSock } = await connectBoth({ head: 0 });
    threadOf(conv).value = { ...threadOf(conv).value, loaded: true };
    hub.deliver({ t: "ev", seq: 1, ev: msg("m1", "u_b", 10) });
    roomSock.deliver({ t: "ev", seq: 4, ev: msg("m1", "u_b", 10) });
    await settled();
    roomSock.deliver({ t: "ev", seq: 4, ev: msg("m1", "u_b", 10) }); // and once more in a replay
    roomSock.deliver({ t: "ev", seq: 6, ev: msg("m1", "u_b", 10) });
    await settled();
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["m1"]);
    expect(conversations.value.find((c) => c.id === conv)).toMatchObject({ unread: 1, last: { id: "m1" } });

    // Our own "ok", accepted over the room; its copy over the hub comes while a second "ok"
    // is in flight: it is the first one's, not the second's echo.
    const first = await queueMessage(conv, "g_1", text("ok"));
    roomSock.deliver({ t: "ev", seq: 7, ev: msg("m_ok1", "u_a", 20, text("ok")) });
    roomSock.deliver({ t: "accepted", id: first.id, msgId: "m_ok1", conv, at: 20 });
    await settled();
    const second = await queueMessage(conv, "g_1", text("ok"));
    hub.deliver({ t: "ev", seq: 2, ev: msg("m_ok1", "u_a", 20, text("ok")) });
    await settled();
    expect(echoes.value.size).toBe(0);
    expect(pendingByConv.value.get(conv)?.map((i) => i.id)).toEqual([second.id]);
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["m1", "m_ok1"]);

    // A reload: memory is gone; the room replays from its older cursor what the hub brought.
    hub.deliver({ t: "ev", seq: 3, ev: msg("m2", "u_c", 30) });
    await settled();
    expect(conversations.value.find((c) => c.id === conv)?.unread).toBe(2);
    stopSync();
    resetSyncState();
    const snap = await loadSnapshot();
    conversations.value = snap.conversations;
    groups.value = { g_1: group("g_1") };
    FakeSocket.all = [];
    const again = await connectBoth();
    expect(again.roomSock.frames()[0]).toEqual({ t: "hello", resume: 7 });
    again.roomSock.deliver({ t: "ev", seq: 8, ev: msg("m2", "u_c", 30) });
    again.roomSock.deliver({ t: "ready", head: 8 });
    await settled();
    expect(conversations.value.find((c) => c.id === conv)).toMatchObject({ unread: 2, last: { id: "m2" } });
    expect(await kv.get("room:g_1")).toBe(8);
  });

  it("sends a group's read over the hub, for a message that came over the room", async () => {
    const { hub, roomSock } = await connectBoth({ head: 0 });
    threadOf(conv).value = { ...threadOf(conv).value, loaded: true };
    activeConv.value = conv;
    roomSock.deliver({ t: "ev", seq: 2, ev: msg("m_r", "u_b", 10) });
    await settled();
    await vi.waitFor(() => expect(hub.frames().filter((f) => f.t === "read")).toEqual([{ t: "read", conv, msgIds: ["m_r"] }]));
    expect(roomSock.frames().filter((f) => f.t === "read")).toEqual([]);
  });
});
