// The outbox and the sync layer together: queued messages survive a "reload" (a fresh
// read of IndexedDB), go out with the same client id on every retry, and leave the
// outbox only when the hub accepts them.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../../test/fake-socket";
import { connectFake, resetClient } from "../../test/sync-harness";
import { stopConnection } from "./connection";
import { db, loadSnapshot } from "./db";
import { echoes, outbox, pendingByConv, queueMessage, resetOutboxState } from "./outbox";
import { settled } from "./sync";
import { threadOf } from "./threads";

const conv = "d:u_a:u_b";
const text = (t: string) => ({ type: "text" as const, text: t });

const connect = (head = 0) => connectFake({ ready: head, resume: () => 0 });

const sends = (s: FakeSocket) => s.frames().filter((f) => f.t === "send");

describe("outbox", () => {
  beforeEach(async () => {
    await resetClient();
  });
  afterEach(() => {
    stopConnection();
    vi.restoreAllMocks();
  });

  it("keeps a message written offline across a reload and sends it once, with the same id, when back", async () => {
    const item = await queueMessage(conv, "u_b", text("written offline"));
    expect(pendingByConv.value.get(conv)?.map((i) => i.id)).toEqual([item.id]);

    // "Reload": memory is gone, IndexedDB is not.
    resetOutboxState();
    const snap = await loadSnapshot();
    expect(snap.outbox).toEqual([item]);
    resetOutboxState(snap.outbox);

    const sock = await connect();
    expect(sends(sock)).toEqual([{ t: "send", id: item.id, to: { user: "u_b" }, body: text("written offline") }]);

    // The link drops before the answer: the retry on the next socket reuses the id.
    sock.drop();
    const again = await connect();
    expect(sends(again).map((f) => f.id)).toEqual([item.id]);

    again.deliver({ t: "accepted", id: item.id, msgId: "m_1", conv, at: 1000 });
    await settled();
    expect(outbox.value).toEqual([]);
    expect((await loadSnapshot()).outbox).toEqual([]);
    expect(await (await db()).get("messages", "m_1")).toMatchObject({ id: "m_1", conv, from: "u_a", state: "sent" });
  });

  it("sends queued messages in the order they were written", async () => {
    const sock = await connect();
    const a = await queueMessage(conv, "u_b", text("one"), 1);
    const b = await queueMessage(conv, "u_b", text("two"), 2);
    const c = await queueMessage(conv, "u_b", text("three"), 3);
    expect(sends(sock).map((f) => f.id)).toEqual([a.id, b.id, c.id]);
  });

  it("never shows a message twice when its own echo arrives before `accepted`", async () => {
    const sock = await connect();
    threadOf(conv).value = { ...threadOf(conv).value, loaded: true };
    const item = await queueMessage(conv, "u_b", text("hello"));
    sock.deliver({ t: "ev", seq: 1, ev: { type: "message", conv, msg: { id: "m_9", from: "u_a", source: "unibox", body: text("hello"), at: 5 } } });
    await settled();
    expect(echoes.value.get(item.id)).toBe("m_9");
    expect(pendingByConv.value.get(conv)).toBeUndefined();
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["m_9"]);

    sock.deliver({ t: "accepted", id: item.id, msgId: "m_9", conv, at: 5 });
    await settled();
    expect(outbox.value).toEqual([]);
    expect(threadOf(conv).value.messages.map((m) => m.id)).toEqual(["m_9"]);
  });

  it("marks a message failed when the hub refuses it for good, and keeps retrying a transient refusal", async () => {
    const sock = await connect();
    const refusedForGood = await queueMessage(conv, "u_b", text("to a stranger"));
    const transient = await queueMessage(conv, "u_b", text("server hiccup"));
    sock.deliver({ t: "error", id: refusedForGood.id, code: "not_friend", message: "you can only message your friends" });
    sock.deliver({ t: "error", id: transient.id, code: "internal", message: "retry it" });
    await settled();
    expect(outbox.value.find((i) => i.id === refusedForGood.id)?.error?.code).toBe("not_friend");
    expect(outbox.value.find((i) => i.id === transient.id)?.error).toBeUndefined();
    expect((await loadSnapshot()).outbox.find((i) => i.id === refusedForGood.id)?.error?.code).toBe("not_friend");

    sock.drop();
    const next = await connect();
    expect(sends(next).map((f) => f.id)).toEqual([transient.id]);
  });
});
