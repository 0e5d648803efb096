// Issue 14's broadcast test through a real `wrangler dev`: one `broadcast` frame to two Unibox
// friends, Bob on XMPP (a real Prosody) and Carol on Matrix (the spec fake). Matrix fails once:
// the user's account had just left Carol's room, so the network cannot take it; she invites the
// account back, the user taps Retry, and it goes. Every recipient gets it exactly once (also
// after the frame is sent again, and after a server restart), each target's states come in
// order, and each message's delivery timeline shows its way.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELIVERY_RANK } from "../../../core/delivery";
import type { HubEvent, ServerFrame } from "../../../core/protocol";
import { call, openPhone, type Phone } from "../../support/accounts";
import { BOB, type Networks, startNetworks, statesByTarget } from "./networks";

let net: Networks & { phone: Phone };
let friendPhones: Phone[];
const BODY = { type: "text" as const, text: "Dinner at ours on Friday, 7pm?" };
type Accepted = Extract<ServerFrame, { t: "accepted" }>;

beforeAll(async () => {
  net = await startNetworks("bc");
  friendPhones = await Promise.all(net.friends.map((f) => openPhone(net.server.url, f)));
});

afterAll(async () => {
  for (const p of friendPhones ?? []) p.close();
  await net?.stop();
});

describe("broadcast to four people on three networks", () => {
  it("delivers to all four once, with one retry for the Matrix send that failed, statuses in order", async () => {
    const { phone, hs, carol, room, matrix, xmpp, friends, bob } = net;
    // Carol's room is left (she removed the account): Matrix cannot take a message to her now.
    hs.kick(room, "@alice:matrix.test", carol);
    await phone.waitEvent((e) => e.type === "account.contacts" && e.account === matrix && !e.contacts.some((c) => c.id === carol), 20_000, "Carol gone from the contacts");

    const targets = [{ user: friends[0].id }, { user: friends[1].id }, { account: xmpp, contact: BOB }, { account: matrix, contact: carol }];
    phone.send({ t: "broadcast", id: "bc-1", to: targets, body: BODY });
    const accepted = await frame<Accepted>(phone, (f) => f.t === "accepted" && f.id === "bc-1");
    expect(accepted.targets).toHaveLength(4);
    expect(accepted.targets!.every((t) => t.msgId && t.conv && !t.error)).toBe(true);
    const msgIds = accepted.targets!.map((t) => t.msgId!);

    // The friends have it, Bob has it; Carol's is failed with the network's reason.
    for (const p of friendPhones) await p.waitEvent((e) => e.type === "message" && (e.msg.body as { text: string }).text === BODY.text, 20_000, "a friend's copy");
    await bob.waitFor((m) => m.body === BODY.text, 20_000);
    const failed = await phone.waitEvent<Extract<HubEvent, { type: "broadcast.status" }>>((e) => e.type === "broadcast.status" && e.id === "bc-1" && e.target === 3 && e.state === "failed", 30_000, "Matrix failed");
    expect(failed.reason).toMatch(/room|Carol|carol/i);
    expect(failed.code).toBe("remote_refused");

    // Carol invites the account back and the user's other Matrix client accepts; then Retry.
    hs.invite(room, carol, "@alice:matrix.test", true);
    const join = await fetch(`${hs.url}/_matrix/client/v3/rooms/${encodeURIComponent(room)}/join`, { method: "POST", headers: { Authorization: `Bearer ${hs.tokenFor("@alice:matrix.test", "PHONE")}`, "Content-Type": "application/json" }, body: "{}" });
    expect(join.status).toBe(200);
    await phone.waitEvent((e) => e.type === "account.contacts" && e.account === matrix && e.contacts.some((c) => c.id === carol) && phone.events.indexOf(e) > phone.events.indexOf(failed), 30_000, "Carol back");
    phone.send({ t: "retry", msgId: msgIds[3] });
    await phone.waitEvent((e) => e.type === "broadcast.status" && e.id === "bc-1" && e.target === 3 && e.state === "sent", 30_000, "Matrix sent after the retry");
    const inRoom = () => hs.timeline(room).filter((e) => (e.content as { body?: string })?.body === BODY.text);
    expect(inRoom()).toHaveLength(1);

    // Receipts: the friends' phones acked (delivered), Bob's client sent a receipt, Carol reads.
    hs.readAs(carol, room, inRoom()[0]!.event_id as string);
    for (const t of [0, 1, 2]) await phone.waitEvent((e) => e.type === "broadcast.status" && e.id === "bc-1" && e.target === t && e.state === "delivered", 30_000, `target ${t} delivered`);
    await phone.waitEvent((e) => e.type === "broadcast.status" && e.id === "bc-1" && e.target === 3 && e.state === "read", 30_000, "Carol read");

    const states = statesByTarget(phone.events, "bc-1");
    expect(states[0]).toEqual(["sent", "delivered"]);
    expect(states[1]).toEqual(["sent", "delivered"]);
    expect(states[2]).toEqual(["queued", "sent", "delivered"]);
    expect(states[3]).toEqual(["queued", "failed", "queued", "sent", "read"]);
    // In order: each state rises, except the one step down that a retry is.
    for (const s of states) {
      const steps = s.map((x) => DELIVERY_RANK[x as keyof typeof DELIVERY_RANK]);
      const downs = steps.filter((r, i) => i > 0 && r < steps[i - 1]!).length;
      expect(downs).toBe(s.includes("failed") ? 1 : 0);
    }

    // The timeline of Carol's message: accepted, handed (refused), failed, retried, handed, acknowledged, read.
    const timeline = (await call(net.server.url, `/api/conversations/${encodeURIComponent(accepted.targets![3]!.conv!)}/messages/${msgIds[3]}/timeline`, { token: net.me.token })).timeline;
    expect(timeline.steps.map((s: { step: string }) => s.step)).toEqual(["accepted", "handed", "failed", "retried", "handed", "acknowledged", "read"]);
    expect(timeline.steps[2].reason).toBe(failed.reason);
    const bobs = (await call(net.server.url, `/api/conversations/${encodeURIComponent(accepted.targets![2]!.conv!)}/messages/${msgIds[2]}/timeline`, { token: net.me.token })).timeline;
    expect(bobs.steps.map((s: { step: string }) => s.step)).toEqual(["accepted", "handed", "acknowledged", "delivered"]);
  });

  it("sends nothing twice: the same frame again, and again after a restart, gets the same answer", async () => {
    const { phone, hs, room, bob } = net;
    const first = net.phone.frames.find((f): f is Accepted => f.t === "accepted" && f.id === "bc-1")!;
    phone.send({ t: "broadcast", id: "bc-1", to: [{ user: net.friends[0].id }, { user: net.friends[1].id }, { account: net.xmpp, contact: BOB }, { account: net.matrix, contact: net.carol }], body: BODY });
    const again = await frame<Accepted>(phone, (f) => f.t === "accepted" && f.id === "bc-1" && f !== first);
    expect(again.targets).toEqual(first.targets);

    phone.close();
    await net.server.restart();
    net.phone = await openPhone(net.server.url, net.me, phone.lastSeq);
    net.phone.send({ t: "broadcast", id: "bc-1", to: [{ user: net.friends[0].id }, { user: net.friends[1].id }, { account: net.xmpp, contact: BOB }, { account: net.matrix, contact: net.carol }], body: BODY });
    const afterRestart = await frame<Accepted>(net.phone, (f) => f.t === "accepted" && f.id === "bc-1");
    expect(afterRestart.targets).toEqual(first.targets);

    await new Promise((r) => setTimeout(r, 3000));
    expect(bob.received.filter((m) => m.body === BODY.text)).toHaveLength(1);
    expect(hs.timeline(room).filter((e) => (e.content as { body?: string })?.body === BODY.text)).toHaveLength(1);
    for (const f of net.friends) {
      const convs = (await call(net.server.url, "/api/conversations", { token: f.token })).conversations;
      const page = await call(net.server.url, `/api/conversations/${encodeURIComponent(convs[0].id)}/messages`, { token: f.token });
      expect(page.messages.filter((m: { body: { text: string } }) => m.body.text === BODY.text)).toHaveLength(1);
    }
    const mine = (await call(net.server.url, "/api/search?q=dinner", { token: net.me.token })).hits;
    expect(mine).toHaveLength(4);
  });
});

async function frame<F extends ServerFrame>(p: Phone, pred: (f: ServerFrame) => boolean, timeoutMs = 20_000): Promise<F> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = p.frames.find(pred);
    if (f) return f as F;
    if (Date.now() > deadline) throw new Error(`timed out waiting for a frame; last: ${JSON.stringify(p.frames.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
