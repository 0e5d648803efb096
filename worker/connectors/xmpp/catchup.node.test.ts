// Sessions ending and coming back, against a real Prosody: close() ends the server's session,
// catch-up from the cursor brings exactly what came while closed (archive paged, offline
// copies and live delivery deduped), a restart ends the session as transient and loses
// nothing, a silent server is noticed by the keepalive, and a failed emit moves no cursor.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recorder } from "../../../test/support/node-io";
import { type Prosody, startProsody } from "../../../test/support/peers/prosody";
import type { XmppPeer } from "../../../test/support/peers/xmpp-peer";
import { stallProxy } from "../../../test/support/stall-proxy";
import { messages, peerFor, testAccount, type TestAccount, texts } from "../../../test/support/xmpp-account";
import type { RemoteEvent } from "../types";

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

async function account(user: string, config: Record<string, string> = {}, wsUrl?: string) {
  const a = await testAccount(prosody, user, config, wsUrl);
  accounts.push(a);
  return a;
}

const resourcesOf = async (jid: string) => (await prosody.sessions()).filter((s) => s.startsWith(`${jid}/`));

/** Resolves once `peer`'s own archive holds `n` messages to `to` whose text starts with `prefix`: they were stored. */
async function archived(peer: XmppPeer, to: string, prefix: string, n: number) {
  for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 50))) {
    const got = (await peer.mam({ with: to, max: 200 })).filter((m) => m.body?.startsWith(prefix));
    if (got.length >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${got.length} of ${n} "${prefix}" messages archived`);
  }
}

async function settle(peer: XmppPeer, to: string, rec: { events: RemoteEvent[]; until(p: () => boolean): Promise<void> }) {
  const probe = `probe-${Math.random()}`;
  await peer.send(to, probe);
  await rec.until(() => texts(rec.events).includes(probe));
  return probe;
}

describe("XMPP sessions across disconnects", () => {
  it("close() ends the session on the server", async () => {
    const alice = await account("carl1");
    const { session } = await alice.connect(null);
    expect(await resourcesOf(alice.jid)).toHaveLength(1);
    expect((await resourcesOf(alice.jid))[0]).toMatch(/^carl1@localhost\/unibox-[0-9a-f]{8}$/);
    await session.close();
    expect(await resourcesOf(alice.jid)).toEqual([]);
    expect(await session.ended).toEqual({ reason: "closed", kind: "transient" });
  });

  it("catches up from the cursor with exactly the 20 sent while closed, in order, paged, then live", async () => {
    const alice = await account("carl2", { XMPP_MAM_PAGE_SIZE: "7" });
    const bob = await peerFor(prosody, "bert2", peers);
    const first = await alice.connect(null);
    await settle(bob, alice.jid, first.rec);
    const cursor = first.rec.cursor;
    expect(cursor).toBeTruthy();
    await first.session.close();

    const away = Array.from({ length: 20 }, (_, i) => `while away ${i}`);
    for (const text of away) await bob.send(alice.jid, text);
    await archived(bob, alice.jid, "while away", 20);

    // Prosody also keeps these as offline messages and floods them on our presence: the
    // session must show each once, archive order first, then what comes live.
    const second = await alice.connect(cursor);
    await bob.send(alice.jid, "after coming back");
    await second.rec.until(() => texts(second.rec.events).includes("after coming back"));
    const probe = await settle(bob, alice.jid, second.rec);
    expect(texts(second.rec.events)).toEqual([...away, "after coming back", probe]);
    expect(new Set(messages(second.rec.events).map((m) => m.remoteId)).size).toBe(22);
    await second.session.close();

    // From the cursor it left, nothing old comes again.
    const third = await alice.connect(second.rec.cursor);
    const last = await settle(bob, alice.jid, third.rec);
    expect(texts(third.rec.events)).toEqual([last]);
  });

  it("catches up what the user sent from another client meanwhile, as fromMe, once", async () => {
    const alice = await account("carl3");
    const bob = await peerFor(prosody, "bert3", peers);
    const first = await alice.connect(null);
    await settle(bob, alice.jid, first.rec);
    await first.session.close();

    const phone = await peerFor(prosody, "carl3", peers, { register: false, resource: "phone", carbons: true });
    const id = await phone.send("bert3@localhost", "from my phone");
    await bob.waitFor((m) => m.id === id);
    await bob.send(alice.jid, "answer to your phone");
    await archived(bob, alice.jid, "answer to your phone", 1);

    const second = await alice.connect(first.rec.cursor);
    const probe = await settle(bob, alice.jid, second.rec);
    expect(texts(second.rec.events)).toEqual(["from my phone", "answer to your phone", probe]);
    expect(messages(second.rec.events)[0]).toMatchObject({ fromMe: true, echoOf: id, chat: { id: "bert3@localhost" } });
  });

  it("brings our own send back from the archive as an echo (echoOf = out.key), with the receipt that came meanwhile", async () => {
    const alice = await account("carl8");
    const bob = await peerFor(prosody, "bert8", peers);
    bob.autoReceipts = false;
    const first = await alice.connect(null);
    await settle(bob, alice.jid, first.rec);
    await first.session.send({ key: "k-echo-1", chat: "bert8@localhost", body: { type: "text", text: "see you" } });
    const got = await bob.waitFor((m) => m.id === "k-echo-1");
    await first.session.close();
    // bob's phone answers the receipt request after we left: the archive keeps it.
    await bob.sendReceipt(got.from, got.id);
    await archived(bob, alice.jid, "see you", 1);

    const second = await alice.connect(first.rec.cursor);
    const probe = await settle(bob, alice.jid, second.rec);
    const [echo] = messages(second.rec.events);
    expect(echo).toMatchObject({ fromMe: true, echoOf: "k-echo-1", chat: { id: "bert8@localhost" }, body: { type: "text", text: "see you" } });
    expect(texts(second.rec.events)).toEqual(["see you", probe]);
    expect(second.rec.events.filter((e) => e.type === "receipt")).toMatchObject([{ chat: "bert8@localhost", remoteIds: ["k-echo-1"], state: "delivered" }]);
  });

  it("takes the newest page as history on a new account's first connect, each message once", async () => {
    const alice = await account("carl4");
    const bob = await peerFor(prosody, "bert4", peers);
    for (const text of ["old 1", "old 2", "old 3"]) await bob.send(alice.jid, text);
    await archived(bob, alice.jid, "old", 3);
    const { rec } = await alice.connect(null);
    const probe = await settle(bob, alice.jid, rec);
    expect(texts(rec.events)).toEqual(["old 1", "old 2", "old 3", probe]);
  });

  it("starts again from the newest page when the archive no longer has the cursor", async () => {
    const alice = await account("carl9");
    const bob = await peerFor(prosody, "bert9", peers);
    for (const text of ["kept 1", "kept 2"]) await bob.send(alice.jid, text);
    await archived(bob, alice.jid, "kept", 2);
    const { rec } = await alice.connect("an-id-this-archive-never-had");
    const probe = await settle(bob, alice.jid, rec);
    expect(texts(rec.events)).toEqual(["kept 1", "kept 2", probe]);
    expect(alice.io.logs.map((l) => l.event)).toContain("xmpp.cursor_lost");
  });

  it("ends as transient when the server restarts, connects again, and loses nothing", async () => {
    const alice = await account("carl5");
    let bob = await peerFor(prosody, "bert5", peers);
    const rec = recorder();
    const { session } = await alice.connect(null, rec);
    for (const text of ["before 1", "before 2"]) await bob.send(alice.jid, text);
    await settle(bob, alice.jid, rec);

    await prosody.restart();
    expect((await session.ended).kind).toBe("transient");
    await bob.stop();
    bob = await peerFor(prosody, "bert5", peers, { register: false });
    for (const text of ["during 1", "during 2"]) await bob.send(alice.jid, text);
    await archived(bob, alice.jid, "during", 2);

    await alice.connect(rec.cursor, rec);
    await bob.send(alice.jid, "after");
    await rec.until(() => texts(rec.events).includes("after"));
    expect(texts(rec.events).filter((t) => !t.startsWith("probe-"))).toEqual(["before 1", "before 2", "during 1", "during 2", "after"]);
    expect(rec.states.map((s) => s.state)).toEqual(["connecting", "connected", "connecting", "connected"]);
  });

  it("notices a server that stops answering (XEP-0199 ping) and ends as transient", async () => {
    const proxy = await stallProxy(Number(new URL(prosody.httpUrl).port));
    try {
      const alice = await account("carl6", { XMPP_PING_SECONDS: "1" }, `ws://127.0.0.1:${proxy.port}/xmpp-websocket`);
      const { session } = await alice.connect(null);
      // Pings keep a quiet but healthy session up.
      await new Promise((r) => setTimeout(r, 2500));
      const stillUp = await Promise.race([session.ended.then(() => "ended"), Promise.resolve("up")]);
      expect(stillUp).toBe("up");
      proxy.stall();
      const t0 = Date.now();
      expect(await session.ended).toEqual({ reason: "the server stopped answering pings", kind: "transient" });
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await proxy.close();
    }
  });

  it("fails the connect when the link cannot store events, and the stored cursor brings them again", async () => {
    const alice = await account("carl7", { XMPP_MAM_PAGE_SIZE: "1" });
    const bob = await peerFor(prosody, "bert7", peers);
    const good = recorder();
    const first = await alice.connect(null, good);
    await settle(bob, alice.jid, good);
    await first.session.close();
    for (const text of ["n1", "n2", "n3"]) await bob.send(alice.jid, text);
    await archived(bob, alice.jid, "n", 3);

    // This link stores the first page (one message), then its hub fails.
    const flaky = recorder();
    let pages = 0;
    const failing = {
      ...flaky,
      async emit(events: RemoteEvent[], cursor?: string) {
        if (events.some((e) => e.type === "message") && pages++ >= 1) throw new Error("hub unavailable");
        await flaky.emit(events, cursor);
      },
    };
    await expect(alice.connect(good.cursor, failing)).rejects.toMatchObject({ kind: "transient" });
    expect(texts(flaky.events)).toEqual(["n1"]);
    expect(await resourcesOf(alice.jid)).toEqual([]);

    const third = await alice.connect(flaky.cursor);
    const probe = await settle(bob, alice.jid, third.rec);
    expect(texts(third.rec.events)).toEqual(["n2", "n3", probe]);
  });
});
