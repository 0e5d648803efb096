import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../core/protocol";
import { api, befriend, Client, register, textBody } from "../worker/test/helpers";

type Ev = Extract<ServerFrame, { t: "ev" }>;
type Accepted = Extract<ServerFrame, { t: "accepted" }>;

describe("receipts: ack and read together", () => {
  it("the sender ends at read when the recipient acks and reads each message at once", async () => {
    const [a, b] = [await register("rra"), await register("rrb")];
    await befriend(a, b);
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      alice.send({ t: "send", id: `rr${i}`, to: { user: b.user.id }, body: textBody(`x${i}`) });
      const acc = await alice.next<Accepted>((f) => f.t === "accepted");
      ids.push(acc.msgId);
      const ev = await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "message");
      bob.send({ t: "ack", seq: ev.seq });
      bob.send({ t: "read", conv: acc.conv, msgIds: [acc.msgId] });
    }
    const read = new Set<string>();
    while (read.size < 3) {
      const st = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "read", 3000);
      for (const id of (st.ev as { msgIds: string[] }).msgIds) read.add(id);
    }
    expect([...read].sort()).toEqual([...ids].sort());
    alice.close();
    bob.close();
  });
});

describe("receipts: a burst becomes one notification", () => {
  it("merges a burst of acks and reads into one status event per state, with every id", async () => {
    const [a, b] = [await register("rca"), await register("rcb")];
    await befriend(a, b);
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) alice.send({ t: "send", id: `rc${i}`, to: { user: b.user.id }, body: textBody(`burst ${i}`) });
    for (let i = 0; i < 10; i++) ids.push((await alice.next<Accepted>((f) => f.t === "accepted")).msgId);
    const got: Ev[] = [];
    for (let i = 0; i < 10; i++) got.push(await bob.next<Ev>((f) => f.t === "ev" && f.ev.type === "message"));
    const conv = (got[0]!.ev as { conv: string }).conv;
    // Bob's phone acks each event on its own, then reads each message on its own.
    for (const ev of got) bob.send({ t: "ack", seq: ev.seq });
    for (const id of ids) bob.send({ t: "read", conv, msgIds: [id] });

    const statuses = async (state: "delivered" | "read") => {
      const seen = new Set<string>();
      let events = 0;
      while (seen.size < ids.length) {
        const st = await alice.next<Ev>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === state, 3000);
        events++;
        for (const id of (st.ev as { msgIds: string[] }).msgIds) seen.add(id);
      }
      return { ids: [...seen].sort(), events };
    };
    const [delivered, read] = [await statuses("delivered"), await statuses("read")];
    expect(delivered.ids).toEqual([...ids].sort());
    expect(read.ids).toEqual([...ids].sort());
    // Ten acks and ten reads, each on its own frame: a couple of events, not twenty.
    expect(delivered.events + read.events).toBeLessThanOrEqual(4);
    // History agrees: every message ends read.
    const page = await api(`/api/conversations/${conv}/messages`, { token: a.token });
    expect(page.data.messages.map((m: { state: string }) => m.state)).toEqual(ids.map(() => "read"));
    alice.close();
    bob.close();
  });
});
