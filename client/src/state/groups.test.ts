// Group state: the group.* events as pure reducers (idempotent on replay), and through the
// sync layer — stored with their seq, shown in the chat list, read receipts per member,
// sends addressed to the group, and a read-only conversation once ended or left.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connectFake, resetClient } from "../../test/sync-harness";
import { stopConnection } from "./connection";
import { conversations } from "./conversations";
import { db, loadSnapshot } from "./db";
import { type ClientGroup, type GroupEvent, groupSummary, groupTicks, groups, readCount, reduceGroup } from "./groups";
import { queueMessage } from "./outbox";
import { settled } from "./sync";
import { threadOf } from "./threads";
import type { Group, HubEvent } from "./types";

const user = (id: string, name: string) => ({ id, handle: name.toLowerCase(), address: `${name.toLowerCase()}@x`, displayName: name });
const alice = user("u_a", "Alice");
const bob = user("u_b", "Bob");
const carol = user("u_c", "Carol");
const dave = user("u_d", "Dave");
const conv = "g:g_1";
const group: Group = { id: "g_1", conv, name: "Hike", owner: "u_a", members: [alice, bob, carol], ttlHours: 24, createdAt: 1000, endedAt: null, endReason: null };
const invited: GroupEvent = { type: "group.invited", conv, group, by: "u_a" };

describe("group reducers", () => {
  const start = reduceGroup(undefined, invited, "u_b", 5)!;

  it("takes the group from the invitation, with no past members and no notices", () => {
    expect(start).toMatchObject({ id: "g_1", members: [alice, bob, carol], past: [], notices: [] });
    expect(groupSummary(start, "u_b")).toMatchObject({ id: conv, kind: "group", group: "g_1", title: "Hike", last: null, unread: 0 });
    expect(groupSummary({ ...start, name: null }, "u_b").title).toBe("Alice, Carol");
  });

  it("adds a joining member once, and a replayed join changes nothing", () => {
    const ev: GroupEvent = { type: "group.member.joined", conv, group: "g_1", user: dave, by: "u_a" };
    const once = reduceGroup(start, ev, "u_b", 10)!;
    expect(once.members.map((u) => u.id)).toEqual(["u_a", "u_b", "u_c", "u_d"]);
    expect(once.notices).toEqual([{ at: 10, kind: "joined", user: "u_d", by: "u_a" }]);
    expect(reduceGroup(once, ev, "u_b", 11)).toBe(once);
  });

  it("moves a leaver to past members (their name stays), and marks the group left when it is me", () => {
    const ev: GroupEvent = { type: "group.member.left", conv, group: "g_1", user: "u_c" };
    const after = reduceGroup(start, ev, "u_b", 20)!;
    expect(after.members.map((u) => u.id)).toEqual(["u_a", "u_b"]);
    expect(after.past).toEqual([carol]);
    expect(after.left).toBeUndefined();
    expect(after.notices.at(-1)).toEqual({ at: 20, kind: "left", user: "u_c" });
    expect(reduceGroup(after, ev, "u_b", 21)).toBe(after);

    const meLeft = reduceGroup(start, { type: "group.member.left", conv, group: "g_1", user: "u_b" }, "u_b", 30)!;
    expect(meLeft.left).toBe(true);
    expect(groupSummary(meLeft, "u_b")).toMatchObject({ left: true });
  });

  it("ends once: a second expiry (alarms are at-least-once) changes nothing", () => {
    const ev: GroupEvent = { type: "group.expired", conv, group: "g_1", reason: "ttl", at: 99 };
    const ended = reduceGroup(start, ev, "u_b", 40)!;
    expect(ended).toMatchObject({ endedAt: 99, endReason: "ttl" });
    expect(ended.notices).toEqual([{ at: 99, kind: "ttl" }]);
    expect(reduceGroup(ended, { ...ev, reason: "ended", at: 120 }, "u_b", 41)).toBe(ended);
    expect(groupSummary(ended, "u_b")).toMatchObject({ ended: "ttl" });
  });

  it("ignores events about a group it never heard of", () => {
    expect(reduceGroup(undefined, { type: "group.member.left", conv, group: "g_1", user: "u_c" }, "u_b", 1)).toBeUndefined();
  });

  it("an invitation after leaving makes me a member again", () => {
    const meLeft: ClientGroup = { ...start, left: true, members: [alice, carol] };
    expect(reduceGroup(meLeft, invited, "u_b", 50)!.left).toBeUndefined();
  });
});

const connect = () => connectFake({ ready: 0 });

describe("group events through sync", () => {
  beforeEach(async () => {
    await resetClient(alice);
  });
  afterEach(() => {
    stopConnection();
    vi.restoreAllMocks();
  });

  const msg = (id: string, from: string, at: number): HubEvent => ({ type: "message", conv, msg: { id, from, source: "unibox", body: { type: "text", text: id }, at } });

  it("lists the group, stores it with the cursor, records who has read, and turns read-only when it ends", async () => {
    const sock = await connect();
    threadOf(conv).value = { ...threadOf(conv).value, loaded: true };
    sock.deliver({ t: "ev", seq: 1, ev: invited });
    sock.deliver({ t: "ev", seq: 2, ev: msg("m1", "u_a", 100) });
    sock.deliver({ t: "ev", seq: 3, ev: msg("m2", "u_b", 200) });
    await settled();
    expect(conversations.value).toEqual([expect.objectContaining({ id: conv, kind: "group", title: "Hike", unread: 1, last: expect.objectContaining({ id: "m2" }) })]);

    // Each member's read comes back on its own; the thread keeps who.
    sock.deliver({ t: "ev", seq: 4, ev: { type: "status", conv, msgIds: ["m1"], state: "read", by: "u_b", at: 300 } });
    sock.deliver({ t: "ev", seq: 5, ev: { type: "status", conv, msgIds: ["m1"], state: "read", by: "u_c", at: 301 } });
    sock.deliver({ t: "ev", seq: 6, ev: { type: "status", conv, msgIds: ["m1"], state: "read", by: "u_c", at: 302 } });
    sock.deliver({ t: "ev", seq: 7, ev: { type: "group.member.left", conv, group: "g_1", user: "u_c" } });
    await settled();
    expect(threadOf(conv).value.messages.find((m) => m.id === "m1")).toMatchObject({ state: "read", readBy: ["u_b", "u_c"] });
    expect(await (await db()).get("messages", "m1")).toMatchObject({ readBy: ["u_b", "u_c"] });
    expect(groups.value.g_1!.members.map((u) => u.id)).toEqual(["u_a", "u_b"]);

    sock.deliver({ t: "ev", seq: 8, ev: { type: "group.expired", conv, group: "g_1", reason: "ended", at: 400 } });
    await settled();
    expect(conversations.value[0]).toMatchObject({ ended: "ended", last: expect.objectContaining({ id: "m2" }) });

    // All of it is on the device with the cursor: a reload shows the same.
    const snap = await loadSnapshot();
    expect(snap.seq).toBe(8);
    expect(snap.groups?.g_1).toMatchObject({ endedAt: 400, endReason: "ended", past: [carol] });
    expect(snap.groups?.g_1?.notices.map((n) => n.kind)).toEqual(["left", "ended"]);
    expect(snap.conversations[0]).toMatchObject({ id: conv, kind: "group", ended: "ended" });
    // Acked up to Bob's message (it is delivered now); receipts and notices are stored, not acked.
    expect(sock.frames().filter((f) => f.t === "ack")).toEqual([{ t: "ack", seq: 3 }]);
  });

  it("shows messages in the group log's order even when the senders' clocks disagree", async () => {
    const sock = await connect();
    threadOf(conv).value = { messages: [], before: undefined, loadingOlder: false, loaded: true };
    sock.deliver({ t: "ev", seq: 1, ev: invited });
    // Carol's message was ordered first by the room, though Bob's clock says earlier.
    sock.deliver({ t: "ev", seq: 2, ev: msg("from carol", "u_c", 500) });
    sock.deliver({ t: "ev", seq: 3, ev: msg("from bob", "u_b", 400) });
    sock.deliver({ t: "ev", seq: 4, ev: msg("same ms a", "u_b", 600) });
    sock.deliver({ t: "ev", seq: 5, ev: msg("same ms 0", "u_c", 600) });
    await settled();
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["from carol", "from bob", "same ms a", "same ms 0"]);
    expect(await (await db()).get("messages", "from bob")).toMatchObject({ seq: 3 });
  });

  it("addresses a group message to the group", async () => {
    const sock = await connect();
    const item = await queueMessage(conv, "g_1", { type: "text", text: "hi all" });
    expect(sock.frames().filter((f) => f.t === "send")).toEqual([{ t: "send", id: item.id, to: { group: "g_1" }, body: { type: "text", text: "hi all" } }]);
  });
});

describe("group read receipts", () => {
  const members = { members: [alice, bob, carol, dave] };
  beforeEach(async () => {
    await resetClient(alice);
  });
  afterEach(() => {
    stopConnection();
    vi.restoreAllMocks();
  });

  it("counts readers among the others, including one who read and left", () => {
    expect(readCount(members, undefined, "u_a")).toEqual({ read: 0, of: 3 });
    expect(readCount(members, ["u_b", "u_a"], "u_a")).toEqual({ read: 1, of: 3 });
    expect(readCount({ members: [alice, bob] }, ["u_b", "u_c"], "u_a")).toEqual({ read: 2, of: 2 });
  });

  it("shows read only once every member has read; the hub's 'read' at the first reader is delivered until then", () => {
    expect(groupTicks("read", members, ["u_b"], "u_a")).toBe("delivered");
    expect(groupTicks("read", members, ["u_b", "u_c", "u_d"], "u_a")).toBe("read");
    expect(groupTicks("read", members, undefined, "u_a")).toBe("delivered");
    expect(groupTicks("sent", members, [], "u_a")).toBe("sent");
    // Not a group: the state as it is.
    expect(groupTicks("read", undefined, undefined, "u_a")).toBe("read");
  });

  it("keeps the list's last message at delivered until all have read, through status events", async () => {
    const sock = await connectFake({ ready: 0 });
    sock.deliver({ t: "ev", seq: 1, ev: invited });
    sock.deliver({ t: "ev", seq: 2, ev: { type: "message", conv, msg: { id: "m1", from: "u_a", source: "unibox", body: { type: "text", text: "hi" }, at: 10 } } });
    sock.deliver({ t: "ev", seq: 3, ev: { type: "status", conv, msgIds: ["m1"], state: "read", by: "u_b", at: 11 } });
    await settled();
    const last = () => conversations.value.find((c) => c.id === conv)!.last!;
    expect(last()).toMatchObject({ state: "read", readBy: ["u_b"] });
    expect(groupTicks(last().state!, groups.value.g_1, last().readBy, "u_a")).toBe("delivered");
    sock.deliver({ t: "ev", seq: 4, ev: { type: "status", conv, msgIds: ["m1"], state: "read", by: "u_c", at: 12 } });
    await settled();
    expect(groupTicks(last().state!, groups.value.g_1, last().readBy, "u_a")).toBe("read");
    // A delivered receipt arriving late does not pull it back.
    sock.deliver({ t: "ev", seq: 5, ev: { type: "status", conv, msgIds: ["m1"], state: "delivered", by: "u_c", at: 13 } });
    await settled();
    expect(last().state).toBe("read");
  });
});
