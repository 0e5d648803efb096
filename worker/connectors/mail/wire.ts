// A TCP connection as IMAP and SMTP use it: lines ending in CRLF, counted bytes (IMAP
// literals), STARTTLS, and a watchdog that gives up on a server that stops answering.
// Opened through io.connect only, so the host guard sees every connection.
import { type LinkIO, RemoteError, type TcpSocket } from "../types";

export type Security = "tls" | "starttls" | "plain";

/** The connection ended (closed by the server, reset, timed out, or closed by us). */
export class WireClosed extends Error {}

const CONNECT_TIMEOUT_MS = 15_000;
/** Longest line taken: IMAP SEARCH answers list every UID on one line. */
const MAX_LINE = 8 * 1024 * 1024;
const encoder = new TextEncoder();

export class Wire {
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private why?: string;
  /** When bytes last came in (or a watch began): what the watchdog measures. */
  private lastActivity = Date.now();

  private constructor(private socket: TcpSocket, readonly label: string) {
    this.reader = socket.readable.getReader();
    this.writer = socket.writable.getWriter();
  }

  /** Throws RemoteError: "permanent" when the host guard refuses, "transient" when unreachable. */
  static async open(io: Pick<LinkIO, "connect">, host: string, port: number, security: Security): Promise<Wire> {
    const socket = io.connect(host, port, security === "tls" ? "on" : security === "starttls" ? "starttls" : "off");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), CONNECT_TIMEOUT_MS)));
    try {
      await Promise.race([socket.opened, late]);
    } catch (e) {
      void socket.close().catch(() => {});
      throw new RemoteError("transient", `cannot reach ${host}:${port} (${(e as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    return new Wire(socket, `${host}:${port}`);
  }

  private async fill(): Promise<void> {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await this.reader.read();
    } catch (e) {
      throw new WireClosed(this.why ?? `${this.label} broke the connection (${(e as Error).message})`);
    }
    if (result.done) throw new WireClosed(this.why ?? `${this.label} closed the connection`);
    this.chunk = result.value;
    this.pos = 0;
    this.lastActivity = Date.now();
  }

  /** The next line without its CRLF (a bare LF is taken too). */
  async readLine(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (;;) {
      if (this.pos >= this.chunk.length) await this.fill();
      const lf = this.chunk.indexOf(10, this.pos);
      const end = lf < 0 ? this.chunk.length : lf;
      parts.push(this.chunk.subarray(this.pos, end));
      length += end - this.pos;
      this.pos = lf < 0 ? end : lf + 1;
      if (lf >= 0) break;
      if (length > MAX_LINE) throw this.fail(`${this.label} sent a line over ${MAX_LINE} bytes`);
    }
    const line = concat(parts, length);
    return line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
  }

  /** Exactly `n` bytes. */
  async readBytes(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    for (let got = 0; got < n; ) {
      if (this.pos >= this.chunk.length) await this.fill();
      const take = Math.min(n - got, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + take), got);
      this.pos += take;
      got += take;
    }
    return out;
  }

  async write(data: string | Uint8Array): Promise<void> {
    try {
      await this.writer.write(typeof data === "string" ? encoder.encode(data) : data);
    } catch (e) {
      throw new WireClosed(this.why ?? `${this.label} broke the connection (${(e as Error).message})`);
    }
  }

  /**
   * Upgrades to TLS after the server agreed (RFC 3207 §4, RFC 9051 §6.2.1). Bytes the
   * server sent after its answer and before the handshake would be read as if they came
   * over TLS (the STARTTLS command-injection attack), so any such bytes end the connection.
   */
  async startTls(): Promise<void> {
    if (this.pos < this.chunk.length) throw this.fail(`${this.label} sent data before the TLS handshake`);
    this.reader.releaseLock();
    this.writer.releaseLock();
    this.socket = this.socket.startTls();
    this.reader = this.socket.readable.getReader();
    this.writer = this.socket.writable.getWriter();
  }

  /** Closes the connection when nothing arrives for `limitMs`; call the result to stop watching. */
  watch(limitMs: number): () => void {
    this.lastActivity = Date.now();
    let timer: ReturnType<typeof setTimeout>;
    const check = () => {
      const quiet = Date.now() - this.lastActivity;
      if (quiet < limitMs) timer = setTimeout(check, limitMs - quiet);
      else void this.close(`${this.label} did not answer for ${Math.round(limitMs / 1000)} s`);
    };
    timer = setTimeout(check, limitMs);
    return () => clearTimeout(timer);
  }

  private fail(why: string): WireClosed {
    void this.close(why);
    return new WireClosed(why);
  }

  /** Ends the connection; a read waiting on it fails with `why`. */
  async close(why = "closed"): Promise<void> {
    this.why ??= why;
    await this.reader.cancel().catch(() => {});
    await this.socket.close().catch(() => {});
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
