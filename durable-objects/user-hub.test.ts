import { attachmentOf, setAttachment } from "./user-hub/socket-io";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { api, befriend, Client, register, textBody, timerDueNow, type TestUser } from "../worker/test/helpers";
import type { Env } from "../worker/env";
import { directConversationId } from "../core/conversation";
import { hubOf } from "./stubs";
import type { ServerFrame } from "../core/protocol";
import type { Hub } from "./user-hub/context";
import type { Direct } from "./user-hub/direct";

type Accepted = Extract<ServerFrame, { t: "accepted" }>;
type Ev = Extract<ServerFrame, { t: "ev" }>;
// Typed through the Worker's Env: the test Env's circular reference to UserHub hides USER_HUB from tsc.
const hub = (u: TestUser) => hubOf(env as unknown as Env, u.user.id);
const isMessage = (f: ServerFrame) => f.t === "ev" && f.ev.type === "message";

async function pair() {
  const [a, b] = [await register("ha"), await register("hb")];
  await befriend(a, b);
  return { a, b };
}

describe("UserHub: 1:1 messages", () => {
  it("accepts, delivers with gap-free seqs, and replays after resume", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);
    for (let i = 0; i < 5; i++) alice.send({ t: "send", id: `c${i}`, to: { user: b.user.id }, body: textBody(`m${i}`) });
    const accepted: Accepted[] = [];
    for (let i = 0; i < 5; i++) accepted.push(await alice.next<Accepted>((f) => f.t === "accepted"));
    expect(accepted.map((f) => f.id)).toEqual(["c0", "c1", "c2", "c3", "c4"]);
    const got: Ev[] = [];
    for (let i = 0; i < 5; i++) got.push(await bob.next<Ev>(isMessage));
    expect(got.map((f) => (f.ev as any).msg.body.text)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    const seqs = got.map((f) => f.seq);
    expect(seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1)).toBe(true);
    expect(got.map((f) => (f.ev as any).msg.id)).toEqual(accepted.map((f) => f.msgId));
    bob.close();

    // Resume from the middle: exactly the later events, then ready with the head.
    const again = await Client.open(b.token);
    again.send({ t: "hello", resume: seqs[2] });
    const ready = await again.next<Extract<ServerFrame, { t: "ready" }>>((f) => f.t === "ready");
    expect(again.events("message").map((f) => f.seq)).toEqual(seqs.slice(3));
    expect(ready.head).toBeGreaterThanOrEqual(seqs[4]!);
    again.close();
    alice.close();
  });

  it("starts a fresh device at the head with nothing replayed, then pushes what comes next", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    for (let i = 0; i < 3; i++) alice.send({ t: "send", id: `f${i}`, to: { user: b.user.id }, body: textBody(`before ${i}`) });
    for (let i = 0; i < 3; i++) await alice.next((f) => f.t === "accepted");

    // Bob signs in on a new phone: no replay of his log, just where it stands.
    const phone = await Client.open(b.token);
    phone.send({ t: "hello", fresh: true, device: "new-phone" });
    const ready = await phone.next<Extract<ServerFrame, { t: "ready" }>>((f) => f.t === "ready");
    expect(phone.events()).toEqual([]);
    // The friend.accepted event and three messages are in his log; history serves them.
    expect(ready.head).toBeGreaterThanOrEqual(4);
    const conv = directConversationId(a.user.id, b.user.id);
    expect((await api(`/api/conversations/${conv}/messages`, { token: b.token })).data.messages.map((m: { body: { text: string } }) => m.body.text)).toEqual(["before 0", "before 1", "before 2"]);

    alice.send({ t: "send", id: "f3", to: { user: b.user.id }, body: textBody("after") });
    const live = await phone.next<Ev>(isMessage);
    expect(live.seq).toBe(ready.head + 1);
    // Acking the head marks what was waiting as delivered for the sender.
    phone.send({ t: "ack", seq: live.seq });
    const delivered = new Set<string>();
    while (delivered.size < 4) {
      const st = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "delivered");
      for (const id of (st.ev as { msgIds: string[] }).msgIds) delivered.add(id);
    }
    // `resume` wins over `fresh`: a device that has stored something gets what it missed.
    const other = await Client.open(b.token);
    other.send({ t: "hello", resume: ready.head, fresh: true });
    await other.next((f) => f.t === "ready");
    expect(other.events("message").map((f) => f.seq)).toEqual([live.seq]);
    phone.close();
    other.close();
    alice.close();
  });

  it("answers a retried send with the first answer and never delivers twice", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);
    const frame = { t: "send", id: "same-id", to: { user: b.user.id }, body: textBody("once") };
    alice.send(frame);
    const first = await alice.next<Accepted>((f) => f.t === "accepted");
    alice.send(frame);
    alice.send(frame);
    const second = await alice.next<Accepted>((f) => f.t === "accepted");
    const third = await alice.next<Accepted>((f) => f.t === "accepted");
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    await bob.next(isMessage);
    const page = await api(`/api/conversations/${first.conv}/messages`, { token: b.token });
    expect(page.data.messages.map((m: any) => m.id)).toEqual([first.msgId]);
    alice.close();
    bob.close();
  });

  it("hands the messages sent while one is on its way over together, in order, each accepted", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);
    // Bob's hub holds the first hand-over until Alice's hub has taken every send of the burst.
    const calls: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await runInDurableObject(hub(b), (instance) => {
      const direct = (instance as unknown as { direct: Direct }).direct;
      const deliver = direct.deliver.bind(direct);
      direct.deliver = ((input: Parameters<Direct["deliver"]>[0]) => {
        const msgs = "msgs" in input ? input.msgs : [input.msg];
        calls.push(msgs.map((m) => (m.body as { text: string }).text));
        return calls.length === 1 ? gate.then(() => deliver(input)) : deliver(input);
      }) as Direct["deliver"];
    });
    const n = 30;
    for (let i = 0; i < n; i++) alice.send({ t: "send", id: `burst-${i}`, to: { user: b.user.id }, body: textBody(`b${i}`) });
    const taken = () => runInDurableObject(hub(a), (instance) => (instance as unknown as { hub: Hub }).hub.store.sends.get(`burst-${n - 1}`) !== undefined);
    while (!(await taken())) await new Promise((r) => setTimeout(r, 10));
    release();

    const accepted: Accepted[] = [];
    for (let i = 0; i < n; i++) accepted.push(await alice.next<Accepted>((f) => f.t === "accepted"));
    expect(accepted.map((f) => f.id)).toEqual(Array.from({ length: n }, (_, i) => `burst-${i}`));
    expect(calls).toEqual([["b0"], Array.from({ length: n - 1 }, (_, i) => `b${i + 1}`)]);
    const got: Ev[] = [];
    for (let i = 0; i < n; i++) got.push(await bob.next<Ev>(isMessage));
    expect(got.map((f) => (f.ev as any).msg.id)).toEqual(accepted.map((f) => f.msgId));
    expect(got.every((f, i) => i === 0 || f.seq === got[i - 1]!.seq + 1)).toBe(true);
    // Alice's own log has them in the same order.
    const page = await api(`/api/conversations/${accepted[0]!.conv}/messages?limit=50`, { token: a.token });
    expect(page.data.messages.map((m: any) => m.id)).toEqual(accepted.map((f) => f.msgId));
    alice.close();
    bob.close();
  });

  it("takes a hand-over of one message in the shape from before batches", async () => {
    const { a, b } = await pair();
    const conv = directConversationId(a.user.id, b.user.id);
    const msg = { id: "m_legacy1", from: a.user.id, source: "unibox", body: textBody("old shape"), at: Date.now() };
    expect(await hub(b).deliver({ conv, msg, from: a.user })).toEqual({ ok: true });
    expect(await hub(b).deliver({ conv, msg, from: a.user })).toEqual({ ok: true });
    const page = await api(`/api/conversations/${conv}/messages`, { token: b.token });
    expect(page.data.messages.map((m: any) => m.id)).toEqual(["m_legacy1"]);
  });

  it("sends the sender's own message to every one of the sender's devices", async () => {
    const { a, b } = await pair();
    const phone = await Client.open(a.token, 0);
    const laptop = await Client.open(a.token, 0);
    phone.send({ t: "send", id: "sync-1", to: { user: b.user.id }, body: textBody("from my phone") });
    const acc = await phone.next<Accepted>((f) => f.t === "accepted");
    const onLaptop = await laptop.next<Ev>(isMessage);
    expect((onLaptop.ev as any).msg).toMatchObject({ id: acc.msgId, from: a.user.id, body: { text: "from my phone" } });
    await phone.next(isMessage); // the sending device gets it too
    phone.close();
    laptop.close();
  });

  it("turns acks into delivered and reads into read for the sender, and clears unread", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);
    alice.send({ t: "send", id: "r1", to: { user: b.user.id }, body: textBody("did you get this?") });
    const acc = await alice.next<Accepted>((f) => f.t === "accepted");
    const ev = await bob.next<Ev>(isMessage);
    expect((await api("/api/conversations", { token: b.token })).data.conversations[0]).toMatchObject({ id: acc.conv, unread: 1, peer: { id: a.user.id } });

    bob.send({ t: "ack", seq: ev.seq });
    const delivered = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "status");
    expect(delivered.ev).toMatchObject({ type: "status", conv: acc.conv, msgIds: [acc.msgId], state: "delivered", by: b.user.id });

    bob.send({ t: "read", conv: acc.conv, msgIds: [acc.msgId] });
    const read = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "status");
    expect(read.ev).toMatchObject({ state: "read", msgIds: [acc.msgId], by: b.user.id });
    expect((await api("/api/conversations", { token: b.token })).data.conversations[0].unread).toBe(0);
    const history = await api(`/api/conversations/${acc.conv}/messages`, { token: a.token });
    expect(history.data.messages[0]).toMatchObject({ id: acc.msgId, state: "read" });
    alice.close();
    bob.close();
  });

  it("tells the reader's own devices how many stay unread when newer messages came in after the ids read", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);
    const ids: string[] = [];
    for (const text of ["one", "two", "three"]) {
      alice.send({ t: "send", id: `u-${text}`, to: { user: b.user.id }, body: textBody(text) });
      ids.push((await alice.next<Accepted>((f) => f.t === "accepted")).msgId);
    }
    const conv = directConversationId(a.user.id, b.user.id);
    // Bob's phone saw only the first one when it sent its read; two more were already in his log.
    bob.send({ t: "read", conv, msgIds: [ids[0]!] });
    const own = await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "status");
    expect(own.ev).toMatchObject({ type: "status", conv, msgIds: [ids[0]], state: "read", by: b.user.id, unread: 2 });
    bob.send({ t: "read", conv, msgIds: ids.slice(1) });
    const after = await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "status");
    expect(after.ev).toMatchObject({ msgIds: ids.slice(1), unread: 0 });
    expect((await api("/api/conversations", { token: b.token })).data.conversations[0].unread).toBe(0);
    alice.close();
    bob.close();
  });

  it("sends a receipt enqueued while another is on its way in the same flush, not at the next alarm", async () => {
    const { a, b } = await pair();
    await Client.open(a.token, 0).then((c) => c.close()); // the hub knows its user
    await runInDurableObject(hub(a), async (instance) => {
      const { hub: h } = instance as unknown as { hub: Hub };
      const receipt = (state: string) => ({ conv: "d:x:y", msgIds: ["m_x"], state, by: a.user.id, at: Date.now() });
      h.outbox.enqueue(b.user.id, "status", receipt("delivered"));
      const running = h.outbox.flushNow(); // now awaiting the peer hub
      h.outbox.enqueue(b.user.id, "status", receipt("read"));
      await h.outbox.flushNow(); // returns at once: a flush is running
      await running;
      expect(h.store.outbox.due(Date.now() + 3_600_000)).toEqual([]);
    });
  });

  it("keeps a read receipt that overtakes the sender's own copy, and applies it once the copy is written", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    const conv = directConversationId(a.user.id, b.user.id);
    await runInDurableObject(hub(a), async (instance) => {
      const internals = instance as unknown as { hub: Hub; direct: Direct };
      // The send is reserved and on its way to Bob; his device reads it before Alice's hub writes its copy.
      internals.hub.store.sends.reserve("early-1", "m_early1", conv, Date.now());
      await hub(a).receiveStatus({ conv, msgIds: ["m_early1"], state: "read", by: b.user.id, at: Date.now() });
      await internals.direct.send("early-1", b.user.id, { type: "text", text: "read before written" });
    });
    const st = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "status");
    expect(st.ev).toMatchObject({ state: "read", msgIds: ["m_early1"], by: b.user.id });
    const page = await api(`/api/conversations/${conv}/messages`, { token: a.token });
    expect(page.data.messages.at(-1)).toMatchObject({ id: "m_early1", state: "read" });
    alice.close();
  });

  it("pages history backwards with a cursor", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    for (let i = 0; i < 7; i++) alice.send({ t: "send", id: `p${i}`, to: { user: b.user.id }, body: textBody(`n${i}`) });
    let conv = "";
    for (let i = 0; i < 7; i++) conv = (await alice.next<Accepted>((f) => f.t === "accepted")).conv;
    const p1 = await api(`/api/conversations/${conv}/messages?limit=3`, { token: b.token });
    expect(p1.data.messages.map((m: any) => m.body.text)).toEqual(["n4", "n5", "n6"]);
    const p2 = await api(`/api/conversations/${conv}/messages?limit=3&before=${p1.data.before}`, { token: b.token });
    expect(p2.data.messages.map((m: any) => m.body.text)).toEqual(["n1", "n2", "n3"]);
    const p3 = await api(`/api/conversations/${conv}/messages?limit=3&before=${p2.data.before}`, { token: b.token });
    expect(p3.data.messages.map((m: any) => m.body.text)).toEqual(["n0"]);
    expect(p3.data.before).toBeUndefined();
    expect((await api(`/api/conversations/${conv}/messages?limit=0`, { token: b.token })).status).toBe(400);
    alice.close();
  });

  it("loses nothing across eviction: seq continues and resume replays", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    alice.send({ t: "send", id: "e1", to: { user: b.user.id }, body: textBody("before eviction") });
    await alice.next((f) => f.t === "accepted");
    alice.close();
    await evictDurableObject(hub(b));
    await evictDurableObject(hub(a));
    const alice2 = await Client.open(a.token, 0);
    alice2.send({ t: "send", id: "e2", to: { user: b.user.id }, body: textBody("after eviction") });
    await alice2.next((f) => f.t === "accepted");
    const bob = await Client.open(b.token);
    bob.send({ t: "hello", resume: 0 });
    await bob.next((f) => f.t === "ready");
    const texts = bob.events("message").map((f) => (f.ev as any).msg.body.text);
    expect(texts).toEqual(["before eviction", "after eviction"]);
    const seqs = bob.events().map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    alice2.close();
    bob.close();
  });
});

describe("UserHub: bad frames", () => {
  it("answers each malformed frame with an error (naming its id) and keeps serving", async () => {
    const { a, b } = await pair();
    const alice = await Client.open(a.token, 0);
    const cases: [unknown, string, string?][] = [
      ["not json", "invalid_json"],
      [JSON.stringify({ t: "nope" }), "invalid_frame"],
      [JSON.stringify({ t: "send", id: "x1", to: { user: b.user.id }, body: { type: "text", text: "" } }), "invalid_frame", "x1"],
      [JSON.stringify({ t: "send", id: "x2", to: { planet: "mars" }, body: textBody("hi") }), "invalid_frame", "x2"],
      [JSON.stringify({ t: "send", id: "x3", to: { user: "u_nobody" }, body: textBody("hi") }), "not_friend", "x3"],
      [JSON.stringify({ t: "send", id: "x4", to: { user: a.user.id }, body: textBody("me") }), "invalid_target", "x4"],
      [JSON.stringify({ t: "send", id: "x5", to: { user: b.user.id }, body: textBody("x".repeat(4001)) }), "invalid_frame", "x5"],
      [JSON.stringify({ t: "ack", seq: 10 ** 9 }), "invalid_ack"],
      [JSON.stringify({ t: "read", conv: "d:u_x:u_y", msgIds: ["m_1"] }), "not_found"],
      [JSON.stringify({ t: "send", id: "x6", to: { user: b.user.id }, body: { type: "location", lat: 91, lng: 0 } }), "invalid_frame", "x6"],
      ["{" + '"a":'.repeat(1) + "x".repeat(70_000) + "}", "frame_too_large"],
    ];
    for (const [frame, code, id] of cases) {
      alice.send(frame);
      const err = await alice.next<Extract<ServerFrame, { t: "error" }>>((f) => f.t === "error");
      expect(err.code, String(frame).slice(0, 80)).toBe(code);
      if (id) expect(err.id).toBe(id);
      expect(err.message.length).toBeGreaterThan(0);
    }
    alice.ws.send(new Uint8Array([1, 2, 3]));
    expect((await alice.next<Extract<ServerFrame, { t: "error" }>>((f) => f.t === "error")).code).toBe("binary_frame");
    // Still serving: a valid send works and the socket never closed.
    alice.send({ t: "send", id: "ok", to: { user: b.user.id }, body: { type: "location", lat: 52.52, lng: 13.4, label: "Berlin" } });
    expect((await alice.next<Accepted>((f) => f.t === "accepted")).id).toBe("ok");
    expect(alice.closed).toBeNull();
    alice.close();
  });

  it("answers the bare text ping with pong (runtime auto-response)", async () => {
    const a = await register("pinger");
    const c = await Client.open(a.token, 0);
    const before = c.pongs;
    c.send("ping");
    await vi.waitFor(() => expect(c.pongs).toBeGreaterThan(before));
    c.close();
  });
});

describe("UserHub: authorization", () => {
  it("keeps a third user out of a conversation that is not theirs", async () => {
    const { a, b } = await pair();
    const eve = await register("eve");
    const alice = await Client.open(a.token, 0);
    alice.send({ t: "send", id: "secret", to: { user: b.user.id }, body: textBody("just between us") });
    const { conv, msgId } = await alice.next<Accepted>((f) => f.t === "accepted");

    const read = await api(`/api/conversations/${conv}/messages`, { token: eve.token });
    expect([read.status, read.data.error.code]).toEqual([404, "conversation_not_found"]);
    expect((await api("/api/conversations", { token: eve.token })).data.conversations).toEqual([]);
    expect((await api(`/api/conversations/${conv}/messages`)).status).toBe(401);

    const sock = await Client.open(eve.token, 0);
    sock.send({ t: "send", id: "intrude", to: { user: b.user.id }, body: textBody("hi") });
    expect(await sock.next((f) => f.t === "error")).toMatchObject({ id: "intrude", code: "not_friend" });
    sock.send({ t: "read", conv, msgIds: [msgId] });
    expect(await sock.next((f) => f.t === "error")).toMatchObject({ code: "not_found" });
    // Bob's message is still unread: eve's read changed nothing.
    expect((await api("/api/conversations", { token: b.token })).data.conversations[0].unread).toBe(1);
    // A WebSocket without a session is refused before any hub sees it.
    expect((await api("/api/ws", { headers: { Upgrade: "websocket" } })).status).toBe(401);
    sock.close();
    alice.close();
  });
});

describe("UserHub: presence", () => {
  it("closes a socket that went silent (no ping, no frames) but not one that keeps talking", async () => {
    const a = await register("silent");
    const silent = await Client.open(a.token, 0, { keepalive: false });
    const chatty = await Client.open(a.token, 0, { keepalive: false });
    await runInDurableObject(hub(a), async (_i, state) => {
      // Make the silent socket look older than the grace period; the chatty one then speaks.
      for (const ws of state.getWebSockets()) {
        setAttachment(ws, { ...attachmentOf(ws), connectedAt: 0, activeAt: 0 });
      }
    });
    chatty.send({ t: "ack", seq: 0 });
    await new Promise((r) => setTimeout(r, 50));
    await runInDurableObject(hub(a), async (instance, state) => {
      // Only the socket that spoke after the reset is fresh; find it by its activity.
      const fresh = state.getWebSockets().filter((ws) => attachmentOf(ws).activeAt > 0);
      expect(fresh).toHaveLength(1);
      // The silent-socket check is a timer row, due once per grace period: make it due now.
      timerDueNow(instance, "reap");
    });
    expect(await runDurableObjectAlarm(hub(a))).toBe(true);
    await vi.waitFor(() => expect(silent.closed?.code).toBe(1001));
    expect(chatty.closed).toBeNull();
    chatty.close();
  });

  it("tells friends when a user comes online and, after the grace period with no socket, goes offline", async () => {
    const { a, b } = await pair();
    const bob = await Client.open(b.token, 0);
    const alice = await Client.open(a.token, 0);
    const online = await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "presence" && (f.ev as any).online);
    expect(online.ev).toMatchObject({ user: a.user.id, online: true });
    alice.close();
    await new Promise((r) => setTimeout(r, 50));
    // Grace is 5 s in tests; the alarm is due then. Run it as the runtime would once time is up.
    await runInDurableObject(hub(a), async (instance) => timerDueNow(instance, "offline"));
    expect(await runDurableObjectAlarm(hub(a))).toBe(true);
    const offline = await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "presence" && !(f.ev as any).online);
    expect(offline.ev).toMatchObject({ user: a.user.id, online: false });
    await runInDurableObject(hub(a), async (_i, state) => {
      expect(state.storage.sql.exec("SELECT v FROM meta WHERE k = 'online'").one().v).toBe("0");
    });
    expect((await api("/api/friends", { token: b.token })).data.friends[0].online).toBe(false);
    bob.close();
  });
});
