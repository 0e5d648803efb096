// Hot-path audit: sending and delivering messages (1:1 and group), acks and reads do no
// D1 query. The D1 binding inside the live hub and room instances is swapped for a
// counting proxy; any prepare/exec/batch/dump on it is a query on the hot path.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../worker/env";
import { hubOf, roomOf } from "./stubs";
import type { ServerFrame } from "../core/protocol";
import { api, befriend, Client, register, textBody } from "../worker/test/helpers";

type Accepted = Extract<ServerFrame, { t: "accepted" }>;
const E = env as unknown as Env;

/** Replaces `env.DB` in the object's live instance with a proxy that counts queries. */
async function countD1(stub: DurableObjectStub, counter: { n: number; calls: string[] }) {
  await runInDurableObject(stub, async (instance) => {
    const target = instance as unknown as { env: Env };
    const real = target.env.DB;
    target.env = {
      ...target.env,
      DB: new Proxy(real, {
        get(t, prop, receiver) {
          const value = Reflect.get(t, prop, receiver);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            counter.n++;
            counter.calls.push(String(prop));
            return value.apply(t, args);
          };
        },
      }),
    };
  });
}

describe("hot path audit", () => {
  it("makes 0 D1 queries per message for 1:1 and group sends, deliveries, acks and reads", async () => {
    const [a, b, c] = [await register("hpa"), await register("hpb"), await register("hpc")];
    await befriend(a, b);
    await befriend(a, c);
    const group = (await api("/api/groups", { method: "POST", token: a.token, json: { members: [b.user.id, c.user.id] } })).data.group;
    // Open the sockets first: the upgrade (session + friend set) is allowed to read D1.
    const [alice, bob, carol] = await Promise.all([a, b, c].map((u) => Client.open(u.token, 0)));
    const counter = { n: 0, calls: [] as string[] };
    for (const u of [a, b, c]) await countD1(hubOf(E, u.user.id), counter);
    await countD1(roomOf(E, group.id), counter);

    const N = 20;
    for (let i = 0; i < N; i++) {
      alice.send({ t: "send", id: `d${i}`, to: { user: b.user.id }, body: textBody(`direct ${i}`) });
      bob.send({ t: "send", id: `g${i}`, to: { group: group.id }, body: textBody(`group ${i}`) });
    }
    const direct: Accepted[] = [];
    for (let i = 0; i < N; i++) direct.push(await alice.next<Accepted>((f) => f.t === "accepted"));
    const grouped: Accepted[] = [];
    for (let i = 0; i < N; i++) grouped.push(await bob.next<Accepted>((f) => f.t === "accepted"));
    await vi.waitFor(() => expect(carol.events("message").length).toBe(N));
    // Receipts: acks and reads flow back through the hubs' outboxes.
    const head = Math.max(...bob.events().map((f) => f.seq));
    bob.send({ t: "ack", seq: head });
    bob.send({ t: "read", conv: direct[0]!.conv, msgIds: direct.map((f) => f.msgId) });
    carol.send({ t: "read", conv: group.conv, msgIds: grouped.map((f) => f.msgId) });
    await alice.next((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "read");
    await bob.next((f) => f.t === "ev" && f.ev.type === "status" && f.ev.by === c.user.id);

    expect(counter.calls).toEqual([]);
    expect(counter.n).toBe(0);
    // The instances that carried the traffic are the proxied ones: a query through each counts.
    const stubs = [...[a, b, c].map((u) => hubOf(E, u.user.id)), roomOf(E, group.id)];
    for (const stub of stubs) {
      await runInDurableObject(stub, async (instance) => {
        await (instance as unknown as { env: Env }).env.DB.prepare("SELECT 1").first();
      });
    }
    expect(counter.n).toBe(stubs.length);
    [alice, bob, carol].forEach((s) => s.close());
  });

  it("the counting proxy does count (the audit can fail)", async () => {
    const a = await register("hpprobe");
    const counter = { n: 0, calls: [] as string[] };
    await countD1(hubOf(E, a.user.id), counter);
    await runInDurableObject(hubOf(E, a.user.id), async (instance) => {
      await (instance as unknown as { env: Env }).env.DB.prepare("SELECT 1").first();
    });
    expect(counter.n).toBe(1);
  });
});
