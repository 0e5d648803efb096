// One IRC connection on io.connect: lines in and out, registration (register.ts), PING
// answered, flood control on what we send (bucket.ts), and a keepalive of our own: a
// server that says nothing for a while gets a PING, and one that stays silent after it is
// gone even though the socket never said so.
import { type LinkIO, RemoteError, type TcpSocket } from "../types";
import { TokenBucket } from "./bucket";
import { decodeLine, formatLine, type Line, parseLine } from "./lines";
import { type RegisterOptions, Registration, type Welcome } from "./register";

export type Ended = { reason: string; kind: RemoteError["kind"] };

export type ConnectionOptions = RegisterOptions & {
  host: string;
  port: number;
  tls: boolean;
  /** Ping the server after this much silence (ms); give up after as long again. */
  pingMs: number;
  flood: { burst: number; everyMs: number };
};

const REGISTER_TIMEOUT_MS = 30_000;
/** After 001, how long to wait for the end of the MOTD (ISUPPORT comes before it). */
const MOTD_WAIT_MS = 5_000;
const CLOSE_WAIT_MS = 2_000;
/** Longer than any line a server may send (512 plus 8191 bytes of tags). */
const MAX_LINE_BYTES = 8_704;

export class IrcConnection {
  /** Lines after registration. */
  onLine: (line: Line) => void = () => {};
  readonly ended: Promise<Ended>;
  private resolveEnded!: (e: Ended) => void;
  private finished?: Ended;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private bucket: TokenBucket;
  private lastHeard = Date.now();
  private pinged = false;
  private keepalive?: ReturnType<typeof setInterval>;
  private registering?: (line: Line) => void;
  /** What the server's ERROR line said (RFC 2812 §3.7.4), for the reason the session ended. */
  private serverError?: string;

  private constructor(private socket: TcpSocket, private o: ConnectionOptions) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.writer = socket.writable.getWriter();
    this.bucket = new TokenBucket(o.flood.burst, o.flood.everyMs);
  }

  /** Connects and registers; throws RemoteError (auth for a refused password or SASL login). */
  static async open(io: LinkIO, o: ConnectionOptions): Promise<{ conn: IrcConnection; welcome: Welcome }> {
    const socket = io.connect(o.host, o.port, o.tls ? "on" : "off");
    try {
      await socket.opened;
    } catch (e) {
      throw new RemoteError("transient", `cannot reach ${o.host}:${o.port}: ${(e as Error).message}`);
    }
    const conn = new IrcConnection(socket, o);
    void conn.read();
    try {
      const welcome = await conn.register(new Registration(o));
      conn.startKeepalive();
      return { conn, welcome };
    } catch (e) {
      conn.end({ reason: "registration failed", kind: "transient" });
      throw e;
    }
  }

  get isOpen(): boolean {
    return !this.finished;
  }

  /** Sends one line; `urgent` lines (PONG, QUIT, our keepalive) skip the flood queue. */
  async send(line: string, urgent = false): Promise<void> {
    if (!urgent) await this.bucket.take();
    if (this.finished) throw new RemoteError("transient", `the IRC connection is closed: ${this.finished.reason}`);
    await this.writer.write(new TextEncoder().encode(`${line}\r\n`));
  }

  /** QUIT (RFC 2812 §3.1.7), then the socket, whether or not the server answered. */
  async close(message = "Unibox: offline"): Promise<void> {
    if (this.finished) return;
    await this.send(formatLine("QUIT", message), true).catch(() => {});
    await Promise.race([this.ended, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS))]);
    this.end({ reason: "closed", kind: "transient" });
  }

  end(e: Ended): void {
    if (this.finished) return;
    this.finished = e;
    clearInterval(this.keepalive);
    this.bucket.release();
    this.socket.close().catch(() => {});
    this.resolveEnded(e);
  }

  private register(reg: Registration): Promise<Welcome> {
    return new Promise<Welcome>((resolve, reject) => {
      let motdTimer: ReturnType<typeof setTimeout> | undefined;
      const finish = (f: () => void) => {
        clearTimeout(timer);
        clearTimeout(motdTimer);
        this.registering = undefined;
        f();
      };
      const timer = setTimeout(() => finish(() => reject(new RemoteError("transient", "the server did not finish registration in time"))), REGISTER_TIMEOUT_MS);
      void this.ended.then((e) => finish(() => reject(new RemoteError(e.kind, `the connection closed during registration: ${e.reason}`))));
      this.registering = (line) => {
        const step = reg.feed(line);
        for (const out of step.send) void this.send(out, true).catch(() => {});
        if (step.fail) {
          const fail = step.fail;
          return finish(() => reject(fail));
        }
        if (step.done) return finish(() => resolve(step.done!));
        if (line.command === "001" && !motdTimer) motdTimer = setTimeout(() => finish(() => resolve(reg.welcomeIfRegistered()!)), MOTD_WAIT_MS);
      };
      for (const out of reg.start()) void this.send(out, true).catch(() => {});
    });
  }

  private async read(): Promise<void> {
    const reader = this.socket.readable.getReader();
    let buffer: Uint8Array = new Uint8Array(0);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = concat(buffer, value);
        for (let nl = buffer.indexOf(10); nl >= 0; nl = buffer.indexOf(10)) {
          const bytes = buffer.subarray(0, nl);
          buffer = buffer.slice(nl + 1);
          if (bytes.length <= MAX_LINE_BYTES) this.onBytes(bytes);
        }
        if (buffer.length > MAX_LINE_BYTES) buffer = new Uint8Array(0); // a line with no end: drop it
      }
      this.end({ reason: `the server closed the connection${this.serverError ? `: ${this.serverError}` : ""}`, kind: "transient" });
    } catch (e) {
      this.end({ reason: `the connection failed: ${(e as Error).message}`, kind: "transient" });
    }
  }

  private onBytes(bytes: Uint8Array): void {
    this.lastHeard = Date.now();
    this.pinged = false;
    const line = parseLine(decodeLine(bytes));
    if (!line) return;
    if (line.command === "ERROR") this.serverError = line.params.at(-1) ?? "ERROR";
    if (this.registering) return this.registering(line);
    if (line.command === "PING") return void this.send(formatLine("PONG", line.params.at(-1) ?? ""), true).catch(() => {});
    this.onLine(line);
  }

  private startKeepalive(): void {
    const pingMs = this.o.pingMs;
    this.keepalive = setInterval(() => {
      const quiet = Date.now() - this.lastHeard;
      if (quiet >= 2 * pingMs) return this.end({ reason: "the server stopped answering", kind: "transient" });
      if (quiet >= pingMs && !this.pinged) {
        this.pinged = true;
        void this.send(formatLine("PING", "unibox-keepalive"), true).catch(() => {});
      }
    }, Math.max(250, pingMs / 4));
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
