// "The other person" on IRC: a small client on node:net speaking RFC 1459 / RFC 2812 (as
// modern servers do, per the Modern IRC client protocol document): registers with
// PASS/NICK/USER, answers PING, joins channels, sends and keeps PRIVMSG/NOTICE.
import { type Socket, connect } from "node:net";
import { Inbox } from "./inbox";

export type IrcLine = { prefix: string; command: string; params: string[] };

export type IrcMessage = {
  /** Nick of the sender. */
  from: string;
  /** A channel, or our nick for a private message. */
  target: string;
  text: string;
  command: "PRIVMSG" | "NOTICE";
};

export type IrcPeerOptions = {
  host: string;
  port: number;
  nick: string;
  /** Server password, sent with PASS before registering. */
  password?: string;
  username?: string;
  realname?: string;
};

export type IrcPeer = {
  /** Our nick now (follows nick()). */
  readonly nickname: string;
  received: IrcMessage[];
  /** Every line from the server, parsed. */
  lines: IrcLine[];
  waitFor(pred: (m: IrcMessage) => boolean, timeoutMs?: number): Promise<IrcMessage>;
  waitForLine(pred: (l: IrcLine) => boolean, timeoutMs?: number): Promise<IrcLine>;
  /** Joins and resolves once the server has sent the channel's names (366). */
  join(channel: string): Promise<void>;
  part(channel: string): Promise<void>;
  say(target: string, text: string): Promise<void>;
  notice(target: string, text: string): Promise<void>;
  /** Changes nick; rejects with the server's numeric if it refuses. */
  nick(newNick: string): Promise<void>;
  /** Sends one raw line (no CR/LF inside). */
  raw(line: string): void;
  stop(): Promise<void>;
};

/** One line of the IRC grammar: [":" prefix SPACE] command params [SPACE ":" trailing]. */
export function parseLine(line: string): IrcLine {
  let rest = line;
  let prefix = "";
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ");
    prefix = rest.slice(1, space);
    rest = rest.slice(space + 1);
  }
  const trailingAt = rest.indexOf(" :");
  const trailing = trailingAt >= 0 ? rest.slice(trailingAt + 2) : undefined;
  const words = (trailingAt >= 0 ? rest.slice(0, trailingAt) : rest).split(" ").filter(Boolean);
  const [command, ...params] = words;
  return { prefix, command: command.toUpperCase(), params: trailing === undefined ? params : [...params, trailing] };
}

const nickOf = (prefix: string) => prefix.split("!")[0];
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
/** Numerics that refuse a NICK (RFC 2812 §3.1.2). */
const NICK_REFUSED = new Set(["431", "432", "433", "436", "437", "484"]);

export async function ircPeer(opts: IrcPeerOptions): Promise<IrcPeer> {
  const socket: Socket = connect(opts.port, opts.host);
  socket.setEncoding("utf8");
  const lines = new Inbox<IrcLine>(`irc peer ${opts.nick} lines`);
  const messages = new Inbox<IrcMessage>(`irc peer ${opts.nick}`);
  let current = opts.nick;
  let buffer = "";

  const raw = (line: string) => {
    if (/[\r\n]/.test(line)) throw new Error("an IRC line cannot hold CR or LF");
    socket.write(`${line}\r\n`);
  };

  const onLine = (line: IrcLine) => {
    if (line.command === "PING") return raw(`PONG :${line.params.at(-1) ?? ""}`);
    if (line.command === "NICK" && same(nickOf(line.prefix), current)) current = line.params[0];
    if (line.command === "PRIVMSG" || line.command === "NOTICE") {
      messages.push({ from: nickOf(line.prefix), target: line.params[0], text: line.params[1] ?? "", command: line.command });
    }
  };

  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
      const text = buffer.slice(0, end).replace(/\r$/, "");
      buffer = buffer.slice(end + 1);
      if (!text) continue;
      const line = parseLine(text);
      onLine(line); // before anyone waiting on the line looks at our state
      lines.push(line);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));

  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {}); // after registration a dropped socket just ends (see `closed`)
  if (opts.password !== undefined) raw(`PASS ${opts.password}`);
  raw(`NICK ${opts.nick}`);
  raw(`USER ${opts.username ?? opts.nick} 0 * :${opts.realname ?? opts.nick}`);
  const welcome = await Promise.race([
    lines.waitFor((l) => l.command === "001" || l.command === "ERROR" || NICK_REFUSED.has(l.command) || l.command === "464", 10_000),
    closed.then((): IrcLine => ({ prefix: "", command: "CLOSED", params: ["connection closed before registration"] })),
  ]);
  if (welcome.command !== "001") {
    socket.destroy();
    throw new Error(`IRC registration as ${opts.nick} refused: ${welcome.command} ${welcome.params.join(" ")}`);
  }

  return {
    get nickname() {
      return current;
    },
    received: messages.items,
    lines: lines.items,
    waitFor: (pred, timeoutMs) => messages.waitFor(pred, timeoutMs),
    waitForLine: (pred, timeoutMs) => lines.waitFor(pred, timeoutMs),
    async join(channel) {
      const from = lines.items.length;
      raw(`JOIN ${channel}`);
      const answer = await lines.waitFor((l) => lines.items.indexOf(l) >= from && ((l.command === "366" && same(l.params[1], channel)) || (/^4\d\d$/.test(l.command) && same(l.params[1] ?? "", channel))));
      if (answer.command !== "366") throw new Error(`JOIN ${channel} refused: ${answer.command} ${answer.params.join(" ")}`);
    },
    async part(channel) {
      const from = lines.items.length;
      raw(`PART ${channel}`);
      await lines.waitFor((l) => lines.items.indexOf(l) >= from && l.command === "PART" && same(nickOf(l.prefix), current) && same(l.params[0], channel));
    },
    async say(target, text) {
      raw(`PRIVMSG ${target} :${text}`);
    },
    async notice(target, text) {
      raw(`NOTICE ${target} :${text}`);
    },
    async nick(newNick) {
      const from = lines.items.length;
      const old = current;
      raw(`NICK ${newNick}`);
      const answer = await lines.waitFor((l) => lines.items.indexOf(l) >= from && ((l.command === "NICK" && same(nickOf(l.prefix), old)) || NICK_REFUSED.has(l.command)));
      if (answer.command !== "NICK") throw new Error(`NICK ${newNick} refused: ${answer.command} ${answer.params.join(" ")}`);
    },
    raw,
    async stop() {
      if (!socket.destroyed) {
        raw("QUIT :bye");
        socket.end();
        // A server closes after QUIT; don't wait long for one that has gone already.
        await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
        socket.destroy();
      }
    },
  };
}
