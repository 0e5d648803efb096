// A live XMPP session against a real Prosody, with the other side driven by test peers:
// messages in (once each, in order), our sends out with receipt and marker requests and
// what comes back, carbons of the user's other clients, read markers going out, receipts
// we answer, and the roster with presence.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prosody } from "../../../test/support/peers/prosody";
import { startProsody } from "../../../test/support/peers/prosody";
import type { XmppPeer } from "../../../test/support/peers/xmpp-peer";
import { messages, peerFor, receipts, testAccount, type TestAccount, texts } from "../../../test/support/xmpp-account";
import { parseJid } from "./jid";
import { NS } from "./ns";
import { openStream } from "./stream";
import { stanza, x } from "./xml";

let prosody: Prosody;
const peers: XmppPeer[] = [];
const accounts: TestAccount[] = [];

beforeAll(async () => {
  prosody = await startProsody();
});

afterAll(async () => {
  for (const s of accounts.flatMap((a) => a.sessions)) await s.close();
  for (const p of peers) await p.stop();
  await prosody?.stop();
});

async function account(user: string) {
  const a = await testAccount(prosody, user);
  accounts.push(a);
  return a;
}

/** Waits until `peer`'s probe message reached `rec`: anything the peer sent before it has arrived by then. */
async function settle(peer: XmppPeer, to: string, rec: { events: import("../types").RemoteEvent[]; until(p: () => boolean): Promise<void> }) {
  const probe = `probe-${Math.random()}`;
  await peer.send(to, probe);
  await rec.until(() => texts(rec.events).includes(probe));
}

describe("an XMPP session", () => {
  it("gets 20 messages sent while connected, each once and in order, in the chat with the sender", async () => {
    const alice = await account("alice1");
    const bob = await peerFor(prosody, "bob1", peers);
    const { rec } = await alice.connect(null);
    const sent = Array.from({ length: 20 }, (_, i) => `live ${i}`);
    for (const text of sent) await bob.send(alice.jid, text);
    await settle(bob, alice.jid, rec);

    const got = messages(rec.events).filter((m) => m.body.type === "text" && m.body.text.startsWith("live "));
    expect(got.map((m) => (m.body as { text: string }).text)).toEqual(sent);
    expect(new Set(got.map((m) => m.remoteId)).size).toBe(20);
    for (const m of got) expect(m).toMatchObject({ chat: { id: "bob1@localhost", kind: "direct", title: "bob1" }, sender: { id: "bob1@localhost" }, fromMe: false });
    // The cursor moved to the archive id of the newest message.
    expect(rec.cursor).toBeTruthy();
    expect(rec.states.map((s) => s.state)).toEqual(["connecting", "connected"]);
  });

  it("sends with a receipt request and a marker; the peer's receipt and displayed marker come back for our remoteId", async () => {
    const alice = await account("alice2");
    const bob = await peerFor(prosody, "bob2", peers);
    const { session, rec } = await alice.connect(null);
    const result = await session.send({ key: "k-0001", chat: "bob2@localhost", body: { type: "text", text: "hello bob" } });
    expect(result).toMatchObject({ ok: true, remoteId: "k-0001" });

    const got = await bob.waitFor((m) => m.body === "hello bob");
    expect(got).toMatchObject({ id: "k-0001", type: "chat", receiptRequested: true, markable: true });
    expect(got.from.startsWith("alice2@localhost/unibox-")).toBe(true);
    // bob answers the receipt request by itself; then marks the message displayed.
    await rec.until(() => receipts(rec.events).some((r) => r.state === "delivered"));
    await bob.sendDisplayed(got.from, got.id);
    await rec.until(() => receipts(rec.events).some((r) => r.state === "read"));
    expect(receipts(rec.events).map(({ chat, remoteIds, state, by }) => ({ chat, remoteIds, state, by }))).toEqual([
      { chat: "bob2@localhost", remoteIds: ["k-0001"], state: "delivered", by: "bob2@localhost" },
      { chat: "bob2@localhost", remoteIds: ["k-0001"], state: "read", by: "bob2@localhost" },
    ]);
  });

  it("sends a location as a geo: URI, refuses media it cannot carry and a target that is not a bare JID", async () => {
    const alice = await account("alice3");
    const bob = await peerFor(prosody, "bob3", peers);
    const { session } = await alice.connect(null);
    expect(await session.send({ key: "k-geo", chat: bob.jid.split("/")[0]!, body: { type: "location", lat: 52.52, lng: 13.405 } })).toMatchObject({ ok: true });
    expect((await bob.waitFor((m) => m.id === "k-geo")).body).toBe("geo:52.52,13.405");
    expect(await session.send({ key: "k-img", chat: "bob3@localhost", body: { type: "image", media: "md_1" } })).toMatchObject({ ok: false, code: "unsupported_body", retryable: false });
    expect(await session.send({ key: "k-res", chat: "bob3@localhost/phone", body: { type: "text", text: "x" } })).toMatchObject({ ok: false, code: "invalid_target" });
  });

  it("shows what the user sent and got on another client (carbons) once, sent ones as fromMe with their id as echoOf", async () => {
    const alice = await account("alice4");
    const bob = await peerFor(prosody, "bob4", peers);
    const { rec } = await alice.connect(null);
    const phone = await peerFor(prosody, "alice4", peers, { register: false, resource: "phone", carbons: true });

    const id = await phone.send("bob4@localhost", "sent from my phone");
    await bob.waitFor((m) => m.id === id);
    // bob writes to the phone only: our session sees it as a received carbon.
    await bob.send(phone.jid, "to your phone");
    await settle(bob, alice.jid, rec);

    const mine = messages(rec.events).find((m) => m.body.type === "text" && m.body.text === "sent from my phone");
    expect(mine).toMatchObject({ fromMe: true, chat: { id: "bob4@localhost" }, sender: { id: "alice4@localhost" }, echoOf: id });
    const theirs = messages(rec.events).filter((m) => m.body.type === "text" && m.body.text === "to your phone");
    expect(theirs).toHaveLength(1);
    expect(theirs[0]).toMatchObject({ fromMe: false, chat: { id: "bob4@localhost" } });
    // A carbon is archived like the original: it carries the archive id, which moved the cursor.
    expect(mine!.remoteId).toMatch(/^x1 a%3A/);
  });

  it("marks read with one XEP-0333 displayed marker for the newest markable message", async () => {
    const alice = await account("alice5");
    const bob = await peerFor(prosody, "bob5", peers);
    const { session, rec } = await alice.connect(null);
    const first = await bob.send(alice.jid, "one", { markable: true });
    const second = await bob.send(alice.jid, "two", { markable: true });
    await bob.send(alice.jid, "three (not markable)");
    await rec.until(() => messages(rec.events).length === 3);
    await session.markRead("bob5@localhost", messages(rec.events).map((m) => m.remoteId));

    const marker = await bob.waitFor((m) => m.marker === "displayed");
    expect(marker.markerFor).toBe(second);
    expect(bob.received.some((m) => m.markerFor === first)).toBe(false);
  });

  it("turns a XEP-0066 media link into stored media, and keeps links it should not follow as text", async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
    const files = createServer((req, res) => {
      if (req.url === "/upload/cat.png") return res.writeHead(200, { "Content-Type": "image/png", "Content-Length": png.length }).end(png);
      if (req.url === "/upload/notes.txt") return res.writeHead(200, { "Content-Type": "text/plain" }).end("notes");
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => files.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    try {
      const alice = await account("alice7");
      await prosody.register("bob7", "pw-bob7");
      const { rec } = await alice.connect(null);
      // The sender is a client that shares files as Conversations does (XEP-0363 upload, then this message).
      const bob = await openStream(alice.io, { url: prosody.wsUrl, jid: parseJid("bob7@localhost")!, password: "pw-bob7", resource: "phone", pingMs: 60_000 });
      const link = (url: string, id: string) => stanza("message", { to: alice.jid, type: "chat", id }, x("body", {}, url), x("x", { xmlns: NS.oob }, x("url", {}, url)));
      for (const [url, id] of [[`${base}/upload/cat.png`, "m1"], [`${base}/upload/notes.txt`, "m2"], ["http://10.0.0.1/upload/x.png", "m3"], [`${base}/upload/gone.png`, "m4"]]) bob.send(link(url!, id!));
      await rec.until(() => messages(rec.events).length === 4);
      await bob.close();
      const [picture, notes, private10, gone] = messages(rec.events);
      expect(picture!.body).toEqual({ type: "image", media: "md_node1" });
      expect(alice.io.stored.get("md_node1")).toMatchObject({ mime: "image/png", filename: "cat.png", bytes: png });
      expect(notes!.body).toEqual({ type: "text", text: `${base}/upload/notes.txt` });
      expect(private10!.body).toEqual({ type: "text", text: "http://10.0.0.1/upload/x.png" });
      expect(gone!.body).toEqual({ type: "text", text: `${base}/upload/gone.png` });
      expect(alice.io.stored.size).toBe(1);
    } finally {
      await new Promise<void>((r) => files.close(() => r()));
    }
  });

  it("follows the roster and presence, and answers receipt requests only from contacts who see our presence", async () => {
    const alice = await account("alice6");
    const bob = await peerFor(prosody, "bob6", peers);
    const carol = await peerFor(prosody, "carol6", peers);
    const { session, rec } = await alice.connect(null);
    expect(rec.events.find((e) => e.type === "contacts")).toEqual({ type: "contacts", contacts: [] });

    // The user adds bob from another client; bob approves and asks back, as clients do.
    await bob.approveAll();
    const phone = await peerFor(prosody, "alice6", peers, { register: false, resource: "phone" });
    phone.autoReceipts = false; // only our session answers receipt requests here
    await phone.approveAll();
    await phone.subscribe("bob6@localhost");
    await rec.until(() => rec.events.some((e) => e.type === "presence" && e.contact === "bob6@localhost" && e.presence === "online"));
    // The user's approval of bob's request reaches bob after the roster push for it reached our session.
    await bob.waitForPresence((p) => p.type === "subscribed" && p.from.startsWith("alice6@localhost"));
    const lastContacts = rec.events.filter((e) => e.type === "contacts").at(-1);
    expect(lastContacts).toMatchObject({ contacts: [{ id: "bob6@localhost", name: "bob6" }] });

    await bob.setPresence("away", "lunch");
    await rec.until(() => rec.events.some((e) => e.type === "presence" && e.contact === "bob6@localhost" && e.presence === "away"));
    expect(await session.contacts!()).toEqual([{ id: "bob6@localhost", name: "bob6", presence: "away" }]);

    const fromBob = await bob.send(alice.jid, "got this?", { receipt: true });
    const receiptToBob = await bob.waitFor((m) => m.receiptFor === fromBob);
    expect(receiptToBob.from.startsWith("alice6@localhost/unibox-")).toBe(true);
    // carol is a stranger: a receipt would tell her the user is online (XEP-0184 §8).
    const fromCarol = await carol.send(alice.jid, "hi stranger", { receipt: true });
    await settle(carol, alice.jid, rec);
    // A receipt would have left before this message of ours, on the same stream.
    await session.send({ key: "k-after", chat: "carol6@localhost", body: { type: "text", text: "after" } });
    await carol.waitFor((m) => m.id === "k-after");
    expect(carol.received.some((m) => m.receiptFor === fromCarol)).toBe(false);

    await bob.stop();
    await rec.until(() => rec.events.filter((e) => e.type === "presence").at(-1)?.presence === "offline");
  });
});
