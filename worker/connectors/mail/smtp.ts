// A small SMTP submission client (RFC 5321, RFC 6409) on io.connect: EHLO, STARTTLS
// (RFC 3207), AUTH PLAIN / LOGIN (RFC 4954), MAIL, RCPT, DATA with dot-stuffing, QUIT.
// Not worker-mailer: it opens cloudflare:sockets itself, which would bypass the host guard
// and cannot run in Node tests; no other library takes a socket we give it.
import { base64 } from "../../mail/encode";
import { type LinkIO, RemoteError } from "../types";
import { type Security, Wire } from "./wire";

export type SmtpServer = { host: string; port: number; security: Security; user?: string; password?: string };
export type Envelope = { from: string; to: string[] };

/** The server answered with a failure code (4xx: try later; 5xx: it will not). */
export class SmtpRefused extends Error {
  constructor(readonly code: number, readonly text: string, readonly step: string) {
    super(`${code} ${text}`);
  }
  get temporary() {
    return this.code >= 400 && this.code < 500;
  }
}

type Reply = { code: number; text: string; lines: string[] };

const REPLY_TIMEOUT_MS = 60_000;
/** RFC 5321 §4.5.3.2.6: the server may take up to 10 minutes after the final dot. */
const DATA_END_TIMEOUT_MS = 600_000;
const utf8 = new TextEncoder();

export class SmtpSession {
  private extensions = new Map<string, string>();
  private constructor(private wire: Wire, private server: SmtpServer, private helo: string) {}

  /** Connects, greets, upgrades when asked and logs in; RemoteError "auth" on a refused login. */
  static async open(io: Pick<LinkIO, "connect">, server: SmtpServer, helo: string): Promise<SmtpSession> {
    const session = new SmtpSession(await Wire.open(io, server.host, server.port, server.security), server, helo);
    try {
      await session.expect("greeting", null, [220]);
      await session.ehlo();
      if (server.security === "starttls") await session.startTls();
      if (server.user) await session.auth(server.user, server.password ?? "");
      return session;
    } catch (e) {
      await session.wire.close();
      throw e;
    }
  }

  private async reply(timeoutMs = REPLY_TIMEOUT_MS): Promise<Reply> {
    const stop = this.wire.watch(timeoutMs);
    try {
      const lines: string[] = [];
      for (;;) {
        const line = new TextDecoder().decode(await this.wire.readLine());
        lines.push(line.slice(4));
        // "250-..." continues a reply; "250 ..." (or a bare "250") ends it (RFC 5321 §4.2.1).
        if (line[3] !== "-") return { code: Number(line.slice(0, 3)) || 0, text: lines.join(" ").trim(), lines };
      }
    } finally {
      stop();
    }
  }

  /** Sends `line` (none for the greeting) and wants one of `ok`; throws SmtpRefused otherwise. */
  private async expect(step: string, line: string | null, ok: number[], timeoutMs?: number): Promise<Reply> {
    if (line !== null) await this.wire.write(`${line}\r\n`);
    const r = await this.reply(timeoutMs);
    if (!ok.includes(r.code)) throw new SmtpRefused(r.code, r.text, step);
    return r;
  }

  private async ehlo() {
    let r: Reply;
    try {
      r = await this.expect("EHLO", `EHLO ${this.helo}`, [250]);
    } catch (e) {
      // RFC 5321 §3.2: a server that does not know EHLO is greeted with HELO, without extensions.
      if (!(e instanceof SmtpRefused) || e.temporary) throw e;
      await this.expect("HELO", `HELO ${this.helo}`, [250]);
      return;
    }
    this.extensions = new Map(r.lines.slice(1).map((l) => {
      const [name, ...args] = l.trim().split(/[ =]/);
      return [name!.toUpperCase(), args.join(" ").toUpperCase()];
    }));
  }

  private async startTls() {
    if (!this.extensions.has("STARTTLS")) throw new RemoteError("permanent", `${this.server.host} does not offer STARTTLS; choose TLS or plain`);
    await this.expect("STARTTLS", "STARTTLS", [220]);
    await this.wire.startTls();
    await this.ehlo(); // RFC 3207 §4.2: forget what was said before TLS
  }

  private async auth(user: string, password: string) {
    const mechanisms = this.extensions.get("AUTH")?.split(" ") ?? [];
    const b64 = (s: string) => base64(utf8.encode(s));
    try {
      if (mechanisms.includes("PLAIN")) await this.expect("AUTH", `AUTH PLAIN ${b64(`\0${user}\0${password}`)}`, [235]);
      else if (mechanisms.includes("LOGIN")) {
        await this.expect("AUTH", "AUTH LOGIN", [334]);
        await this.expect("AUTH", b64(user), [334]);
        await this.expect("AUTH", b64(password), [235]);
      } else throw new RemoteError("permanent", `${this.server.host} offers no password login (AUTH PLAIN or LOGIN)${this.server.security === "plain" ? "; try STARTTLS" : ""}`);
    } catch (e) {
      if (!(e instanceof SmtpRefused) || e.temporary) throw e;
      // 535: the credentials are wrong (RFC 4954 §6). Other 5xx here (534 mechanism too weak,
      // 538 encryption required) are about the connection, not the password.
      if (e.code === 535) throw new RemoteError("auth", `wrong password for ${this.server.host} (${e.message})`);
      throw new RemoteError("permanent", `${this.server.host} refused the login: ${e.message}`);
    }
  }

  /** One message to every recipient, or to none: a refused recipient stops the whole send. */
  async send(envelope: Envelope, message: Uint8Array): Promise<void> {
    const size = this.extensions.has("SIZE") ? ` SIZE=${message.length}` : "";
    await this.expect("MAIL", `MAIL FROM:<${envelope.from}>${size}`, [250]);
    for (const to of envelope.to) {
      try {
        await this.expect("RCPT", `RCPT TO:<${to}>`, [250, 251]);
      } catch (e) {
        await this.expect("RSET", "RSET", [250]).catch(() => {});
        throw e instanceof SmtpRefused ? new SmtpRefused(e.code, `${to}: ${e.text}`, "RCPT") : e;
      }
    }
    await this.expect("DATA", "DATA", [354]);
    await this.wire.write(dotStuffed(message));
    await this.expect("DATA", null, [250], DATA_END_TIMEOUT_MS);
  }

  async quit(): Promise<void> {
    await this.expect("QUIT", "QUIT", [221]).catch(() => {});
    await this.wire.close("quit");
  }
}

/**
 * The message as DATA carries it (RFC 5321 §4.5.2): CRLF line ends, a "." before every
 * line that starts with one, and the end marker CRLF "." CRLF.
 */
export function dotStuffed(message: Uint8Array): Uint8Array {
  // Every byte becomes at most two (a bare CR or LF → CRLF, a leading "." → ".."): one buffer.
  const out = new Uint8Array(message.length * 2 + 5);
  let n = 0;
  let lineStart = true;
  for (let i = 0; i < message.length; i++) {
    const b = message[i]!;
    if (b === 0x0d || b === 0x0a) {
      if (b === 0x0d && message[i + 1] === 0x0a) i++;
      out[n++] = 0x0d;
      out[n++] = 0x0a;
      lineStart = true;
      continue;
    }
    if (lineStart && b === 0x2e) out[n++] = 0x2e;
    out[n++] = b;
    lineStart = false;
  }
  if (!lineStart) (out[n++] = 0x0d), (out[n++] = 0x0a);
  out.set([0x2e, 0x0d, 0x0a], n);
  return out.subarray(0, n + 3);
}

/** Our name in EHLO: the public host name, or an address literal for an IP (RFC 5321 §4.1.3). */
export function heloName(publicUrl: string): string {
  const host = new URL(publicUrl).hostname;
  if (/^[\d.]+$/.test(host)) return `[${host}]`;
  if (host.includes(":")) return `[IPv6:${host.replace(/^\[|\]$/g, "")}]`;
  return host.includes(".") ? host : "unibox.invalid";
}
