// The IRC connector against a real ngIRCd, with test peers on the other side: bind (and a
// server password refused), channel and private messages both ways, a nick collision, CAP
// without SASL, splitting and flood control, a refused send, restart and a silent server
// ending the session as transient, QUIT on close, and the no-history notice on reconnect.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeIO, recorder } from "../../../test/support/node-io";
import { type IrcPeer, ircPeer } from "../../../test/support/peers/irc-peer";
import { type Ngircd, startNgircd } from "../../../test/support/peers/ngircd";
import { stallProxy } from "../../../test/support/stall-proxy";
import type { LiveSession, RemoteEvent } from "../types";
import { irc, ircCredentials } from "./index";

let server: Ngircd;
let locked: Ngircd;
const peers: IrcPeer[] = [];
const sessions: LiveSession[] = [];

beforeAll(async () => {
  [server, locked] = await Promise.all([startNgircd(), startNgircd({ password: "letmein" })]);
});

afterAll(async () => {
  for (const s of sessions) await s.close();
  for (const p of peers) await p.stop();
  await Promise.all([server?.stop(), locked?.stop()]);
});

async function peer(nick: string, on = server, password?: string): Promise<IrcPeer> {
  const p = await ircPeer({ host: on.host, port: on.port, nick, password });
  peers.push(p);
  return p;
}

const creds = (nick: string, extra: Record<string, unknown> = {}, on = server) => ircCredentials.parse({ host: on.host, port: on.port, tls: false, nick, ...extra });
// Tests send in bursts; ngIRCd here has no flood penalty (test/support/peers/ngircd.ts).
const io = (config: Record<string, string> = {}) => nodeIO("irc", { config: { IRC_FLOOD: "20/100", ...config } });

async function connect(nick: string, extra: Record<string, unknown> = {}, cursor: string | null = null, config: Record<string, string> = {}, rec = recorder()) {
  const session = await irc.connect!(creds(nick, extra), io(config), cursor, rec);
  sessions.push(session);
  return { session, rec };
}

type Msg = Extract<RemoteEvent, { type: "message" }>;
const messages = (events: RemoteEvent[]) => events.filter((e): e is Msg => e.type === "message");
const textOf = (m: Msg) => (m.body.type === "text" ? m.body.text : "");

/** Waits until the peer sees `nick` in `channel` (its JOIN line). */
const joined = (p: IrcPeer, nick: string, channel: string) => p.waitForLine((l) => l.command === "JOIN" && l.prefix.split("!")[0] === nick && l.params[0]?.toLowerCase() === channel.toLowerCase());

describe("irc.verify", () => {
  it("registers with the nick and says who the account is", async () => {
    expect(await irc.verify(creds("vera"), io())).toEqual({ ok: true, remote: { id: "vera", name: "vera on 127.0.0.1" } });
  });

  it("refuses a wrong or missing server password as bad_credentials, and takes the right one", async () => {
    const wrong = await irc.verify(creds("vera2", { password: "nope" }, locked), io());
    expect(wrong).toMatchObject({ ok: false, code: "bad_credentials" });
    expect(!wrong.ok && wrong.message).toMatch(/Bad password/);
    expect(await irc.verify(creds("vera3", {}, locked), io())).toMatchObject({ ok: false, code: "bad_credentials" });
    expect(await irc.verify(creds("vera4", { password: "letmein" }, locked), io())).toMatchObject({ ok: true });
  });

  it("says unreachable for a server that is not there, and refuses bad fields", async () => {
    expect(await irc.verify(ircCredentials.parse({ host: "127.0.0.1", port: 1, tls: false, nick: "x" }), io())).toMatchObject({ ok: false, code: "unreachable" });
    for (const bad of [{ nick: "1abc" }, { nick: "a b" }, { channels: ["nochan"] }, { password: "two words" }, { host: "exa mple.org" }]) {
      expect(ircCredentials.safeParse({ host: "irc.example.org", port: 6697, tls: true, nick: "ok", ...bad }).success).toBe(false);
    }
  });

  it("goes on without SASL on a server that has none (ngIRCd's CAP LS), and says so", async () => {
    expect(await irc.verify(creds("sally", { sasl: { user: "sally", password: "pw" } }), io())).toMatchObject({ ok: true });
    const { rec } = await connect("sally2", { sasl: { user: "sally2", password: "pw" } });
    expect(rec.states.at(-1)?.message).toMatch(/offers no SASL/);
  });
});

describe("an IRC session", () => {
  it("carries a channel message and a private message each way", async () => {
    const bob = await peer("bob");
    await bob.join("#unibox");
    const { session, rec } = await connect("alice", { channels: ["#Unibox"] });
    await joined(bob, "alice", "#unibox");
    expect(rec.events.find((e) => e.type === "contacts")).toEqual({ type: "contacts", contacts: [{ id: "#unibox", name: "#Unibox", group: "channels" }] });

    await bob.say("#unibox", "hello channel");
    await bob.say("alice", "hello you");
    await rec.until(() => messages(rec.events).length === 2);
    const [inChannel, inPrivate] = messages(rec.events);
    expect(inChannel).toMatchObject({ chat: { id: "#unibox", kind: "group" }, sender: { id: "bob", name: "bob" }, fromMe: false, body: { type: "text", text: "hello channel" } });
    expect(inPrivate).toMatchObject({ chat: { id: "bob", kind: "direct", title: "bob" }, sender: { id: "bob" }, body: { text: "hello you" } });
    expect(inChannel!.remoteId).not.toBe(inPrivate!.remoteId);

    expect(await session.send({ key: "k-chan", chat: "#unibox", body: { type: "text", text: "hi all" } })).toMatchObject({ ok: true, remoteId: "k-chan" });
    expect(await bob.waitFor((m) => m.text === "hi all")).toMatchObject({ from: "alice", target: "#unibox", command: "PRIVMSG" });
    expect(await session.send({ key: "k-priv", chat: "bob", body: { type: "text", text: "just you" } })).toMatchObject({ ok: true });
    expect(await bob.waitFor((m) => m.text === "just you")).toMatchObject({ from: "alice", target: "bob", command: "PRIVMSG" });
    // No echo from ngIRCd: nothing of ours came back as a message.
    expect(messages(rec.events).some((m) => m.fromMe)).toBe(false);
  });

  it("is one conversation whatever the case of the nick, and shows NOTICE and /me", async () => {
    const dora = await ircPeer({ host: server.host, port: server.port, nick: "Dora[x]", username: "dora" });
    peers.push(dora);
    const { rec } = await connect("ed");
    await dora.say("ed", "one");
    await dora.nick("DORA[X]"); // the same nick to the server
    await dora.notice("ed", "two");
    await dora.say("ed", "\x01ACTION waves\x01");
    await rec.until(() => messages(rec.events).length === 3);
    // ngIRCd announces CASEMAPPING=ascii: letters fold, brackets stay (rfc1459 would make them {}).
    expect(messages(rec.events).map((m) => m.chat.id)).toEqual(["dora[x]", "dora[x]", "dora[x]"]);
    expect(messages(rec.events).map(textOf)).toEqual(["one", "two", "* DORA[X] waves"]);
  });

  it("splits a long message at the 512-byte line limit and sends the pieces in order", async () => {
    const fay = await peer("fay");
    const { session } = await connect("gus");
    const text = Array.from({ length: 150 }, (_, i) => `w${i}`).join(" ") + " " + "é".repeat(300);
    expect(await session.send({ key: "k-long", chat: "fay", body: { type: "text", text } })).toMatchObject({ ok: true });
    await fay.waitFor((m) => m.text.endsWith("é"));
    const lines = fay.lines.filter((l) => l.command === "PRIVMSG" && l.prefix.startsWith("gus!"));
    expect(lines.length).toBeGreaterThan(1);
    // Each line as fay received it, prefix and CR LF included, fits in 512 bytes.
    for (const l of lines) expect(new TextEncoder().encode(`:${l.prefix} PRIVMSG ${l.params[0]} :${l.params[1]}\r\n`).length).toBeLessThanOrEqual(512);
    expect(lines.map((l) => l.params[1]).join(" ").replace(/é é/g, "éé")).toBe(text.replace(/é é/g, "éé"));
  });

  it("keeps to its flood budget: lines beyond the burst wait their turn", async () => {
    const hal = await peer("hal");
    const { session } = await connect("ivy", {}, null, { IRC_FLOOD: "2/300" });
    const t0 = Date.now();
    await Promise.all(["a", "b", "c", "d"].map((t, i) => session.send({ key: `k-f${i}`, chat: "hal", body: { type: "text", text: t } })));
    await hal.waitFor((m) => m.text === "d");
    expect(hal.received.filter((m) => m.from === "ivy").map((m) => m.text)).toEqual(["a", "b", "c", "d"]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
  });

  it("reports a send the server refuses (no such nick) as failed, with its reason", async () => {
    const { session } = await connect("jon");
    expect(await session.send({ key: "k-nobody", chat: "nobody-here", body: { type: "text", text: "hello?" } })).toMatchObject({
      ok: false,
      code: "remote_refused",
      retryable: false,
      message: expect.stringMatching(/nobody-here.*401/),
    });
    expect(await session.send({ key: "k-bad", chat: "two words", body: { type: "text", text: "x" } })).toMatchObject({ ok: false, code: "invalid_target" });
    expect(await session.send({ key: "k-img", chat: "jon", body: { type: "image", media: "md_1" } })).toMatchObject({ ok: false, code: "unsupported_body" });
  });

  it("takes another nick when its own is taken, says which, and is reachable under it", async () => {
    const kim = await peer("kim");
    const { session, rec } = await connect("kim");
    expect(rec.states.at(-1)?.message).toBe("connected as kim_ (kim is taken)");
    await kim.say("kim_", "are you my twin?");
    await rec.until(() => messages(rec.events).length === 1);
    await session.send({ key: "k-twin", chat: "kim", body: { type: "text", text: "yes" } });
    expect(await kim.waitFor((m) => m.text === "yes")).toMatchObject({ from: "kim_" });
  });

  it("says in each channel that IRC keeps no history when it connects again after being closed", async () => {
    const lee = await peer("lee");
    await lee.join("#history");
    const first = await connect("max", { channels: ["#history", "#other"] });
    expect(first.rec.events.some((e) => e.type === "notice")).toBe(false);
    await joined(lee, "max", "#history");
    await first.session.close();
    expect(first.rec.cursor).toMatch(/^\d+$/);
    await lee.waitForLine((l) => l.command === "QUIT" && l.prefix.startsWith("max!"));
    await lee.say("#history", "you missed this");

    const second = await connect("max", { channels: ["#history", "#other"] }, first.rec.cursor);
    const notices = second.rec.events.filter((e) => e.type === "notice");
    expect(notices.map((n) => n.type === "notice" && [n.chat.id, n.key])).toEqual([["#history", "irc.no-history"], ["#other", "irc.no-history"]]);
    expect(messages(second.rec.events)).toEqual([]);
  });
});

describe("IRC sessions ending", () => {
  it("close() sends QUIT, which the people in the channel see", async () => {
    const nan = await peer("nan");
    await nan.join("#quit");
    const { session } = await connect("oli", { channels: ["#quit"] });
    await joined(nan, "oli", "#quit");
    await session.close();
    const quit = await nan.waitForLine((l) => l.command === "QUIT" && l.prefix.startsWith("oli!"));
    expect(quit.params[0]).toMatch(/Unibox/);
    expect(await session.ended).toEqual({ reason: "closed", kind: "transient" });
  });

  it("ends as transient when the server restarts, and a new connect works", async () => {
    const solo = await startNgircd();
    try {
      const session = await irc.connect!(creds("pat", {}, solo), io(), null, recorder());
      await solo.restart();
      const ended = await session.ended;
      expect(ended.kind).toBe("transient");
      const rec = recorder();
      const again = await irc.connect!(creds("pat", {}, solo), io(), "1", rec);
      const quinn = await ircPeer({ host: solo.host, port: solo.port, nick: "quinn" });
      await quinn.say("pat", "back?");
      await rec.until(() => messages(rec.events).length === 1);
      await quinn.stop();
      await again.close();
    } finally {
      await solo.stop();
    }
  });

  it("notices a server that goes silent (its own PING unanswered) and ends as transient", async () => {
    const proxy = await stallProxy(server.port);
    try {
      const session = await irc.connect!(ircCredentials.parse({ host: "127.0.0.1", port: proxy.port, tls: false, nick: "ray" }), io({ IRC_PING_SECONDS: "1" }), null, recorder());
      sessions.push(session);
      await new Promise((r) => setTimeout(r, 2500));
      expect(await Promise.race([session.ended.then(() => "ended"), Promise.resolve("up")])).toBe("up");
      proxy.stall();
      const t0 = Date.now();
      expect(await session.ended).toEqual({ reason: "the server stopped answering", kind: "transient" });
      expect(Date.now() - t0).toBeLessThan(4000);
    } finally {
      await proxy.close();
    }
  });
});
