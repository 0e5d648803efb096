// How hub frames become state: stored before acked, resumed from the stored cursor,
// receipts only ever moving forward, and a server reset handled as the protocol says.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connectFake, resetClient } from "../../test/sync-harness";
import { stopConnection } from "./connection";
import { conversations } from "./conversations";
import { db, kv, loadSnapshot } from "./db";
import { activeConv, currentCursor, resetSyncState, setCursor, settled } from "./sync";
import { friends } from "./friends";
import { queueMessage } from "./outbox";
import { threadOf } from "./threads";
import type { HubEvent } from "./types";

const conv = "d:u_a:u_b";
const fromB = (id: string, at: number): HubEvent => ({ type: "message", conv, msg: { id, from: "u_b", source: "unibox", body: { type: "text", text: id }, at } });
const fromA = (id: string, at: number): HubEvent => ({ type: "message", conv, msg: { id, from: "u_a", source: "unibox", body: { type: "text", text: id }, at } });

const connect = () => connectFake();

describe("sync", () => {
  beforeEach(async () => {
    await resetClient();
  });
  afterEach(() => {
    stopConnection();
    vi.restoreAllMocks();
  });

  it("stores events and the cursor before acking, then resumes from that cursor", async () => {
    const sock = await connect();
    expect(sock.frames()[0]).toEqual({ t: "hello", fresh: true });
    sock.deliver({ t: "ready", head: 0 });
    sock.deliver({ t: "ev", seq: 1, ev: fromB("m1", 10) });
    sock.deliver({ t: "ev", seq: 2, ev: fromB("m2", 20) });
    await settled();
    expect(await kv.get("seq")).toBe(2);
    expect(await (await db()).get("messages", "m2")).toMatchObject({ conv, from: "u_b" });
    const acks = sock.frames().filter((f) => f.t === "ack");
    expect(acks.at(-1)).toEqual({ t: "ack", seq: 2 });
    expect(conversations.value[0]).toMatchObject({ id: conv, unread: 2, last: { id: "m2" } });

    // A reload: the cursor comes back from IndexedDB and the next hello resumes there.
    stopConnection();
    resetSyncState();
    const snap = await loadSnapshot();
    setCursor(snap.seq);
    conversations.value = snap.conversations;
    expect(snap.conversations[0]).toMatchObject({ id: conv, unread: 2 });
    const next = await connect();
    expect(next.frames()[0]).toEqual({ t: "hello", resume: 2 });
    // Replayed events already stored are skipped, not counted twice.
    next.deliver({ t: "ev", seq: 2, ev: fromB("m2", 20) });
    next.deliver({ t: "ev", seq: 3, ev: fromB("m3", 30) });
    next.deliver({ t: "ready", head: 3 });
    await settled();
    expect(conversations.value[0]).toMatchObject({ unread: 3, last: { id: "m3" } });
  });

  it("turns own messages' ticks from sent to delivered to read live, and never back", async () => {
    const sock = await connect();
    threadOf(conv).value = { ...threadOf(conv).value, loaded: true };
    sock.deliver({ t: "ev", seq: 1, ev: fromA("m1", 10) });
    sock.deliver({ t: "ev", seq: 2, ev: fromA("m2", 20) });
    sock.deliver({ t: "ready", head: 2 });
    await settled();
    const states = () => threadOf(conv).value.messages.map((m) => m.state);
    expect(states()).toEqual(["sent", "sent"]);
    sock.deliver({ t: "ev", seq: 3, ev: { type: "status", conv, msgIds: ["m1", "m2"], state: "delivered", by: "u_b", at: 30 } });
    await settled();
    expect(states()).toEqual(["delivered", "delivered"]);
    sock.deliver({ t: "ev", seq: 4, ev: { type: "status", conv, msgIds: ["m1"], state: "read", by: "u_b", at: 40 } });
    sock.deliver({ t: "ev", seq: 5, ev: { type: "status", conv, msgIds: ["m1"], state: "delivered", by: "u_b", at: 41 } });
    await settled();
    expect(states()).toEqual(["read", "delivered"]);
    expect(await (await db()).get("messages", "m1")).toMatchObject({ state: "read" });
    expect(conversations.value[0]?.last).toMatchObject({ id: "m2", state: "delivered" });
    // Own copies and receipts are stored with the cursor, but an ack would tell nobody anything.
    expect(await kv.get("seq")).toBe(5);
    expect(sock.frames().filter((f) => f.t === "ack")).toEqual([]);
  });

  it("sends read for the open conversation and clears the unread count; another device's read clears it too", async () => {
    const sock = await connect();
    sock.deliver({ t: "ready", head: 0 });
    await settled();
    threadOf(conv).value = { ...threadOf(conv).value, loaded: true };
    sock.deliver({ t: "ev", seq: 1, ev: fromB("m1", 10) });
    await settled();
    expect(conversations.value[0]?.unread).toBe(1);

    activeConv.value = conv;
    sock.deliver({ t: "ev", seq: 2, ev: fromB("m2", 20) });
    await settled();
    await vi.waitFor(() => expect(sock.frames().filter((f) => f.t === "read")).toEqual([{ t: "read", conv, msgIds: ["m1", "m2"] }]));
    expect(conversations.value[0]?.unread).toBe(0);

    activeConv.value = null;
    sock.deliver({ t: "ev", seq: 3, ev: fromB("m3", 30) });
    await settled();
    expect(conversations.value[0]?.unread).toBe(1);
    sock.deliver({ t: "ev", seq: 4, ev: { type: "status", conv, msgIds: ["m3"], state: "read", by: "u_a", at: 40 } });
    await settled();
    expect(conversations.value[0]?.unread).toBe(0);
  });

  it("goes on to read messages that came in after the ids its last read named, even when its own read comes back", async () => {
    // A chat of its own: threads live for the whole module.
    const conv = "d:u_a:u_c";
    const fromC = (id: string, at: number): HubEvent => ({ type: "message", conv, msg: { id, from: "u_c", source: "unibox", body: { type: "text", text: id }, at } });
    const sock = await connect();
    sock.deliver({ t: "ready", head: 0 });
    await settled();
    threadOf(conv).value = { ...threadOf(conv).value, loaded: true };
    activeConv.value = conv;
    sock.deliver({ t: "ev", seq: 1, ev: fromC("m1", 10) });
    await settled();
    await vi.waitFor(() => expect(sock.frames().filter((f) => f.t === "read")).toEqual([{ t: "read", conv, msgIds: ["m1"] }]));

    // m2 and m3 were in the hub's log before the read of m1 was handled, so its echo comes
    // after them in one burst: it says two are still unread, and the open chat reads them.
    sock.deliver({ t: "ev", seq: 2, ev: fromC("m2", 20) });
    sock.deliver({ t: "ev", seq: 3, ev: fromC("m3", 30) });
    sock.deliver({ t: "ev", seq: 4, ev: { type: "status", conv, msgIds: ["m1"], state: "read", by: "u_a", at: 31, unread: 2 } });
    await settled();
    const readIds = () => sock.frames().flatMap((f) => (f.t === "read" ? f.msgIds : []));
    await vi.waitFor(() => expect(readIds()).toEqual(["m1", "m2", "m3"]));
    expect(conversations.value.find((c) => c.id === conv)?.unread).toBe(0);

    // Another device's read that leaves one unread shows that one on a closed chat.
    activeConv.value = null;
    sock.deliver({ t: "ev", seq: 5, ev: fromC("m4", 40) });
    sock.deliver({ t: "ev", seq: 6, ev: fromC("m5", 50) });
    sock.deliver({ t: "ev", seq: 7, ev: { type: "status", conv, msgIds: ["m4"], state: "read", by: "u_a", at: 51, unread: 1 } });
    await settled();
    expect(conversations.value.find((c) => c.id === conv)?.unread).toBe(1);
    expect(await (await db()).get("conversations", conv)).toMatchObject({ unread: 1 });
  });

  it("starts a fresh device at the server's head, acks it, and resumes from there", async () => {
    const sock = await connect();
    expect(sock.frames()[0]).toEqual({ t: "hello", fresh: true });
    // A chat opened before the socket was ready takes its newest page again: nothing was replayed.
    threadOf(conv).value = { ...threadOf(conv).value, loaded: true };
    sock.deliver({ t: "ready", head: 40 });
    await settled();
    await vi.waitFor(() => expect(vi.mocked(fetch).mock.calls.map(([url]) => String(url))).toContainEqual(expect.stringContaining(`/api/conversations/${conv}/messages`)));
    expect(currentCursor()).toBe(40);
    expect(await kv.get("seq")).toBe(40);
    expect(sock.frames().filter((f) => f.t === "ack")).toEqual([{ t: "ack", seq: 40 }]);
    sock.deliver({ t: "ev", seq: 41, ev: fromB("m41", 41) });
    await settled();
    // Acks are paced (ack-pace.ts): this one goes at the end of the 40's window.
    await vi.waitFor(() => expect(sock.frames().filter((f) => f.t === "ack").at(-1)).toEqual({ t: "ack", seq: 41 }));

    stopConnection();
    const next = await connect();
    expect(next.frames()[0]).toEqual({ t: "hello", resume: 41 });
  });

  it("on ready.reset takes the server's head as the cursor", async () => {
    setCursor(90);
    await kv.set("seq", 90);
    const sock = await connect();
    expect(sock.frames()[0]).toEqual({ t: "hello", resume: 90 });
    sock.deliver({ t: "ev", seq: 1, ev: fromB("old", 1) });
    sock.deliver({ t: "ready", head: 12, reset: true });
    await settled();
    expect(currentCursor()).toBe(12);
    expect(await kv.get("seq")).toBe(12);
    sock.deliver({ t: "ev", seq: 13, ev: fromB("new", 2) });
    await settled();
    expect(await kv.get("seq")).toBe(13);
    await vi.waitFor(() => expect(sock.frames().filter((f) => f.t === "ack").at(-1)).toEqual({ t: "ack", seq: 13 }));
  });

  it("names a new 1:1 chat after the friend at once when our own first message is accepted (no '…' in the header)", async () => {
    friends.value = [{ user: { id: "u_b", handle: "bob", address: "bob@x", displayName: "Bob" }, since: 1, online: true }];
    const sock = await connectFake({ ready: 0 });
    const item = await queueMessage(conv, "u_b", { type: "text", text: "first!" });
    sock.deliver({ t: "accepted", id: item.id, msgId: "m1", conv, at: 50 });
    await settled();
    expect(conversations.value.find((c) => c.id === conv)).toMatchObject({ title: "Bob", peer: { id: "u_b" } });
    // Our own first message sent from another device names the peer from the id too.
    friends.value = [...friends.value, { user: { id: "u_c", handle: "cy", address: "cy@x", displayName: "Cy" }, since: 1, online: false }];
    sock.deliver({ t: "ev", seq: 1, ev: { type: "message", conv: "d:u_a:u_c", msg: { id: "m2", from: "u_a", source: "unibox", body: { type: "text", text: "hi Cy" }, at: 60 } } });
    // Someone this device does not know yet: the list refresh names them.
    sock.deliver({ t: "ev", seq: 2, ev: { type: "message", conv: "d:u_a:u_d", msg: { id: "m3", from: "u_a", source: "unibox", body: { type: "text", text: "hi Di" }, at: 70 } } });
    await settled();
    expect(conversations.value.find((c) => c.id === "d:u_a:u_c")).toMatchObject({ title: "Cy", peer: { id: "u_c" } });
    expect(conversations.value.find((c) => c.id === "d:u_a:u_d")?.title).toBe("…");
  });
});
