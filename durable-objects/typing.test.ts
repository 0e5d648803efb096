// "Typing…" reaches the friend's open sockets and nothing else: not their log, not a push.
import { describe, expect, it } from "vitest";
import { directConversationId } from "../core/conversation";
import type { ServerFrame } from "../core/protocol";
import { befriend, Client, register } from "../worker/test/helpers";

describe("UserHub: typing", () => {
  it("forwards typing to the friend's open sockets, never into either log", async () => {
    const [a, b] = [await register("typa"), await register("typb")];
    await befriend(a, b);
    const alice = await Client.open(a.token, 0);
    const bob = await Client.open(b.token, 0);
    const conv = directConversationId(a.user.id, b.user.id);
    alice.send({ t: "typing", conv, state: "active" });
    expect(await bob.next((f) => f.t === "typing")).toEqual({ t: "typing", conv, from: a.user.id, state: "active" });
    alice.send({ t: "typing", conv, state: "paused" });
    expect(await bob.next((f) => f.t === "typing")).toMatchObject({ state: "paused" });
    // Alice's own devices are not told about her own typing.
    await new Promise((r) => setTimeout(r, 100));
    expect(alice.frames.filter((f: ServerFrame) => f.t === "typing")).toEqual([]);
    // Neither log holds it: a replay from 0 has no trace of it.
    for (const token of [a.token, b.token]) {
      const again = await Client.open(token, 0);
      expect(JSON.stringify(again.frames)).not.toContain("typing");
      again.close();
    }
    alice.close();
    bob.close();
  });

  it("refuses typing into a conversation that is not one of yours", async () => {
    const [a, b, eve] = [await register("typc"), await register("typd"), await register("type")];
    await befriend(a, b);
    const sock = await Client.open(eve.token, 0);
    sock.send({ t: "typing", conv: directConversationId(a.user.id, b.user.id), state: "active" });
    expect(await sock.next((f) => f.t === "error")).toMatchObject({ code: "not_found" });
    sock.close();
  });
});
