import { GroupRoom, type LogRow } from "./group-room";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../worker/env";
import { hubOf, roomOf } from "./stubs";
import { UserHub } from "./user-hub";
import type { ServerFrame } from "../core/protocol";
import { png1x1 } from "../worker/media/test-samples";
import { api, befriend, Client, createGroup, crew, register, textBody, type TestUser } from "../worker/test/helpers";

type Ev = Extract<ServerFrame, { t: "ev" }>;
type Accepted = Extract<ServerFrame, { t: "accepted" }>;
const room = (id: string) => roomOf(env as unknown as Env, id);
const groupMessages = (c: Client, conv: string) =>
  c.events("message").filter((f) => f.ev.type === "message" && f.ev.conv === conv).map((f) => (f.ev as { msg: { id: string; body: { text?: string } } }).msg);

describe("groups: membership", () => {
  it("creates a group of friends; every member is invited live and sees it in their lists", async () => {
    const [a, b, c] = await crew(3);
    const sockets = await Promise.all([a, b, c].map((u) => Client.open(u!.token, 0)));
    const group = await createGroup(a!, [b!, c!]);
    expect(group.members.map((m) => m.id).sort()).toEqual([a, b, c].map((u) => u!.user.id).sort());
    for (const s of sockets) {
      const inv = await s.next<Ev>((f) => f.t === "ev" && f.ev.type === "group.invited");
      expect(inv.ev).toMatchObject({ conv: group.conv, group: { id: group.id, name: "Hike" }, by: a!.user.id });
    }
    for (const u of [a, b, c]) {
      const convs = (await api("/api/conversations", { token: u!.token })).data.conversations;
      expect(convs).toContainEqual(expect.objectContaining({ id: group.conv, kind: "group", group: group.id, title: "Hike" }));
      expect((await api("/api/groups", { token: u!.token })).data.groups.map((g: { id: string }) => g.id)).toContain(group.id);
    }
    sockets.forEach((s) => s.close());
  });

  it("refuses non-friends with 403 naming them, and stores nothing", async () => {
    const [a, b] = await crew(2);
    const stranger = await register("stranger");
    const res = await api("/api/groups", { method: "POST", token: a!.token, json: { members: [b!.user.id, stranger.user.id] } });
    expect([res.status, res.data.error.code, res.data.error.details.users]).toEqual([403, "not_friend", [stranger.user.id]]);
    expect((await api("/api/groups", { token: a!.token })).data.groups).toEqual([]);
    for (const bad of [{ members: [] }, { members: [b!.user.id], ttlHours: 169 }, { members: [b!.user.id], ttlHours: 0 }, { members: "x" }]) {
      expect((await api("/api/groups", { method: "POST", token: a!.token, json: bad })).status).toBe(400);
    }
  });

  it("a member who joins later sees messages from their join on", async () => {
    const [a, b, c] = await crew(3);
    const group = await createGroup(a!, [b!]);
    const alice = await Client.open(a!.token, 0);
    alice.send({ t: "send", id: "early", to: { group: group.id }, body: textBody("before carol") });
    await alice.next((f) => f.t === "accepted");
    const added = await api(`/api/groups/${group.id}/members`, { method: "POST", token: a!.token, json: { members: [c!.user.id] } });
    expect(added.status).toBe(200);
    alice.send({ t: "send", id: "late", to: { group: group.id }, body: textBody("welcome carol") });
    await alice.next((f) => f.t === "accepted");
    const carol = await Client.open(c!.token, 0);
    await vi.waitFor(() => expect(groupMessages(carol, group.conv).map((m) => m.body.text)).toEqual(["welcome carol"]), { timeout: 3000 });
    const bob = await Client.open(b!.token, 0);
    await vi.waitFor(() => expect(groupMessages(bob, group.conv).map((m) => m.body.text)).toEqual(["before carol", "welcome carol"]));
    expect(bob.events("group.member.joined").map((f) => (f.ev as { user: { id: string } }).user.id)).toEqual([c!.user.id]);
    const again = await api(`/api/groups/${group.id}/members`, { method: "POST", token: a!.token, json: { members: [c!.user.id] } });
    expect([again.status, again.data.error.code]).toEqual([409, "already_members"]);
    [alice, bob, carol].forEach((s) => s.close());
  });

  it("leaving tells the others; the leaver can no longer send and the conversation is read-only for them", async () => {
    const [a, b, c] = await crew(3);
    const group = await createGroup(a!, [b!, c!]);
    const alice = await Client.open(a!.token, 0);
    expect((await api(`/api/groups/${group.id}/members/me`, { method: "DELETE", token: c!.token })).status).toBe(200);
    const left = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "group.member.left");
    expect(left.ev).toMatchObject({ user: c!.user.id, group: group.id });
    const carol = await Client.open(c!.token, 0);
    carol.send({ t: "send", id: "after-leave", to: { group: group.id }, body: textBody("hello?") });
    expect(await carol.next((f) => f.t === "error")).toMatchObject({ id: "after-leave", code: "group_not_found" });
    const convs = (await api("/api/conversations", { token: c!.token })).data.conversations;
    expect(convs.find((x: { id: string }) => x.id === group.conv)).toMatchObject({ left: true });
    expect((await api(`/api/groups/${group.id}/members/me`, { method: "DELETE", token: c!.token })).status).toBe(404);
    const listed = (await api("/api/groups", { token: c!.token })).data.groups.find((g: { id: string }) => g.id === group.id);
    expect(listed).toMatchObject({ left: true, members: expect.arrayContaining([expect.objectContaining({ id: a!.user.id })]) });
    expect(listed.members).toHaveLength(2);
    expect((await room(group.id).info()).members.sort()).toEqual([a!.user.id, b!.user.id].sort());
    alice.close();
    carol.close();
  });
});

describe("groups: size", () => {
  it("creates, lists and grows a group past D1's 100-parameter limit, and fans out to every member", { timeout: 60_000 }, async () => {
    const owner = await register("bigowner");
    // 250 friends written straight into the store: registering them through the API
    // would spend minutes on password hashing without testing anything more.
    const ids = Array.from({ length: 250 }, (_, i) => `u_big${Date.now().toString(36)}${i}`);
    const db = (env as unknown as Env).DB;
    for (let i = 0; i < ids.length; i += 20) {
      await db.batch(
        ids.slice(i, i + 20).flatMap((id, j) => [
          db.prepare("INSERT INTO users (id, handle, display_name, phone_hash, phone_display, region, password_hash, password_salt, password_iterations) VALUES (?, ?, ?, ?, '', 'US', '', '', 1)")
            .bind(id, `big${i + j}_${id.slice(-6)}`.slice(0, 20), `Member ${i + j}`, `hash-${id}`),
          db.prepare("INSERT INTO friendships (user_a, user_b) VALUES (?, ?)").bind(...(owner.user.id < id ? [owner.user.id, id] : [id, owner.user.id])),
        ]),
      );
    }
    const created = await api("/api/groups", { method: "POST", token: owner.token, json: { name: "Big", members: ids.slice(0, 149) } });
    expect(created.status, JSON.stringify(created.data)).toBe(201);
    const gid = created.data.group.id;
    const grown = await api(`/api/groups/${gid}/members`, { method: "POST", token: owner.token, json: { members: ids.slice(149) } });
    expect(grown.status, JSON.stringify(grown.data)).toBe(200);
    expect(grown.data.group.members).toHaveLength(251);
    const listed = (await api("/api/groups", { token: owner.token })).data.groups.find((g: { id: string }) => g.id === gid);
    expect(listed.members).toHaveLength(251);

    const sock = await Client.open(owner.token, 0);
    sock.send({ t: "send", id: "to-all", to: { group: gid }, body: textBody("hello, everyone") });
    const acc = await sock.next<Accepted>((f) => f.t === "accepted", 20_000);
    // Every member's hub holds it (fan-out is asynchronous after accepted).
    await vi.waitFor(async () => expect((await room(gid).info()).head).toBeGreaterThan(0));
    for (const id of [ids[0]!, ids[148]!, ids[149]!, ids[249]!]) {
      await vi.waitFor(
        async () => {
          const page = await (env as unknown as Env).USER_HUB.get((env as unknown as Env).USER_HUB.idFromName(id)).listMessages(acc.conv, undefined, 10);
          expect(page?.messages.map((m) => m.id)).toEqual([acc.msgId]);
        },
        { timeout: 20_000 },
      );
    }
    // Reading many messages at once stays under SQLite's parameter limit too.
    sock.send({ t: "read", conv: acc.conv, msgIds: [acc.msgId, ...Array.from({ length: 300 }, (_, i) => `m_nope${i}`)] });
    await sock.next((f) => f.t === "ev" && f.ev.type === "status");
    sock.close();
  });
});

describe("groups: messages", () => {
  it("keeps one order for every member under concurrent senders, with idempotent sends", async () => {
    const [a, b, c] = await crew(3, { mutual: true });
    const group = await createGroup(a!, [b!, c!]);
    const socks = await Promise.all([a, b, c].map((u) => Client.open(u!.token, 0)));
    const perSender = 15;
    socks.forEach((s, i) => {
      for (let k = 0; k < perSender; k++) s.send({ t: "send", id: `s${i}-${k}`, to: { group: group.id }, body: textBody(`${i}:${k}`) });
    });
    // A retry of an already-sent id is answered, not delivered again.
    socks[0]!.send({ t: "send", id: "s0-0", to: { group: group.id }, body: textBody("0:0") });
    await vi.waitFor(() => socks.forEach((s) => expect(groupMessages(s, group.conv)).toHaveLength(3 * perSender)), { timeout: 10_000 });
    const orders = socks.map((s) => groupMessages(s, group.conv).map((m) => m.id));
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
    // Each sender's own messages stay in their send order.
    for (let i = 0; i < 3; i++) {
      const mine = groupMessages(socks[0]!, group.conv).map((m) => m.body.text!).filter((t) => t.startsWith(`${i}:`));
      expect(mine).toEqual(Array.from({ length: perSender }, (_, k) => `${i}:${k}`));
    }
    const history = await api(`/api/conversations/${group.conv}/messages?limit=200`, { token: c!.token });
    expect(history.data.messages.map((m: { id: string }) => m.id)).toEqual(orders[0]);
    socks.forEach((s) => s.close());
  });

  it("shows the sender who has read, reader by reader", async () => {
    const [a, b, c] = await crew(3);
    const group = await createGroup(a!, [b!, c!]);
    const alice = await Client.open(a!.token, 0);
    alice.send({ t: "send", id: "rr", to: { group: group.id }, body: textBody("read me") });
    const acc = await alice.next<Accepted>((f) => f.t === "accepted");
    expect(acc.conv).toBe(group.conv);
    for (const reader of [b!, c!]) {
      const s = await Client.open(reader.token, 0);
      await vi.waitFor(() => expect(groupMessages(s, group.conv)).toHaveLength(1));
      s.send({ t: "read", conv: group.conv, msgIds: [acc.msgId] });
      const st = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.by === reader.user.id);
      expect(st.ev).toMatchObject({ state: "read", msgIds: [acc.msgId], conv: group.conv });
      s.close();
    }
    const page = await api(`/api/conversations/${group.conv}/messages`, { token: a!.token });
    expect(page.data.messages[0].readBy.sort()).toEqual([b!.user.id, c!.user.id].sort());
    // The chat list's last message says so too, so a phone that reloads shows "read by everyone".
    const list = await api("/api/conversations", { token: a!.token });
    expect(list.data.conversations.find((x: { id: string }) => x.id === group.conv).last.readBy.sort()).toEqual([b!.user.id, c!.user.id].sort());
    alice.close();
  });
});

describe("groups: a member hub writes a batch together", () => {
  it("keeps the room's order across messages and events in one batch, drops repeated ids, and a redelivered batch changes nothing", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const bob = await Client.open(b!.token, 0);
    await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "group.invited");
    const hubB = hubOf(env as unknown as Env, b!.user.id);
    const head = (await room(group.id).info()).head;
    const msg = (seq: number, id: string, text: string) => ({ seq, kind: "message" as const, msg: { id, from: a!.user.id, body: textBody(text), at: 1_000 + seq } });
    const batch = [
      msg(head + 1, "m_batch_1", "one"),
      msg(head + 2, "m_batch_2", "two"),
      { seq: head + 3, kind: "event" as const, ev: { type: "group.member.left" as const, conv: group.conv, group: group.id, user: "u_someone" } },
      msg(head + 4, "m_batch_1", "one again"), // the same id: stored once
      msg(head + 5, "m_batch_3", "three"),
    ];
    await hubB.groupDeliver(group.id, batch);
    await hubB.groupDeliver(group.id, batch); // a retry of the same batch
    await vi.waitFor(() => expect(bob.events().filter((f) => f.ev.type !== "group.invited").length).toBeGreaterThanOrEqual(4));
    await new Promise((r) => setTimeout(r, 100));
    const live = bob.events().filter((f) => f.ev.type === "message" || f.ev.type === "group.member.left");
    expect(live.map((f) => (f.ev.type === "message" ? f.ev.msg.id : f.ev.type))).toEqual(["m_batch_1", "m_batch_2", "group.member.left", "m_batch_3"]);
    const seqs = live.map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    const history = await api(`/api/conversations/${group.conv}/messages`, { token: b!.token });
    expect(history.data.messages.map((m: { id: string }) => m.id)).toEqual(["m_batch_1", "m_batch_2", "m_batch_3"]);
    const found = await api(`/api/search?q=three`, { token: b!.token });
    expect(found.data.hits.map((h: { message?: { id: string } }) => h.message?.id)).toContain("m_batch_3");
    bob.close();
  });
});

describe("groups: the room's pages from its tail", () => {
  type Paging = { tail: Map<number, LogRow>; head: number; pageOf(user: string, after: number, upTo: number): LogRow[] };
  /** The member's page from the tail in memory, and the same page from SQLite (tail set aside). */
  const bothPages = (i: Paging, user: string, after: number, upTo: number) => {
    const fromTail = i.pageOf(user, after, upTo);
    const saved = i.tail;
    i.tail = new Map();
    try {
      return { fromTail, fromSql: i.pageOf(user, after, upTo) };
    } finally {
      i.tail = saved;
    }
  };

  it("serves the same page from memory as from the log, for every member and cursor, events addressed to others skipped", async () => {
    const [a, b, c] = await crew(3);
    const group = await createGroup(a!, [b!]);
    const r = room(group.id);
    for (let n = 0; n < 5; n++) expect((await r.post(a!.user.id, `t_${n}`, { id: `m_tail_${n}`, body: textBody(`a${n}`), at: 2_000 + n })).ok).toBe(true);
    expect((await r.addMembers(a!.user.id, [c!.user])).ok).toBe(true); // an invitation only c may see
    for (let n = 5; n < 9; n++) expect((await r.post(b!.user.id, `t_${n}`, { id: `m_tail_${n}`, body: textBody(`b${n}`), at: 2_000 + n })).ok).toBe(true);
    await runInDurableObject(r, async (instance) => {
      const i = instance as unknown as Paging;
      const head = i.head;
      expect(i.tail.size).toBe(head); // a new room's tail holds its whole log: every page below comes from memory
      for (const user of [a!.user.id, b!.user.id, c!.user.id]) {
        for (let after = 0; after <= head; after++) {
          for (const upTo of [head, head - 2, Number.MAX_SAFE_INTEGER]) {
            const { fromTail, fromSql } = bothPages(i, user, after, upTo);
            expect(fromTail, `${user} after ${after} up to ${upTo}`).toEqual(fromSql);
          }
        }
      }
      // What each member's page holds: c's invitation is c's alone, and nobody sees another's.
      const all = (user: string) => i.pageOf(user, 0, head).map((row) => row.msg_id ?? (JSON.parse(row.payload) as { type: string }).type);
      const messages = Array.from({ length: 9 }, (_, n) => `m_tail_${n}`);
      expect(all(b!.user.id).filter((x) => x.startsWith("m_"))).toEqual(messages);
      expect(all(b!.user.id).filter((x) => x === "group.invited")).toHaveLength(1);
      expect(all(c!.user.id).filter((x) => x === "group.invited")).toHaveLength(1);
      // A cursor older than the tail reads the log: the page is whole and in order.
      const first = i.tail.keys().next().value!;
      i.tail.delete(first);
      const { fromTail, fromSql } = bothPages(i, a!.user.id, first - 1, head);
      expect(fromTail).toEqual(fromSql);
      expect(fromTail[0]!.seq).toBe(first); // the first row (a's invitation) came back from the log
      expect(fromTail.map((row) => row.seq)).toEqual([...fromTail.map((row) => row.seq)].sort((x, y) => x - y));
    });
  });

  it("starts the tail afresh when a row does not follow its last, and never serves a page with a hole", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const r = room(group.id);
    expect((await r.post(a!.user.id, "t_0", { id: "m_gap_0", body: textBody("zero"), at: 3_000 })).ok).toBe(true);
    await runInDurableObject(r, async (instance) => {
      const i = instance as unknown as Paging;
      i.tail = new Map([...i.tail].slice(0, 1)); // as if a room restarted with only its first row remembered
    });
    expect((await r.post(a!.user.id, "t_1", { id: "m_gap_1", body: textBody("one"), at: 3_001 })).ok).toBe(true);
    await runInDurableObject(r, async (instance) => {
      const i = instance as unknown as Paging;
      expect([...i.tail.keys()]).toEqual([i.head]); // the new row does not follow seq 1: the tail starts again with it
      const { fromTail, fromSql } = bothPages(i, b!.user.id, 0, i.head);
      expect(fromTail).toEqual(fromSql);
      expect(fromTail.filter((row) => row.kind === "message").map((row) => row.msg_id)).toEqual(["m_gap_0", "m_gap_1"]);
    });
  });
});

describe("groups: delivered receipts through the room", () => {
  // Spies on the classes' RPCs (the tests run in the objects' isolate; an own property on
  // an instance would not be callable over RPC), filtered to this test's group.
  afterEach(() => vi.restoreAllMocks());

  it("tells the sender once per message however many members got it, and a later delivery carries the receipts back", { timeout: 20_000 }, async () => {
    const [a, ...others] = await crew(5);
    const group = await createGroup(a!, others);
    const alice = await Client.open(a!.token, 0);
    const socks = await Promise.all(others.map((u) => Client.open(u.token, 0)));
    const receipts = vi.spyOn(UserHub.prototype, "receiveStatus");
    const roomCalls = vi.spyOn(GroupRoom.prototype, "delivered");

    alice.send({ t: "send", id: "d1", to: { group: group.id }, body: textBody("first") });
    const first = await alice.next<Accepted>((f) => f.t === "accepted" && f.id === "d1");
    for (const s of socks) {
      const ev = await s.next<Ev>((f) => f.t === "ev" && f.ev.type === "message" && f.ev.conv === group.conv);
      s.send({ t: "ack", seq: ev.seq });
    }
    // The next message reaches every member within the hold, and each delivery brings that member's receipt back.
    alice.send({ t: "send", id: "d2", to: { group: group.id }, body: textBody("second") });
    await alice.next<Accepted>((f) => f.t === "accepted" && f.id === "d2");
    const st = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "delivered");
    expect(st.ev).toMatchObject({ conv: group.conv, msgIds: [first.msgId] });
    await new Promise((r) => setTimeout(r, 600));
    // Four members delivered it; the sender's hub was told once; no member needed a call of its own.
    expect(receipts.mock.calls.filter(([input]) => input.conv === group.conv && input.state === "delivered")).toHaveLength(1);
    expect(roomCalls.mock.calls).toHaveLength(0);
    expect(alice.events("status").filter((f) => f.ev.type === "status" && f.ev.msgIds.includes(first.msgId))).toHaveLength(0); // taken by next() above: no second one
    [alice, ...socks].forEach((s) => s.close());
  });

  it("sends a member's receipt on its own when no delivery comes to carry it", { timeout: 20_000 }, async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const alice = await Client.open(a!.token, 0);
    const bob = await Client.open(b!.token, 0);
    const roomCalls = vi.spyOn(GroupRoom.prototype, "delivered");
    alice.send({ t: "send", id: "lone", to: { group: group.id }, body: textBody("anyone?") });
    const acc = await alice.next<Accepted>((f) => f.t === "accepted");
    const ev = await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "message" && f.ev.conv === group.conv);
    bob.send({ t: "ack", seq: ev.seq });
    const st = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "delivered", 6000);
    expect(st.ev).toMatchObject({ conv: group.conv, msgIds: [acc.msgId], by: b!.user.id });
    expect(roomCalls.mock.calls).toHaveLength(1);
    // The message shows as delivered after a reload too.
    const page = await api(`/api/conversations/${group.conv}/messages`, { token: a!.token });
    expect(page.data.messages[0].state).toBe("delivered");
    [alice, bob].forEach((s) => s.close());
  });
});

describe("groups: media", () => {
  it("serves a group's picture to its members (also after the group ended), not to strangers or a member who left", async () => {
    const [a, b, c] = await crew(3);
    const stranger = await register("gstranger");
    const group = await createGroup(a!, [b!, c!]);
    const up = await api("/api/media", { method: "POST", token: a!.token, body: await png1x1(), headers: { "Content-Type": "image/png" } });
    expect(up.status).toBe(201);
    const alice = await Client.open(a!.token, 0);
    alice.send({ t: "send", id: "pic", to: { group: group.id }, body: { type: "image", media: up.data.media.id, caption: "summit" } });
    await alice.next((f) => f.t === "accepted");
    const bob = await Client.open(b!.token, 0);
    await vi.waitFor(() => expect(groupMessages(bob, group.conv)).toHaveLength(1));
    const fetchAs = async (u: TestUser) => (await api(`/api/media/${up.data.media.id}`, { token: u.token })).status;
    expect(await fetchAs(a!)).toBe(200); // uploader
    expect(await fetchAs(b!)).toBe(200); // member
    expect(await fetchAs(c!)).toBe(200);
    expect(await fetchAs(stranger)).toBe(404);

    expect((await api(`/api/groups/${group.id}/members/me`, { method: "DELETE", token: c!.token })).status).toBe(200);
    await vi.waitFor(async () => expect(await fetchAs(c!)).toBe(404)); // removed member

    expect((await api(`/api/groups/${group.id}`, { method: "DELETE", token: a!.token })).status).toBe(200);
    await bob.next((f) => f.t === "ev" && f.ev.type === "group.expired");
    expect(await fetchAs(b!)).toBe(200); // read-only history keeps its pictures
    alice.close();
    bob.close();
  });
});

describe("groups: ending", () => {
  it("expires after ttlHours without a message: members told once, log freed, read-only after (alarm run twice)", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!], { ttlHours: 1 });
    const alice = await Client.open(a!.token, 0);
    alice.send({ t: "send", id: "last words", to: { group: group.id }, body: textBody("see you") });
    await alice.next((f) => f.t === "accepted");
    // An hour passes without a message.
    // Through the room, which keeps its meta in memory as well.
    await runInDurableObject(room(group.id), async (instance) => (instance as unknown as { setMeta(k: string, v: number): void }).setMeta("last_activity", Date.now() - 3_600_001));
    expect(await runDurableObjectAlarm(room(group.id))).toBe(true);
    const expired = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "group.expired");
    expect(expired.ev).toMatchObject({ reason: "ttl", group: group.id });
    const log = await runInDurableObject(room(group.id), async (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log").one().n);
    expect(log).toBe(0);
    expect((await room(group.id).info()).state).toBe("expired");

    // At-least-once alarms: running it again changes nothing and tells no one twice.
    await runInDurableObject(room(group.id), async (instance) => (instance as unknown as GroupRoom).alarm());
    await new Promise((r) => setTimeout(r, 100));
    expect(alice.events("group.expired")).toHaveLength(0);

    alice.send({ t: "send", id: "too late", to: { group: group.id }, body: textBody("anyone?") });
    expect(await alice.next((f) => f.t === "error")).toMatchObject({ id: "too late", code: "group_ended" });
    const conv = (await api("/api/conversations", { token: b!.token })).data.conversations.find((x: { id: string }) => x.id === group.conv);
    expect(conv).toMatchObject({ ended: "ttl", last: expect.objectContaining({ body: { type: "text", text: "see you" } }) });
    const listed = (await api("/api/groups", { token: b!.token })).data.groups.find((g: { id: string }) => g.id === group.id);
    expect(listed).toMatchObject({ endReason: "ttl", endedAt: expect.any(Number) });
    alice.close();
  });

  it("a retry alarm runs once: it clears its time, so the next alarm is the group's expiry, not at once again", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!], { ttlHours: 1 });
    // A delivery failed a while ago (the room set retry_at) and its alarm has come.
    await runInDurableObject(room(group.id), async (instance) => (instance as unknown as { setMeta(k: string, v: number): void }).setMeta("retry_at", Date.now() - 1));
    expect(await runDurableObjectAlarm(room(group.id))).toBe(true);
    const after = await runInDurableObject(room(group.id), async (_i, state) => ({
      retry: state.storage.sql.exec("SELECT v FROM meta WHERE k = 'retry_at'").toArray().length,
      alarm: await state.storage.getAlarm(),
    }));
    expect(after.retry).toBe(0);
    expect(after.alarm).toBeGreaterThan(Date.now() + 30 * 60_000);
  });

  it("an alarm that fires before ttlHours of silence leaves the group active", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!], { ttlHours: 1 });
    expect(await runDurableObjectAlarm(room(group.id))).toBe(true);
    expect((await room(group.id).info()).state).toBe("active");
  });

  it("only the creator ends a group now", async () => {
    const [a, b] = await crew(2);
    const group = await createGroup(a!, [b!]);
    const bob = await Client.open(b!.token, 0);
    const notOwner = await api(`/api/groups/${group.id}`, { method: "DELETE", token: b!.token });
    expect([notOwner.status, notOwner.data.error.code]).toEqual([403, "not_owner"]);
    expect((await api(`/api/groups/${group.id}`, { method: "DELETE", token: a!.token })).status).toBe(200);
    expect((await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "group.expired")).ev).toMatchObject({ reason: "ended" });
    const again = await api(`/api/groups/${group.id}`, { method: "DELETE", token: a!.token });
    expect([again.status, again.data.error.code]).toEqual([409, "group_ended"]);
    bob.close();
  });
});
