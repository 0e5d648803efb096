// What ngIRCd cannot show: a network with IRCv3 echo-message, message-tags, server-time and
// SASL PLAIN. The server here is a script that answers as the IRCv3 specifications say such
// a server does (sasl-3.1, echo-message, message-tags, server-time), with lines shaped like
// Ergo's: a wrong SASL password gets 904 (which the connector takes as bad credentials rather
// than registering unidentified), and nothing is welcomed before CAP END.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeIO, recorder } from "../../../test/support/node-io";
import type { RemoteEvent } from "../types";
import { irc, ircCredentials } from "./index";
import { parseLine } from "./lines";

const NAME = "ergo.test";
let server: Server;
let port: number;
/** Every line each client sent, per connection. */
const heard: string[][] = [];
let connection: Socket | undefined;

function serve(socket: Socket): void {
  connection = socket;
  const mine: string[] = [];
  heard.push(mine);
  let nick = "*";
  let capDone = false;
  let registered = false;
  let saslOk = false;
  let buffer = "";
  let n = 0;
  const say = (line: string) => socket.write(`${line}\r\n`);
  const tryWelcome = () => {
    if (registered || !capDone || nick === "*") return;
    registered = true;
    say(`:${NAME} 001 ${nick} :Welcome to the Ergo test network ${nick}`);
    say(`:${NAME} 005 ${nick} CASEMAPPING=ascii CHANTYPES=# :are supported by this server`);
    say(`:${NAME} 376 ${nick} :End of MOTD command`);
  };
  socket.setEncoding("utf8");
  socket.on("error", () => {});
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const text = buffer.slice(0, nl).replace(/\r$/, "");
      buffer = buffer.slice(nl + 1);
      mine.push(text);
      const l = parseLine(text)!;
      const p = l.params;
      if (l.command === "CAP" && p[0] === "LS") say(`:${NAME} CAP * LS :echo-message message-tags server-time sasl=PLAIN`);
      else if (l.command === "CAP" && p[0] === "REQ") say(`:${NAME} CAP ${nick} ACK :${p[1]}`);
      else if (l.command === "CAP" && p[0] === "END") (capDone = true), tryWelcome();
      else if (l.command === "NICK") (nick = p[0]!), tryWelcome();
      else if (l.command === "AUTHENTICATE" && p[0] === "PLAIN") say("AUTHENTICATE +");
      else if (l.command === "AUTHENTICATE") {
        const [, user, password] = atob(p[0]!).split("\0");
        saslOk = password === "right-password";
        if (saslOk) say(`:${NAME} 900 ${nick} ${nick}!u@h ${user} :You are now logged in as ${user}`), say(`:${NAME} 903 ${nick} :SASL authentication successful`);
        else say(`:${NAME} 904 ${nick} :SASL authentication failed`);
      } else if (l.command === "PING") say(`:${NAME} PONG ${NAME} :${p.at(-1)}`);
      else if (l.command === "PRIVMSG" && registered) {
        // echo-message: the sender gets its own message back, tagged like everyone else's copy.
        say(`@msgid=m${++n};time=2030-01-02T03:04:05.000Z :${nick}!u@h PRIVMSG ${p[0]} :${p[1]}`);
      } else if (l.command === "QUIT") say(`ERROR :Quit: ${p[0] ?? ""}`), socket.end();
    }
  });
}

beforeAll(async () => {
  server = createServer(serve);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const creds = (password: string) => ircCredentials.parse({ host: "127.0.0.1", port, tls: false, nick: "uma", channels: ["#v3"], sasl: { user: "uma", password } });
const io = () => nodeIO("irc", { config: { IRC_FLOOD: "20/100" } });
type Msg = Extract<RemoteEvent, { type: "message" }>;

describe("IRC with IRCv3 capabilities", () => {
  it("logs in with SASL PLAIN through CAP, and refuses a wrong password as bad_credentials", async () => {
    expect(await irc.verify(creds("right-password"), io())).toMatchObject({ ok: true });
    const sent = heard.at(-1)!;
    expect(sent.slice(0, 4)).toEqual(["CAP LS 302", "NICK uma", "USER uma 0 * Unibox", "CAP REQ :sasl"]);
    expect(sent).toContain(`AUTHENTICATE ${btoa("uma\0uma\0right-password")}`);
    expect(sent.indexOf("CAP END")).toBeGreaterThan(sent.indexOf(`AUTHENTICATE ${btoa("uma\0uma\0right-password")}`));
    expect(await irc.verify(creds("wrong"), io())).toMatchObject({ ok: false, code: "bad_credentials", message: expect.stringMatching(/904/) });
  });

  it("matches echo-message copies of our sends and drops them; another client's line is fromMe; server-time and msgid are used", async () => {
    const rec = recorder();
    const session = await irc.connect!(creds("right-password"), io(), null, rec);
    expect(await session.send({ key: "k-1", chat: "#v3", body: { type: "text", text: "sent by Unibox" } })).toMatchObject({ ok: true, remoteId: "k-1" });
    // A bouncer or another client on the same account: the server relays it to us as from our nick.
    connection!.write(`@msgid=other1;time=2030-01-02T03:04:06.000Z :uma!u@h PRIVMSG #v3 :sent from my laptop\r\n`);
    connection!.write(`@msgid=x9;time=2030-01-02T03:04:07.000Z :vic!v@h PRIVMSG #v3 :hello uma\r\n`);
    await rec.until(() => rec.events.filter((e) => e.type === "message").length === 2);
    const msgs = rec.events.filter((e): e is Msg => e.type === "message");
    expect(msgs.map((m) => [m.body.type === "text" && m.body.text, m.fromMe, m.remoteId, m.at])).toEqual([
      ["sent from my laptop", true, "m:other1", Date.parse("2030-01-02T03:04:06.000Z")],
      ["hello uma", false, "m:x9", Date.parse("2030-01-02T03:04:07.000Z")],
    ]);
    await session.close();
    expect(heard.at(-1)!.at(-1)).toMatch(/^QUIT /);
  });
});
