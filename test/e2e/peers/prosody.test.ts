// The Prosody harness and the XMPP peer against a real Prosody: receipts and markers flow,
// the archive keeps 1:1 chat whether the recipient is online or not, offline storage hands
// over what came while away, sessions() sees connections come and go, restart() keeps data.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Prosody, startProsody } from "../../support/peers/prosody";
import { type XmppPeer, xmppPeer } from "../../support/peers/xmpp-peer";

let prosody: Prosody;
const peers: XmppPeer[] = [];

async function login(user: string, password = "secret-" + user, extra: Partial<Parameters<typeof xmppPeer>[0]> = {}) {
  const peer = await xmppPeer({ wsUrl: prosody.wsUrl, jid: `${user}@localhost`, password, ...extra });
  peers.push(peer);
  return peer;
}

beforeAll(async () => {
  const t0 = Date.now();
  prosody = await startProsody();
  console.info(`prosody started in ${Date.now() - t0} ms`);
  await prosody.register("alice", "secret-alice");
  await prosody.register("bob", "secret-bob");
});

afterAll(async () => {
  for (const p of peers) await p.stop();
  await prosody?.stop();
});

describe("prosody + xmppPeer", () => {
  it("delivers a message with a receipt request, and the receipt comes back", async () => {
    const alice = await login("alice");
    const bob = await login("bob");
    const id = await alice.send("bob@localhost", "hello bob", { receipt: true, markable: true });

    const got = await bob.waitFor((m) => m.id === id);
    expect(got).toMatchObject({ body: "hello bob", type: "chat", receiptRequested: true, markable: true });
    expect(got.from).toBe(alice.jid);
    const receipt = await alice.waitFor((m) => m.receiptFor === id);
    expect(receipt.from).toBe(bob.jid);
    expect(receipt.body).toBeUndefined();

    await bob.sendDisplayed(alice.jid, id);
    const marker = await alice.waitFor((m) => m.markerFor === id);
    expect(marker.marker).toBe("displayed");
    await Promise.all([alice.stop(), bob.stop()]);
  });

  it("does not answer receipt requests when told not to", async () => {
    const alice = await login("alice");
    const bob = await login("bob", undefined, { autoReceipts: false });
    const id = await alice.send(bob.jid, "no receipt please", { receipt: true });
    await bob.waitFor((m) => m.id === id);
    // A ping round trip after the message: anything bob had sent would have arrived first.
    const probe = await bob.send(alice.jid, "probe");
    await alice.waitFor((m) => m.id === probe);
    expect(alice.received.some((m) => m.receiptFor === id)).toBe(false);
    await Promise.all([alice.stop(), bob.stop()]);
  });

  it("keeps a message for an offline user: offline storage delivers it, the archive has it", async () => {
    const alice = await login("alice");
    const id = await alice.send("bob@localhost", "while you were away", { receipt: true });
    // Let the server store it before bob appears (its own archive shows the message went through).
    await expect.poll(async () => (await alice.mam({ with: "bob@localhost" })).some((m) => m.id === id)).toBe(true);

    const bob = await login("bob");
    const offline = await bob.waitFor((m) => m.id === id);
    expect(offline.body).toBe("while you were away");
    expect(offline.delayedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // A stored message's receipt request is answered too, as by a phone coming online.
    await alice.waitFor((m) => m.receiptFor === id);

    const archive = await bob.mam({ with: "alice@localhost" });
    const kept = archive.find((m) => m.id === id);
    expect(kept).toMatchObject({ body: "while you were away", from: alice.jid });
    expect(kept!.stamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The message from the first test, sent while bob was online, is archived as well.
    expect(archive.some((m) => m.body === "hello bob")).toBe(true);
    // Receipts and markers are archived too (mod_mam's should_store), so a catch-up sees read states.
    expect(archive.some((m) => m.marker === "displayed")).toBe(true);
    // Archive results are not mistaken for new messages.
    expect(bob.received.filter((m) => m.id === id)).toHaveLength(1);
    await Promise.all([alice.stop(), bob.stop()]);
  });

  it("lists a connected user's session and drops it when the user leaves", async () => {
    const bob = await login("bob");
    expect(await prosody.sessions()).toContain(bob.jid);
    await bob.stop();
    await expect.poll(() => prosody.sessions()).not.toContain(bob.jid);
  });

  it("lets presence flow both ways once subscriptions are approved", async () => {
    await prosody.register("carol", "secret-carol");
    const alice = await login("alice");
    const carol = await login("carol");
    await carol.approveAll();
    await alice.approveAll();
    await alice.subscribe("carol@localhost");
    await alice.waitForPresence((p) => p.from === carol.jid && p.type === "available");
    await carol.waitForPresence((p) => p.from === alice.jid && p.type === "available");
    await carol.setPresence("away", "lunch");
    const away = await alice.waitForPresence((p) => p.from === carol.jid && p.show === "away");
    expect(away.status).toBe("lunch");
    await Promise.all([alice.stop(), carol.stop()]);
  });

  it("copies what another resource sent (carbons)", async () => {
    const alice = await login("alice");
    const aliceOther = await login("alice", undefined, { carbons: true });
    const bob = await login("bob");
    const id = await alice.send(bob.jid, "seen on both of alice's devices");
    const copy = await aliceOther.waitFor((m) => m.id === id);
    expect(copy.carbon).toBe("sent");
    await Promise.all([alice.stop(), aliceOther.stop(), bob.stop()]);
  });

  it("refuses a wrong password, and an unregistered user", async () => {
    await expect(login("alice", "wrong")).rejects.toThrow();
    await prosody.register("dave", "secret-dave");
    await (await login("dave")).stop();
    await prosody.unregister("dave");
    await expect(login("dave")).rejects.toThrow();
    await expect(prosody.register("alice", "again")).rejects.toThrow(/exists/);
  });

  it("keeps accounts and archive across restart() on the same ports; a connected peer comes back", async () => {
    const { wsUrl, c2sPort } = prosody;
    const alice = await login("alice");
    const t0 = Date.now();
    await prosody.restart();
    console.info(`prosody restarted in ${Date.now() - t0} ms`);
    expect([prosody.wsUrl, prosody.c2sPort]).toEqual([wsUrl, c2sPort]);
    const bob = await login("bob");
    expect((await bob.mam({ with: "alice@localhost" })).some((m) => m.body === "while you were away")).toBe(true);
    // @xmpp/client reconnects by itself; the peer sends presence again and can be reached.
    // Its reconnect waits a second and then races other tests for the two cores: give it time.
    await expect.poll(() => prosody.sessions(), { timeout: 30_000 }).toContain(alice.jid);
    const id = await bob.send(alice.jid, "after the restart");
    await alice.waitFor((m) => m.id === id);
    await Promise.all([alice.stop(), bob.stop()]);
  });

  it("fails to start with the server's log in the error", async () => {
    await expect(startProsody({ extraConfig: "this is not lua" })).rejects.toThrow(/prosody did not start[\s\S]*--- log ---[\s\S]*prosody\.cfg\.lua/);
  });
});
