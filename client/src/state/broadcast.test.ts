// The broadcast card's state against a fake hub socket: stored before it is sent, sent again
// with its id on the next ready until accepted, each recipient following broadcast.status
// (a retry is the one way down), and Retry only for a failed recipient with a message.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { connectFake, resetClient } from "../../test/sync-harness";
import { broadcasts, loadBroadcasts, resetBroadcasts, retryRecipient, sendBroadcast } from "./broadcast";
import { kv } from "./db";
import { settled } from "./sync";

const recipients = [
  { to: { user: "u_b" }, name: "Bob", source: "unibox" },
  { to: { account: "a_x", contact: "carol@jabber.test" }, name: "Carol", source: "a_x" },
  { to: { account: "a_m", contact: "@dan:matrix.test" }, name: "Dan", source: "a_m" },
];
const body = { type: "text" as const, text: "Friday?" };
const frames = (sock: { frames(): Record<string, unknown>[] }) => sock.frames().filter((f) => f.t !== "hello" && f.t !== "ack");

describe("broadcast state", () => {
  beforeEach(async () => {
    await resetClient();
    resetBroadcasts();
  });

  it("keeps a broadcast until accepted, sends it again with the same id after a reconnect, and follows each recipient", async () => {
    const first = await connectFake({ ready: 0 });
    const id = await sendBroadcast(recipients, body);
    expect(frames(first)).toEqual([{ t: "broadcast", id, to: recipients.map((r) => r.to), body }]);
    expect((await kv.get<Record<string, unknown>>("broadcasts"))?.[id]).toBeTruthy();
    first.drop();
    const second = await connectFake({ ready: 0 });
    await vi.waitFor(() => expect(frames(second).filter((f) => f.t === "broadcast").map((f) => f.id)).toEqual([id]));

    second.deliver({ t: "accepted", id, msgId: "m1", conv: "d:u_a:u_b", at: 1, targets: [{ msgId: "m1", conv: "d:u_a:u_b" }, { msgId: "m2", conv: "r:a_x:carol@jabber.test" }, { msgId: "m3", conv: "r:a_m:@dan:matrix.test" }] });
    await settled();
    const ev = (seq: number, target: number, state: string, extra = {}) => second.deliver({ t: "ev", seq, ev: { type: "broadcast.status", id, target, state, at: seq, ...extra } as never });
    ev(1, 0, "sent");
    ev(2, 1, "queued");
    ev(3, 2, "queued");
    ev(4, 2, "failed", { reason: "no room with Dan", code: "remote_refused" });
    ev(5, 1, "sent");
    ev(6, 0, "delivered");
    ev(7, 0, "sent"); // a late, lower state never lowers one
    await settled();
    const b = broadcasts.value[id]!;
    expect(b.accepted).toBe(true);
    expect(b.recipients.map((r) => r.state)).toEqual(["delivered", "sent", "failed"]);
    expect(b.recipients[2]).toMatchObject({ reason: "no room with Dan", code: "remote_refused", msgId: "m3" });

    // Retry: only the failed one, as a `retry` frame for its message.
    expect(retryRecipient(id, 0)).toBe(false);
    expect(retryRecipient(id, 2)).toBe(true);
    expect(frames(second).at(-1)).toEqual({ t: "retry", msgId: "m3" });
    expect(broadcasts.value[id]!.recipients[2]!.state).toBe("queued");
    ev(8, 2, "queued");
    ev(9, 2, "sent");
    await settled();
    expect(broadcasts.value[id]!.recipients.map((r) => r.state)).toEqual(["delivered", "sent", "sent"]);

    // Accepted broadcasts are not sent again; the card survives a reload.
    second.drop();
    const third = await connectFake({ ready: 9 });
    await new Promise((r) => setTimeout(r, 50));
    expect(frames(third).filter((f) => f.t === "broadcast")).toEqual([]);
    resetBroadcasts();
    await loadBroadcasts();
    expect(broadcasts.value[id]!.recipients.map((r) => r.state)).toEqual(["delivered", "sent", "sent"]);
  });

  it("shows a recipient refused at once as failed with the reason, and a refused frame fails them all", async () => {
    const sock = await connectFake({ ready: 0 });
    const id = await sendBroadcast(recipients.slice(0, 2), body);
    sock.deliver({ t: "accepted", id, msgId: "m1", conv: "d:u_a:u_b", at: 1, targets: [{ msgId: "m1", conv: "d:u_a:u_b" }, { error: { code: "account_removed", message: "this account was removed" } }] });
    await settled();
    expect(broadcasts.value[id]!.recipients.map((r) => [r.state, r.code])).toEqual([["queued", undefined], ["failed", "account_removed"]]);
    expect(retryRecipient(id, 1)).toBe(false); // nothing went out: nothing to retry
    const other = await sendBroadcast(recipients.slice(0, 1), body);
    sock.deliver({ t: "error", id: other, code: "invalid_frame", message: "to: too many" });
    await settled();
    expect(broadcasts.value[other]!.recipients.map((r) => r.state)).toEqual(["failed"]);
  });
});
