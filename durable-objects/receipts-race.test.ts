import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../worker/protocol";
import { befriend, Client, register, textBody } from "../worker/test/helpers";

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
