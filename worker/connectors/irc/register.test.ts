// Registration against recorded server lines: the IRCv3 sasl-3.1 specification's own
// exchange, a server that offers several capabilities over a multi-line CAP LS 302, SASL
// refused, a server without SASL (the path ngIRCd takes), nick collisions and ISUPPORT.
import { describe, expect, it } from "vitest";
import { parseLine } from "./lines";
import { authenticatePlain, type RegisterOptions, Registration, type Step } from "./register";

/** Feeds server lines; returns everything the client sent and the last step. */
function play(reg: Registration, server: string[]): { sent: string[]; last: Step } {
  const sent: string[] = [];
  let last: Step = { send: [] };
  for (const text of server) {
    last = reg.feed(parseLine(text)!);
    sent.push(...last.send);
    if (last.done || last.fail) break;
  }
  return { sent, last };
}

const jilles: RegisterOptions = { nick: "jilles", username: "jilles", realname: "Jilles Tjoelker", sasl: { user: "jilles", password: "sesame" } };

describe("IRC registration", () => {
  it("does the sasl-3.1 specification's example exchange line for line", () => {
    const reg = new Registration(jilles);
    expect(reg.start()).toEqual(["CAP LS 302", "NICK jilles", "USER jilles 0 * :Jilles Tjoelker"]);
    const { sent, last } = play(reg, [
      ":jaguar.test CAP jilles LS :sasl",
      ":jaguar.test CAP jilles ACK :sasl",
      "AUTHENTICATE +",
      ":jaguar.test 900 jilles jilles!jilles@localhost.stack.nl jilles :You are now logged in as jilles",
      ":jaguar.test 903 jilles :SASL authentication successful",
      ":jaguar.test 001 jilles :Welcome to the jaguar IRC Network jilles!jilles@localhost.stack.nl",
      ":jaguar.test 005 jilles CHANTYPES=# CASEMAPPING=ascii NICKLEN=16 :are supported by this server",
      ":jaguar.test 376 jilles :End of /MOTD command.",
    ]);
    expect(sent).toEqual(["CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE amlsbGVzAGppbGxlcwBzZXNhbWU=", "CAP END"]);
    expect(last.done).toMatchObject({ nick: "jilles", saslAccount: "jilles" });
    expect(last.done!.isupport.get("CASEMAPPING")).toBe("ascii");
    expect(last.done!.isupport.get("CHANTYPES")).toBe("#");
  });

  it("reads a multi-line CAP LS 302 and asks for each capability it uses on its own", () => {
    const reg = new Registration({ ...jilles, password: "bouncerpw" });
    expect(reg.start()[1]).toBe("PASS bouncerpw");
    const { sent } = play(reg, [
      ":irc.example CAP * LS * :account-notify away-notify extended-join multi-prefix sasl=PLAIN,EXTERNAL",
      ":irc.example CAP * LS :server-time echo-message message-tags",
      ":irc.example CAP jilles ACK :sasl",
      ":irc.example CAP jilles NAK :echo-message",
      ":irc.example CAP jilles ACK :server-time",
      ":irc.example CAP jilles ACK :message-tags",
      "AUTHENTICATE +",
      ":irc.example 903 jilles :SASL authentication successful",
    ]);
    expect(sent).toEqual([
      "CAP REQ :sasl",
      "CAP REQ :echo-message",
      "CAP REQ :server-time",
      "CAP REQ :message-tags",
      "AUTHENTICATE PLAIN",
      "AUTHENTICATE amlsbGVzAGppbGxlcwBzZXNhbWU=",
      "CAP END",
    ]);
    const { last } = play(reg, [":irc.example 001 jilles :Welcome", ":irc.example 422 jilles :MOTD File is missing"]);
    expect([...last.done!.caps].sort()).toEqual(["message-tags", "sasl", "server-time"]);
  });

  it("fails as auth when the network refuses the SASL login", () => {
    const reg = new Registration(jilles);
    reg.start();
    const { last } = play(reg, [":s CAP * LS :sasl", ":s CAP jilles ACK :sasl", "AUTHENTICATE +", ":s 904 jilles :SASL authentication failed"]);
    expect(last.fail).toMatchObject({ kind: "auth", message: expect.stringMatching(/SASL login refused \(904\)/) });
  });

  it("goes on without SASL where the server has none, or only mechanisms other than PLAIN", () => {
    // What ngIRCd says (test/support/peers/ngircd.ts): multi-prefix only.
    const reg = new Registration(jilles);
    reg.start();
    const { sent, last } = play(reg, [":irc.test.local CAP * LS :multi-prefix", ":irc.test.local 001 jilles :Welcome", ":irc.test.local 376 jilles :End of MOTD command"]);
    expect(sent).toEqual(["CAP END"]);
    expect(last.done).toMatchObject({ nick: "jilles", saslUnavailable: true });
    const external = new Registration(jilles);
    external.start();
    expect(play(external, [":s CAP * LS :sasl=EXTERNAL server-time"]).sent).toEqual(["CAP REQ :server-time"]);
    // A server that NAKs sasl: the other capabilities still count, and registration ends the negotiation.
    const nak = new Registration(jilles);
    nak.start();
    const r = play(nak, [":s CAP * LS :sasl", ":s CAP * NAK :sasl", ":s 001 jilles :hi", ":s 376 jilles :end"]);
    expect(r.sent).toEqual(["CAP REQ :sasl", "CAP END"]);
    expect(r.last.done).toMatchObject({ saslUnavailable: true });
  });

  it("registers on a server that does not know CAP (421)", () => {
    const reg = new Registration({ nick: "old", username: "old", realname: "x" });
    reg.start();
    const { sent, last } = play(reg, [":old.server 421 * CAP :Unknown command", ":old.server 001 old :Welcome", ":old.server 376 old :end"]);
    expect(sent).toEqual(["CAP END"]);
    expect(last.done?.nick).toBe("old");
  });

  it("tries nick_, nick__, then nick1 on collisions, and takes the nick the server welcomes", () => {
    const reg = new Registration({ nick: "bob", username: "bob", realname: "x" });
    reg.start();
    const { sent, last } = play(reg, [
      ":s 433 * bob :Nickname is already in use",
      ":s 433 * bob_ :Nickname is already in use",
      ":s 433 * bob__ :Nickname is already in use",
      ":s 001 bob1 :Welcome",
      ":s 376 bob1 :end",
    ]);
    expect(sent).toEqual(["NICK bob_", "NICK bob__", "NICK bob1"]);
    expect(last.done?.nick).toBe("bob1");
  });

  it("gives up after eight other nicks, and refuses a nick the server calls erroneous", () => {
    const reg = new Registration({ nick: "bob", username: "bob", realname: "x" });
    reg.start();
    const { last } = play(reg, Array.from({ length: 10 }, () => ":s 433 * x :in use"));
    expect(last.fail?.message).toMatch(/taken/);
    const bad = new Registration({ nick: "bob", username: "bob", realname: "x" });
    bad.start();
    expect(play(bad, [":s 432 * bob :Erroneous nickname"]).last.fail).toMatchObject({ kind: "auth" });
  });

  it("answers PING during registration, and fails as auth on a wrong server password", () => {
    const reg = new Registration({ nick: "bob", username: "bob", realname: "x", password: "nope" });
    reg.start();
    expect(reg.feed(parseLine("PING :12345")!).send).toEqual(["PONG 12345"]);
    expect(reg.feed(parseLine(":irc.test.local 464 bob :Password incorrect")!).fail).toMatchObject({ kind: "auth" });
    // ngIRCd says it with ERROR alone; other ERRORs before the welcome are network trouble.
    expect(new Registration({ nick: "b", username: "b", realname: "x" }).feed(parseLine("ERROR :Access denied: Bad password?")!).fail).toMatchObject({ kind: "auth" });
    expect(new Registration({ nick: "b", username: "b", realname: "x" }).feed(parseLine("ERROR :Closing Link: throttled")!).fail).toMatchObject({ kind: "transient" });
  });

  it("splits a long SASL message into 400-byte chunks, with + after an exact multiple", () => {
    // "u\0u\0" and 600 bytes: 604 bytes, 808 base64 characters.
    const long = authenticatePlain({ user: "u", password: "p".repeat(600) });
    expect(long.map((l) => l.slice("AUTHENTICATE ".length).length)).toEqual([400, 400, 8]);
    expect(atob(long.map((l) => l.slice(13)).join(""))).toBe(`u\0u\0${"p".repeat(600)}`);
    // 300 bytes of PLAIN message is exactly 400 base64 characters.
    const exact = authenticatePlain({ user: "u", password: "p".repeat(300 - 4) });
    expect(exact.map((l) => l.slice(13).length)).toEqual([400, 1]);
    expect(exact.at(-1)).toBe("AUTHENTICATE +");
  });
});
