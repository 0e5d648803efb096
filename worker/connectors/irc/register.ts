// Connection registration (RFC 2812 §3.1, Modern IRC "Connection Registration") with IRCv3
// capability negotiation (CAP LS 302) and SASL PLAIN (IRCv3 sasl-3.1). A pure state
// machine: it takes the server's lines and says what to send, so the whole exchange can be
// checked against recorded lines. Each capability is requested on its own, because a
// CAP REQ is all-or-nothing and one NAK must not cost the others.
import { RemoteError } from "../types";
import { formatLine, type Line } from "./lines";

export type RegisterOptions = {
  nick: string;
  username: string;
  realname: string;
  password?: string;
  sasl?: { user: string; password: string };
};

export type Welcome = {
  /** The nick the server gave us (ours, or the one we fell back to on a collision). */
  nick: string;
  caps: Set<string>;
  isupport: Map<string, string>;
  /** Whether SASL logged us in (900/903). */
  saslAccount?: string;
  /** Set when the account asked for SASL and the server does not offer it. */
  saslUnavailable?: true;
};

export type Step = { send: string[]; done?: Welcome; fail?: RemoteError };

/** Capabilities we use when the server has them. */
const WANTED = ["echo-message", "server-time", "message-tags"];
/** Nick refusals during registration that a different nick may get past (RFC 2812 §5.2). */
const NICK_TAKEN = new Set(["433", "436", "437"]);
const MAX_NICK_TRIES = 8;

export class Registration {
  private tries = 0;
  private nick: string;
  private offered = new Map<string, string>();
  private pendingCaps = new Set<string>();
  private caps = new Set<string>();
  private welcomed = false;
  private capDone = false;
  private isupport = new Map<string, string>();
  private saslAccount?: string;
  private saslUnavailable?: true;

  constructor(private o: RegisterOptions) {
    this.nick = o.nick;
  }

  /** The first lines: CAP LS (registration waits for CAP END), PASS, NICK, USER. */
  start(): string[] {
    return [
      "CAP LS 302",
      ...(this.o.password !== undefined ? [formatLine("PASS", this.o.password)] : []),
      formatLine("NICK", this.nick),
      formatLine("USER", this.o.username, "0", "*", this.o.realname),
    ];
  }

  get currentNick(): string {
    return this.nick;
  }

  feed(line: Line): Step {
    const p = line.params;
    switch (line.command) {
      case "PING":
        return { send: [formatLine("PONG", p.at(-1) ?? "")] };
      case "CAP":
        return this.onCap(p);
      case "AUTHENTICATE":
        return p[0] === "+" ? { send: authenticatePlain(this.o.sasl!) } : { send: [] };
      case "900":
        this.saslAccount = p[2];
        return { send: [] };
      case "903":
      case "907":
        return this.endCap();
      case "904":
      case "905":
        return { send: [], fail: new RemoteError("auth", `SASL login refused (${line.command}): ${p.at(-1) ?? ""}`) };
      case "906":
        return this.endCap();
      case "908":
        return { send: [] };
      case "421":
        // A server that does not know CAP at all: registration goes on without it.
        return p[1]?.toUpperCase() === "CAP" ? this.endCap() : { send: [] };
      case "001":
        this.welcomed = true;
        this.nick = p[0] ?? this.nick;
        return { send: [] };
      case "005":
        for (const token of p.slice(1, -1)) {
          const eq = token.indexOf("=");
          this.isupport.set((eq < 0 ? token : token.slice(0, eq)).toUpperCase(), eq < 0 ? "" : token.slice(eq + 1));
        }
        return { send: [] };
      case "376":
      case "422":
        return this.welcomed ? { send: [], done: this.welcome() } : { send: [] };
      case "464":
        return { send: [], fail: new RemoteError("auth", `the server refused the password (464): ${p.at(-1) ?? ""}`) };
      case "465":
        return { send: [], fail: new RemoteError("permanent", `the server bans this connection (465): ${p.at(-1) ?? ""}`) };
      case "432":
        return this.onBadNick(p);
      case "ERROR":
        // Some servers refuse the server password with ERROR alone, no 464 (ngIRCd: "Access denied: Bad password?").
        return { send: [], fail: new RemoteError(/password/i.test(p.at(-1) ?? "") ? "auth" : "transient", `the server closed the connection: ${p.at(-1) ?? ""}`) };
    }
    if (NICK_TAKEN.has(line.command) && !this.welcomed) return this.nextNick();
    return { send: [] };
  }

  /** After 001, the end of the MOTD may never come from some servers: the caller can settle for this. */
  welcomeIfRegistered(): Welcome | null {
    return this.welcomed ? this.welcome() : null;
  }

  private welcome(): Welcome {
    return { nick: this.nick, caps: this.caps, isupport: this.isupport, saslAccount: this.saslAccount, saslUnavailable: this.saslUnavailable };
  }

  private onCap(p: string[]): Step {
    const sub = p[1]?.toUpperCase();
    const list = (p.at(-1) ?? "").split(" ").filter(Boolean);
    if (sub === "LS") {
      for (const cap of list) {
        const eq = cap.indexOf("=");
        this.offered.set(eq < 0 ? cap : cap.slice(0, eq), eq < 0 ? "" : cap.slice(eq + 1));
      }
      // CAP LS 302 continues over several lines while the third parameter is "*".
      if (p[2] === "*" && p.length > 3) return { send: [] };
      return this.request();
    }
    if (sub === "ACK" || sub === "NAK") {
      for (const cap of list) {
        const name = cap.replace(/^-/, "");
        this.pendingCaps.delete(name);
        if (sub === "ACK" && !cap.startsWith("-")) this.caps.add(name);
        if (sub === "NAK" && name === "sasl") this.saslUnavailable = true;
      }
      if (this.pendingCaps.size) return { send: [] };
      return this.caps.has("sasl") ? { send: ["AUTHENTICATE PLAIN"] } : this.endCap();
    }
    return { send: [] };
  }

  private request(): Step {
    const want = WANTED.filter((c) => this.offered.has(c));
    if (this.o.sasl) {
      const mechs = this.offered.get("sasl");
      if (this.offered.has("sasl") && (!mechs || mechs.split(",").includes("PLAIN"))) want.unshift("sasl");
      else this.saslUnavailable = true;
    }
    if (!want.length) return this.endCap();
    for (const c of want) this.pendingCaps.add(c);
    return { send: want.map((c) => `CAP REQ :${c}`) };
  }

  private endCap(): Step {
    if (this.capDone) return { send: [] };
    this.capDone = true;
    return { send: ["CAP END"] };
  }

  /** 433 and friends: nick_, nick__, then nick1, nick2, … (RFC 2812 allows 9 characters; most servers more). */
  private nextNick(): Step {
    if (++this.tries > MAX_NICK_TRIES) return { send: [], fail: new RemoteError("transient", `the nick ${this.o.nick} and ${MAX_NICK_TRIES} others are taken`) };
    this.nick = this.tries <= 2 ? `${this.o.nick}${"_".repeat(this.tries)}` : `${this.o.nick}${this.tries - 2}`;
    return { send: [formatLine("NICK", this.nick)] };
  }

  private onBadNick(p: string[]): Step {
    if (this.welcomed) return { send: [] };
    // Our own nick refused outright is the account's problem; a fallback refused (too long) tries the next.
    if (this.nick === this.o.nick) return { send: [], fail: new RemoteError("auth", `the server refuses the nick ${this.o.nick} (432): ${p.at(-1) ?? ""}`) };
    return this.nextNick();
  }
}

/** SASL PLAIN's one message, base64, in the 400-byte AUTHENTICATE chunks the spec requires. */
export function authenticatePlain(sasl: { user: string; password: string }): string[] {
  const bytes = new TextEncoder().encode(`${sasl.user}\0${sasl.user}\0${sasl.password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  const b64 = btoa(bin);
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += 400) out.push(`AUTHENTICATE ${b64.slice(i, i + 400)}`);
  // A message that is an exact multiple of 400 bytes ends with an empty one.
  if (b64.length % 400 === 0) out.push("AUTHENTICATE +");
  return out;
}
