// An XMPP account bound through the real API under wrangler dev, against a real Prosody that
// the test starts (test/support/peers/prosody.ts) and a real XMPP peer playing Bob: the
// upstream session is held only while the user is online, 20 messages arrive live and 20
// from the archive after the user was away (once each, in order), a reply reaches Bob and
// his receipt comes back, and a Prosody restart shows transient_disconnect then connected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubEvent } from "../../../core/protocol";
import { bind, call, openPhone, type Phone, type Session, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { type Prosody, startProsody } from "../../support/peers/prosody";
import { type XmppPeer, xmppPeer } from "../../support/peers/xmpp-peer";

const GRACE_S = 2;
let server: DevServer;
let prosody: Prosody;
let bob: XmppPeer;
let me: Session;
let phone: Phone;
let accountId: string;
let conv: string;
type Msg = Extract<HubEvent, { type: "message" }>;
const fromBob = (e: HubEvent): e is Msg => e.type === "message" && e.msg.from === "bob@localhost";
const texts = (evs: HubEvent[]) => evs.map((e) => ((e as Msg).msg.body as { text?: string }).text);
const aliceSessions = async () => (await prosody.sessions()).filter((j) => j.startsWith("alice@localhost/"));

beforeAll(async () => {
  prosody = await startProsody();
  await prosody.register("alice", "alice password");
  await prosody.register("bob", "bob password");
  // Alice and Bob are already contacts (subscribed both ways), as on any real account.
  bob = await xmppPeer({ wsUrl: prosody.wsUrl, jid: "bob@localhost", password: "bob password" });
  await bob.approveAll();
  const other = await xmppPeer({ wsUrl: prosody.wsUrl, jid: "alice@localhost/laptop", password: "alice password", autoReceipts: false });
  await other.approveAll();
  await other.subscribe("bob@localhost");
  await bob.waitForPresence((p) => p.type === "subscribed" && p.from.startsWith("alice@localhost"));
  await other.stop();
  server = await startDevServer({ vars: { PRESENCE_GRACE_SECONDS: String(GRACE_S) } });
  me = await signUp(server.url, "xmppowner");
  phone = await openPhone(server.url, me);
});

afterAll(async () => {
  phone?.close();
  await bob?.stop();
  await server?.stop();
  await prosody?.stop();
});

describe("a bound XMPP account", () => {
  it("refuses a wrong password with the server's reason and stores nothing", async () => {
    const res = await bind(server.url, me, "xmpp", { jid: "alice@localhost", password: "wrong", websocketUrl: prosody.wsUrl });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("bad_credentials");
    expect(res.body.error.message).toMatch(/not-authorized|password|auth/i);
    expect((await call(server.url, "/api/accounts", { token: me.token })).accounts).toEqual([]);
  });

  it("binds, connects while the user is online, and takes 20 messages once each, in order", async () => {
    const res = await bind(server.url, me, "xmpp", { jid: "alice@localhost", password: "alice password", websocketUrl: prosody.wsUrl }, "Jabber");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    accountId = res.body.account.id;
    expect(JSON.stringify(res.body)).not.toContain("alice password");
    await phone.waitEvent((e) => e.type === "account.status" && e.account === accountId && e.state === "connected", 20_000, "connected");
    expect(await aliceSessions()).toHaveLength(1);
    for (let i = 0; i < 20; i++) await bob.send("alice@localhost", `live ${i}`);
    const got = await phone.waitEvents(fromBob, 20, 30_000, "live messages");
    expect(texts(got)).toEqual(Array.from({ length: 20 }, (_, i) => `live ${i}`));
    const first = got[0] as Msg;
    conv = first.conv;
    expect(first.msg.source).toBe(accountId);
    // The buddy list has Bob.
    const contacts = await call(server.url, `/api/accounts/${accountId}/contacts`, { token: me.token });
    expect(contacts.contacts.map((c: { id: string }) => c.id)).toContain("bob@localhost");
  });

  it("closes the XMPP session within the grace period, and catches up 20 from the archive, once each", async () => {
    const seq = phone.lastSeq;
    phone.close();
    const deadline = Date.now() + (GRACE_S + 15) * 1000;
    while ((await aliceSessions()).length > 0) {
      if (Date.now() > deadline) throw new Error("the XMPP session was not closed after the grace period");
      await new Promise((r) => setTimeout(r, 250));
    }
    for (let i = 0; i < 20; i++) await bob.send("alice@localhost", `away ${i}`);
    phone = await openPhone(server.url, me, seq);
    const got = await phone.waitEvents(fromBob, 20, 30_000, "archived messages");
    expect(texts(got)).toEqual(Array.from({ length: 20 }, (_, i) => `away ${i}`));
    const page = await call(server.url, `/api/conversations/${encodeURIComponent(conv)}/messages?limit=200`, { token: me.token });
    const all = page.messages.map((m: { body: { text: string } }) => m.body.text);
    expect(all.filter((t: string) => t.startsWith("live "))).toHaveLength(20);
    expect(all.filter((t: string) => t.startsWith("away "))).toHaveLength(20);
  });

  it("sends a reply that Bob receives, and Bob's receipt comes back as delivered", async () => {
    phone.send({ t: "send", id: "xmpp-reply-1", to: { conv }, body: { type: "text", text: "hello from Unibox" } });
    const accepted = await waitFrame(phone, (f) => f.t === "accepted" && f.id === "xmpp-reply-1");
    const reply = await bob.waitFor((m) => m.body === "hello from Unibox", 20_000);
    expect(reply.receiptRequested).toBe(true);
    await phone.waitEvent((e) => e.type === "status" && e.state === "sent" && e.msgIds.includes((accepted as { msgId: string }).msgId), 20_000, "sent");
    await phone.waitEvent((e) => e.type === "status" && e.state === "delivered" && e.msgIds.includes((accepted as { msgId: string }).msgId), 20_000, "delivered");
  });

  it("shows a Prosody restart as transient_disconnect, then connected, and loses nothing", async () => {
    await prosody.restart();
    await phone.waitEvent((e) => e.type === "account.status" && e.account === accountId && e.state === "transient_disconnect", 30_000, "transient_disconnect");
    await phone.waitEvent((e) => e.type === "account.status" && e.account === accountId && e.state === "connected" && phone.events.indexOf(e) > phone.events.findIndex((x) => x.type === "account.status" && x.state === "transient_disconnect"), 60_000, "connected again");
    // Bob signs in again after the restart, as his client would.
    await bob.stop().catch(() => undefined);
    bob = await xmppPeer({ wsUrl: prosody.wsUrl, jid: "bob@localhost", password: "bob password" });
    await bob.send("alice@localhost", "after the restart");
    try {
      await phone.waitEvent((e) => fromBob(e) && (e.msg.body as { text: string }).text === "after the restart", 30_000, "a message after the restart");
    } catch (err) {
      // Seen once in a few full runs and never alone: say where Alice's sessions and her link were.
      const link = server.logs().split("\n").filter((l) => /xmpp|link\.|account/.test(l)).slice(-40).join("\n");
      throw new Error(`${(err as Error).message}\nProsody sessions: ${(await prosody.sessions()).join(", ")}; Bob is ${bob.jid}\nServer log (link and XMPP lines):\n${link}`);
    }
    expect(phone.events.filter((e) => fromBob(e) && (e.msg.body as { text: string }).text === "after the restart")).toHaveLength(1);
  });
});

async function waitFrame(p: Phone, pred: (f: { t: string; id?: string }) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = p.frames.find((x) => pred(x as { t: string; id?: string }));
    if (f) return f;
    if (Date.now() > deadline) throw new Error("timed out waiting for a frame");
    await new Promise((r) => setTimeout(r, 50));
  }
}
