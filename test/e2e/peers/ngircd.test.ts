// The ngIRCd harness and the IRC peer against a real ngIRCd: channel and private messages
// both ways, nick changes, PING answered, restart on the same port, the server password,
// and what ngIRCd says to a client that asks for SASL.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IrcPeer, ircPeer, parseLine } from "../../support/peers/irc-peer";
import { type Ngircd, startNgircd } from "../../support/peers/ngircd";

let irc: Ngircd;
const peers: IrcPeer[] = [];

async function peer(nick: string, server = irc, password?: string): Promise<IrcPeer> {
  const p = await ircPeer({ host: server.host, port: server.port, nick, password });
  peers.push(p);
  return p;
}

/** The server's answers to raw lines from a bare socket, until it has said `until` (or closed). */
function exchange(port: number, lines: string[], until: RegExp): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let got = "";
    const done = () => {
      socket.destroy();
      resolve(got.split("\r\n").filter(Boolean));
    };
    socket.setTimeout(5000, () => reject(new Error(`no ${until} in: ${got}`)));
    socket.on("connect", () => socket.write(lines.map((l) => `${l}\r\n`).join("")));
    socket.on("data", (d) => {
      got += d;
      if (until.test(got)) done();
    });
    socket.on("close", done);
  });
}

beforeAll(async () => {
  const t0 = Date.now();
  irc = await startNgircd();
  console.info(`ngircd started in ${Date.now() - t0} ms`);
});

afterAll(async () => {
  for (const p of peers) await p.stop();
  await irc?.stop();
});

describe("ngircd + ircPeer", () => {
  it("carries channel messages and private messages both ways", async () => {
    const alice = await peer("alice");
    const bob = await peer("bob");
    await alice.join("#unibox");
    await bob.join("#unibox");

    await alice.say("#unibox", "hi channel");
    expect(await bob.waitFor((m) => m.text === "hi channel")).toMatchObject({ from: "alice", target: "#unibox", command: "PRIVMSG" });
    await bob.say("#unibox", "hi alice");
    expect(await alice.waitFor((m) => m.text === "hi alice")).toMatchObject({ from: "bob", target: "#unibox" });

    await alice.say("bob", "just you");
    expect(await bob.waitFor((m) => m.text === "just you")).toMatchObject({ from: "alice", target: "bob" });
    await bob.notice("alice", "noted");
    expect(await alice.waitFor((m) => m.text === "noted")).toMatchObject({ from: "bob", target: "alice", command: "NOTICE" });
    // An IRC server does not echo our own channel message back to us.
    expect(alice.received.some((m) => m.text === "hi channel")).toBe(false);
  });

  it("changes nick, and refuses one that is taken", async () => {
    const carol = await peer("carol");
    const dan = await peer("dan");
    await carol.nick("carol2");
    expect(carol.nickname).toBe("carol2");
    await dan.say("carol2", "found you");
    await carol.waitFor((m) => m.text === "found you");
    await expect(carol.nick("dan")).rejects.toThrow(/433/);
    expect(carol.nickname).toBe("carol2");
    await expect(peer("dan")).rejects.toThrow(/433/);
  });

  it("answers the server's PING (RequireAuthPing: no welcome without the PONG)", async () => {
    const strict = await startNgircd({ authPing: true });
    try {
      const eve = await peer("eve", strict);
      const ping = eve.lines.findIndex((l) => l.command === "PING");
      const welcome = eve.lines.findIndex((l) => l.command === "001");
      expect(ping).toBeGreaterThanOrEqual(0);
      expect(ping).toBeLessThan(welcome);
      expect(strict.logs()).not.toMatch(/eve.*timeout/i);
    } finally {
      await strict.stop();
    }
  });

  it("refuses a ping timeout ngircd would not honour", async () => {
    await expect(startNgircd({ pingTimeout: 1 })).rejects.toThrow(/at least 5/);
  });

  it("restarts on the same port, dropping every client", async () => {
    const gina = await peer("gina");
    const port = irc.port;
    const t0 = Date.now();
    await irc.restart();
    console.info(`ngircd restarted in ${Date.now() - t0} ms`);
    expect(irc.port).toBe(port);
    // restart() shuts down cleanly (SIGTERM): ngIRCd tells each client before it closes.
    await gina.waitForLine((l) => l.command === "ERROR");
    const again = await peer("gina");
    const hal = await peer("hal");
    await hal.say("gina", "welcome back");
    await again.waitFor((m) => m.text === "welcome back");
  });

  it("requires the server password when one is set", async () => {
    const locked = await startNgircd({ password: "letmein" });
    try {
      const ok = await peer("ivy", locked, "letmein");
      expect(ok.nickname).toBe("ivy");
      await expect(peer("jay", locked, "wrong")).rejects.toThrow(/refused.*(464|ERROR)/);
      await expect(peer("kim", locked)).rejects.toThrow(/refused.*(464|ERROR)/);
    } finally {
      await locked.stop();
    }
  });

  it("offers no SASL: CAP LS lists multi-prefix only and CAP REQ :sasl is NAKed", async () => {
    const answers = (await exchange(irc.port, ["CAP LS 302", "CAP REQ :sasl"], /CAP \S+ (NAK|ACK)/)).map(parseLine);
    const ls = answers.find((l) => l.command === "CAP" && l.params[1] === "LS");
    expect(ls?.params.at(-1)?.split(" ")).toEqual(["multi-prefix"]);
    const req = answers.find((l) => l.command === "CAP" && (l.params[1] === "NAK" || l.params[1] === "ACK"));
    expect(req?.params[1]).toBe("NAK");
    expect(req?.params.at(-1)?.trim()).toBe("sasl");
  });

  it("refuses a password that ngircd.conf cannot hold", async () => {
    await expect(startNgircd({ password: "two words" })).rejects.toThrow(/no spaces/);
  });
});
