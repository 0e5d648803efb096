// Binding an XMPP account against a real Prosody: the password checked by SCRAM (SHA-256
// when offered, SHA-1 otherwise, PLAIN only where sasl.ts allows), the WebSocket endpoint
// discovered by XEP-0156 from a local host-meta server, and the network guard refusing a
// discovered private address.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeIO } from "../../../test/support/node-io";
import { type Prosody, startProsody } from "../../../test/support/peers/prosody";
import { xmpp, xmppCredentials } from "./index";
import { chooseMechanism } from "./sasl";

let prosody: Prosody;
let sha1Only: Prosody;
let plainOnly: Prosody;

beforeAll(async () => {
  [prosody, sha1Only, plainOnly] = await Promise.all([
    startProsody(),
    startProsody({ extraConfig: `disable_sasl_mechanisms = { "DIGEST-MD5", "SCRAM-SHA-256" }` }),
    startProsody({ extraConfig: `disable_sasl_mechanisms = { "DIGEST-MD5", "SCRAM-SHA-256", "SCRAM-SHA-1" }` }),
  ]);
  for (const p of [prosody, sha1Only, plainOnly]) await p.register("alice", "secret-alice");
});

afterAll(async () => {
  await Promise.all([prosody, sha1Only, plainOnly].map((p) => p?.stop()));
});

/** Prosody writes its log a little after the fact: wait for the line. */
async function usedMechanism(p: Prosody, mechanism: string): Promise<void> {
  // Attribute order in Prosody's log follows a Lua table, so match the attribute anywhere in the tag.
  const line = new RegExp(`Received\\[c2s_unauthed\\]: <auth [^>]*mechanism='${mechanism}'`);
  for (const deadline = Date.now() + 5000; !line.test(p.logs()); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error(`prosody's log never said it got <auth mechanism='${mechanism}'>`);
  }
}

const creds = (p: Prosody, password = "secret-alice") => xmppCredentials.parse({ jid: "Alice@localhost", password, websocketUrl: p.wsUrl });

describe("xmpp.verify", () => {
  it("accepts the right password with SCRAM-SHA-256, and says who the account is", async () => {
    const io = nodeIO("xmpp");
    expect(await xmpp.verify(creds(prosody), io)).toEqual({ ok: true, remote: { id: "alice@localhost", name: "alice" } });
    await usedMechanism(prosody, "SCRAM-SHA-256");
    // The check session is gone again once verify returns.
    expect((await prosody.sessions()).filter((j) => j.startsWith("alice@"))).toEqual([]);
  });

  it("refuses a wrong password as bad_credentials, with the server's reason", async () => {
    const result = await xmpp.verify(creds(prosody, "wrong"), nodeIO("xmpp"));
    expect(result).toMatchObject({ ok: false, code: "bad_credentials" });
    expect(!result.ok && result.message).toMatch(/not-authorized/);
  });

  it("uses SCRAM-SHA-1 when that is the best the server has", async () => {
    expect(await xmpp.verify(creds(sha1Only), nodeIO("xmpp"))).toMatchObject({ ok: true });
    await usedMechanism(sha1Only, "SCRAM-SHA-1");
    expect((await xmpp.verify(creds(sha1Only, "wrong"), nodeIO("xmpp"))).ok).toBe(false);
  });

  it("falls back to PLAIN only when nothing else is offered, here over ws:// to loopback", async () => {
    expect(await xmpp.verify(creds(plainOnly), nodeIO("xmpp"))).toMatchObject({ ok: true });
    await usedMechanism(plainOnly, "PLAIN");
    expect(await xmpp.verify(creds(plainOnly, "wrong"), nodeIO("xmpp"))).toMatchObject({ ok: false, code: "bad_credentials" });
  });

  it("says unreachable for a server that is not there", async () => {
    const result = await xmpp.verify(xmppCredentials.parse({ jid: "alice@localhost", password: "x", websocketUrl: "ws://127.0.0.1:1/xmpp-websocket" }), nodeIO("xmpp"));
    expect(result).toMatchObject({ ok: false, code: "unreachable" });
  });

  it("refuses credentials that are not an account address", () => {
    for (const jid of ["alice", "alice@localhost/phone", "@localhost", "a b@localhost"]) expect(xmppCredentials.safeParse({ jid, password: "x" }).success).toBe(false);
    expect(xmppCredentials.safeParse({ jid: "a@b.org", password: "x", websocketUrl: "https://b.org/ws" }).success).toBe(false);
  });
});

describe("SASL mechanism choice", () => {
  const ws = new URL("ws://chat.example.org/ws");
  const wss = new URL("wss://chat.example.org/ws");
  it("prefers SCRAM-SHA-256, then SCRAM-SHA-1, whatever the order offered", () => {
    expect(chooseMechanism(["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"], ws)).toBe("SCRAM-SHA-256");
    expect(chooseMechanism(["PLAIN", "SCRAM-SHA-1"], ws)).toBe("SCRAM-SHA-1");
  });
  it("sends PLAIN only over wss:// or to loopback", () => {
    expect(chooseMechanism(["PLAIN"], wss)).toBe("PLAIN");
    expect(chooseMechanism(["PLAIN"], new URL("ws://127.0.0.1:5280/ws"))).toBe("PLAIN");
    expect(() => chooseMechanism(["PLAIN"], ws)).toThrow(/in the clear/);
    expect(() => chooseMechanism(["DIGEST-MD5"], wss)).toThrow(/no SASL mechanism/);
  });
});

describe("XEP-0156 discovery", () => {
  let server: Server;
  let origin: string;
  /** What the host-meta server answers now, by file. */
  const files = new Map<string, { type: string; body: string }>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const file = files.get(req.url ?? "");
      if (!file) return res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": file.type }).end(file.body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const xrd = (href: string) => ({
    type: "application/xrd+xml",
    body: `<?xml version='1.0' encoding='utf-8'?>
<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
  <!-- written by hand -->
  <Link rel="urn:xmpp:alt-connections:xbosh" href="https://localhost/http-bind"/>
  <Link rel="urn:xmpp:alt-connections:websocket" href="${href}"/>
</XRD>`,
  });
  const noUrl = (jid = "alice@localhost") => xmppCredentials.parse({ jid, password: "secret-alice" });

  it("finds the WebSocket in host-meta (XRD) and logs in there", async () => {
    files.clear();
    files.set("/.well-known/host-meta", xrd(prosody.wsUrl));
    const io = nodeIO("xmpp", { config: { XMPP_DISCOVERY_ORIGIN: origin } });
    expect(await xmpp.verify(noUrl(), io)).toMatchObject({ ok: true });
  });

  it("prefers host-meta.json, and wss:// over ws://", async () => {
    files.clear();
    files.set("/.well-known/host-meta", xrd("ws://127.0.0.1:1/nothing-here"));
    files.set("/.well-known/host-meta.json", {
      type: "application/json",
      body: JSON.stringify({ links: [{ rel: "urn:xmpp:alt-connections:websocket", href: prosody.wsUrl }, { rel: "urn:xmpp:alt-connections:xbosh", href: "https://x/bosh" }] }),
    });
    expect(await xmpp.verify(noUrl(), nodeIO("xmpp", { config: { XMPP_DISCOVERY_ORIGIN: origin } }))).toMatchObject({ ok: true });
    // Between a wss:// and a ws:// link, the secure one wins (it fails here: nothing listens on 1).
    files.set("/.well-known/host-meta.json", {
      type: "application/json",
      body: JSON.stringify({ links: [{ rel: "urn:xmpp:alt-connections:websocket", href: prosody.wsUrl }, { rel: "urn:xmpp:alt-connections:websocket", href: "wss://127.0.0.1:1/xmpp" }] }),
    });
    const result = await xmpp.verify(noUrl(), nodeIO("xmpp", { config: { XMPP_DISCOVERY_ORIGIN: origin } }));
    expect(result).toMatchObject({ ok: false, code: "unreachable" });
    expect(!result.ok && result.message).toMatch(/127\.0\.0\.1:1/);
  });

  it("refuses a discovered private address (the network guard applies to what the domain says)", async () => {
    files.clear();
    files.set("/.well-known/host-meta", xrd("ws://10.0.0.7:5280/xmpp-websocket"));
    const io = nodeIO("xmpp", { config: { XMPP_DISCOVERY_ORIGIN: origin }, allowPrivate: "127.0.0.1" });
    const result = await xmpp.verify(noUrl(), io);
    expect(result).toMatchObject({ ok: false, code: "unreachable" });
    expect(!result.ok && result.message).toMatch(/10\.0\.0\.7 is a private or reserved address/);
    files.set("/.well-known/host-meta", xrd("ws://localhost:5280/xmpp-websocket"));
    expect(await xmpp.verify(noUrl(), io)).toMatchObject({ ok: false, message: expect.stringMatching(/localhost is a local name/) });
  });

  it("says so when the domain publishes no WebSocket", async () => {
    files.clear();
    const result = await xmpp.verify(noUrl(), nodeIO("xmpp", { config: { XMPP_DISCOVERY_ORIGIN: origin } }));
    expect(result).toMatchObject({ ok: false, code: "unreachable" });
    expect(!result.ok && result.message).toMatch(/XEP-0156.*HTTP 404.*enter the WebSocket URL/);
  });

  it("fetches host-meta from https://<domain>/ without a test origin, through the guard", async () => {
    const result = await xmpp.verify(noUrl("alice@intranet.local"), nodeIO("xmpp"));
    expect(result).toMatchObject({ ok: false, code: "unreachable", message: expect.stringMatching(/intranet\.local is a local name/) });
  });
});
