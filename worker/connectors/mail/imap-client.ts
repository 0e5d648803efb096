// A small IMAP4rev1 client (RFC 3501; RFC 9051 servers speak it too) on io.connect: no
// IMAP library runs in workerd. One command at a time: each is written, then responses are
// read until its tagged completion; untagged ones go to the command and to `onUntagged`.
// Reading only happens inside a command or IDLE, so STARTTLS never races a pending read.
import { RemoteError, type LinkIO } from "../types";
import { type Response, readResponse } from "./imap-response";
import { type Security, Wire, WireClosed } from "./wire";

export type ImapServer = { host: string; port: number; security: Security; user: string; password: string };

/** A piece of a command: text as it is, or bytes sent as a literal ({n}, wait for "+", bytes). */
export type Piece = string | Uint8Array;
export type Done = { tagged: Extract<Response, { kind: "tagged" }>; untagged: Response[] };

/** A server that stops answering a command for this long is given up on. */
const COMMAND_TIMEOUT_MS = 60_000;
const encoder = new TextEncoder();

/** A quoted string (RFC 3501 §4.3), or a literal when the text has what quotes cannot hold. */
export function astring(s: string): Piece {
  return /^[\x20-\x7e]*$/.test(s) ? `"${s.replace(/["\\]/g, "\\$&")}"` : encoder.encode(s);
}

/** The server answered NO or BAD. `code` is its response code (AUTHENTICATIONFAILED, UNAVAILABLE...). */
export class ImapRefused extends Error {
  constructor(readonly status: string, readonly code: string | undefined, readonly text: string, command: string) {
    super(`${command}: ${status}${code ? ` [${code}]` : ""} ${text}`);
  }

  /** RFC 5530: UNAVAILABLE, INUSE and LIMIT are the server's trouble, to retry later. */
  get serversTrouble(): boolean {
    return ["UNAVAILABLE", "INUSE", "LIMIT"].includes(this.code ?? "");
  }
}

export class ImapClient {
  capabilities = new Set<string>();
  /** Untagged responses as they arrive (EXISTS during IDLE or any command). */
  onUntagged: (r: Response) => void = () => {};
  private tags = 0;
  private bye?: string;

  private constructor(private wire: Wire, readonly host: string, private timeoutMs: number) {}

  /** Connects, reads the greeting, upgrades with STARTTLS when asked and logs in. */
  static async connect(io: Pick<LinkIO, "connect">, server: ImapServer, opts: { timeoutMs?: number } = {}): Promise<ImapClient> {
    const wire = await Wire.open(io, server.host, server.port, server.security);
    const client = new ImapClient(wire, server.host, opts.timeoutMs ?? COMMAND_TIMEOUT_MS);
    try {
      await client.greeting();
      if (server.security === "starttls") await client.startTls();
      if (!client.capabilities.size) await client.capability();
      await client.login(server.user, server.password);
      return client;
    } catch (e) {
      await wire.close();
      throw transport(e, server.host);
    }
  }

  private async greeting() {
    const stop = this.wire.watch(this.timeoutMs);
    try {
      const r = await readResponse(this.wire);
      if (r.kind !== "status" || r.status === "BYE" || r.status === "NO" || r.status === "BAD") throw new RemoteError("transient", `${this.host} turned the connection away: ${r.kind === "status" ? r.text : "no greeting"}`);
      this.noteCapabilities(r);
    } finally {
      stop();
    }
  }

  private async startTls() {
    if (!this.capabilities.size) await this.capability();
    if (!this.capabilities.has("STARTTLS")) throw new RemoteError("permanent", `${this.host} does not offer STARTTLS; choose TLS or plain`);
    await this.command("STARTTLS");
    await this.wire.startTls();
    this.capabilities.clear(); // RFC 3501 §6.2.1: what was said before TLS no longer counts
    await this.capability();
  }

  async capability() {
    await this.command("CAPABILITY");
  }

  private async login(user: string, password: string) {
    if (this.capabilities.has("LOGINDISABLED")) throw new RemoteError("permanent", `${this.host} refuses to log in without TLS; choose TLS or STARTTLS`);
    try {
      await this.command("LOGIN ", astring(user), " ", astring(password));
    } catch (e) {
      if (!(e instanceof ImapRefused)) throw e;
      if (e.serversTrouble) throw new RemoteError("transient", `${this.host} cannot log in now: ${e.text}`);
      throw new RemoteError("auth", `${this.host} refused the login: ${e.text || e.status}`);
    }
    // Servers may announce new capabilities in LOGIN's OK; others must be asked again.
    if (!this.capabilities.has("IMAP4REV1") && !this.capabilities.has("IMAP4REV2")) await this.capability();
  }

  private noteCapabilities(r: Response) {
    if (r.kind === "data" && r.name === "CAPABILITY") this.capabilities = new Set(r.values.filter((v) => typeof v === "string").map((v) => v.toUpperCase()));
    if ((r.kind === "status" || r.kind === "tagged") && r.code?.name === "CAPABILITY") this.capabilities = new Set(r.code.text.toUpperCase().split(" ").filter(Boolean));
  }

  private note(r: Response, into: Response[]) {
    if (r.kind === "status" && r.status === "BYE") this.bye = r.text;
    this.noteCapabilities(r);
    into.push(r);
    this.onUntagged(r);
  }

  /** Runs one command; throws ImapRefused on NO/BAD and WireClosed when the connection ends. */
  async command(...pieces: Piece[]): Promise<Done> {
    const tag = `U${++this.tags}`;
    const name = typeof pieces[0] === "string" ? pieces[0].trim().split(" ").slice(0, 2).join(" ") : "command";
    const untagged: Response[] = [];
    const stop = this.wire.watch(this.timeoutMs);
    try {
      let text = `${tag} `;
      for (const piece of pieces) {
        if (typeof piece === "string") {
          text += piece;
          continue;
        }
        await this.wire.write(`${text}{${piece.length}}\r\n`);
        const go = await this.until(tag, untagged, true);
        if (go.kind === "tagged") return this.finish(go, untagged, name);
        await this.wire.write(piece);
        text = "";
      }
      await this.wire.write(`${text}\r\n`);
      return this.finish((await this.until(tag, untagged, false)) as Done["tagged"], untagged, name);
    } catch (e) {
      throw this.why(e);
    } finally {
      stop();
    }
  }

  /** A connection that ended after a BYE ended for the reason the BYE gave. */
  private why(e: unknown): unknown {
    return this.bye && e instanceof WireClosed ? new WireClosed(`${this.host} ended the session: ${this.bye}`) : e;
  }

  private finish(tagged: Done["tagged"], untagged: Response[], name: string): Done {
    this.noteCapabilities(tagged);
    if (tagged.status !== "OK") throw new ImapRefused(tagged.status, tagged.code?.name, tagged.text, name);
    return { tagged, untagged };
  }

  /** Reads until our tagged completion, or (when `orContinue`) a continuation request. */
  private async until(tag: string, untagged: Response[], orContinue: boolean): Promise<Response> {
    for (;;) {
      const r = await readResponse(this.wire);
      if (r.kind === "tagged" && r.tag === tag) return r;
      if (r.kind === "continue" && orContinue) return r;
      if (r.kind !== "tagged" && r.kind !== "continue") this.note(r, untagged);
    }
  }

  /**
   * IDLE (RFC 2177): returns once the server accepted it. While idling, untagged responses
   * go to `onUntagged`. `done()` sends DONE and resolves at the tagged OK; `ended` resolves
   * with the reason if the connection goes away first.
   */
  async idle(): Promise<{ done(): Promise<void>; ended: Promise<string> }> {
    const tag = `U${++this.tags}`;
    const untagged: Response[] = [];
    const stop = this.wire.watch(this.timeoutMs);
    await this.wire.write(`${tag} IDLE\r\n`);
    const go = await this.until(tag, untagged, true).finally(stop);
    if (go.kind === "tagged") this.finish(go, untagged, "IDLE");
    let over = false;
    const finished = this.until(tag, untagged, false).finally(() => (over = true));
    const ended = finished.then(
      () => "",
      (e: Error) => (this.why(e) as Error).message,
    );
    return {
      ended,
      done: async () => {
        const stopDone = this.wire.watch(this.timeoutMs);
        try {
          if (!over) await this.wire.write("DONE\r\n");
          const tagged = (await finished) as Done["tagged"];
          this.finish(tagged, untagged, "IDLE");
        } catch (e) {
          throw this.why(e);
        } finally {
          stopDone();
        }
      },
    };
  }

  /** LOGOUT, then the connection closes; never throws (the session is over either way). */
  async logout(): Promise<void> {
    await this.command("LOGOUT").catch(() => {});
    await this.wire.close("logged out");
  }

  async close(why?: string): Promise<void> {
    await this.wire.close(why);
  }
}

/** A failure while connecting, as the RemoteError the connector throws. */
export function transport(e: unknown, host: string): RemoteError {
  if (e instanceof RemoteError) return e;
  if (e instanceof ImapRefused) return new RemoteError(e.serversTrouble ? "transient" : "permanent", `${host} refused ${e.message}`);
  return new RemoteError("transient", e instanceof Error ? e.message : `${host}: ${String(e)}`);
}
