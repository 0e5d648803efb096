// The user's WebSockets (Hibernation API): accepting them, reading frames, replaying the
// log on `hello`, and closing the ones that went silent, outlived their session, or are
// one too many.
import type { ClientFrame } from "../../core/protocol";
import { type Parsed, parseFrame } from "../frames";
import { type Hub, Refused } from "./context";
import { type Attachment, attachmentOf, send, setAttachment, tryClose } from "./socket-io";

/** Sockets one user may hold at once; a new one closes the oldest. */
export const MAX_SOCKETS = 16;
/** A `hello` replays at most this many events; a device further behind is told to reload. */
export const MAX_REPLAY = 10_000;

/** Close codes (RFC 6455 §7.4.2 leaves 4000–4999 to applications). */
export const CLOSE = {
  silent: [1001, "no keepalive"],
  signedOut: [4001, "signed out"],
  tooMany: [4008, "too many connections: a newer one took this one's place"],
} as const;

export class Sockets {
  constructor(
    private hub: Hub,
    /** The last open socket went away (closed, errored or reaped). */
    private onLastGone: () => void,
  ) {
    hub.timers.register("reap", (now) => this.reap(now));
  }

  /** Accepts the socket the Worker hands over; the session it came with is in the headers. */
  accept(request: Request): Response {
    const now = Date.now();
    const expires = Number(request.headers.get("X-Unibox-Session-Expires") ?? 0);
    const attachment: Attachment = {
      device: "unknown",
      connectedAt: now,
      ready: false,
      activeAt: now,
      ...(request.headers.get("X-Unibox-Session") ? { session: request.headers.get("X-Unibox-Session")! } : {}),
      ...(expires > 0 ? { expiresAt: expires } : {}),
    };
    this.makeRoom();
    const { 0: client, 1: server } = new WebSocketPair();
    this.hub.ctx.acceptWebSocket(server);
    setAttachment(server, attachment);
    // While any socket is open, look in once per grace period for ones that went silent.
    this.hub.timers.set("reap", now + this.hub.graceMs());
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Parses a frame (frames.ts); any frame proves the socket alive. */
  parse(ws: WebSocket, message: string | ArrayBuffer): Parsed {
    this.touch(ws);
    return parseFrame(message);
  }

  /**
   * Replays every event after `resume`, then `ready`: nothing runs in between (all
   * synchronous). A fresh device resumes at the head, so it gets nothing but `ready`. A
   * device further behind than MAX_REPLAY, or behind the log's window (compacted away),
   * or ahead of the head (the server lost state) gets `ready {reset}` and reloads its
   * lists over HTTP instead.
   */
  hello(ws: WebSocket, frame: Extract<ClientFrame, { t: "hello" }>): void {
    const log = this.hub.store.log;
    const head = log.headSeq;
    const resume = frame.resume ?? (frame.fresh ? head : 0);
    const reset = resume > head || head - resume > MAX_REPLAY || resume < log.floor;
    if (!reset) for (const row of log.after(resume, MAX_REPLAY)) ws.send(`{"t":"ev","seq":${row.seq},"ev":${row.ev}}`);
    setAttachment(ws, { ...attachmentOf(ws), device: frame.device ?? "unknown", ready: true } satisfies Attachment);
    send(ws, reset ? { t: "ready", head, reset: true } : { t: "ready", head });
    this.hub.log("info", "socket.ready", { device: frame.device ?? "unknown", resume, head, reset });
  }

  /** Closes the sockets of these sessions (sign-out), or of every session but `except`. */
  endSessions(which: { only: string[] } | { except?: string }): number {
    let closed = 0;
    for (const ws of this.hub.ctx.getWebSockets()) {
      const session = attachmentOf(ws).session;
      const hit = "only" in which ? session !== undefined && which.only.includes(session) : session !== which.except;
      if (!hit) continue;
      tryClose(ws, ...CLOSE.signedOut);
      closed++;
    }
    if (closed > 0) this.gone();
    return closed;
  }

  /** A socket closed or errored. */
  gone(closing?: WebSocket): void {
    const live = this.hub.ctx.getWebSockets().filter((ws) => ws !== closing && ws.readyState === WebSocket.OPEN);
    if (live.length > 0) return;
    this.hub.timers.clear("reap");
    this.onLastGone();
  }

  /** Any frame proves the socket alive; written at most a few times per grace period. */
  private touch(ws: WebSocket): void {
    const a = attachmentOf(ws);
    const now = Date.now();
    if (now - a.activeAt > this.hub.graceMs() / 4) setAttachment(ws, { ...a, activeAt: now });
  }

  /**
   * A phone that vanished without a Close frame goes silent: no `ping` (answered by the
   * runtime, so only its timestamp tells) and no frames. Close it after the grace period.
   * A socket whose session has ended (expired, or signed out elsewhere) closes too.
   */
  private reap(now: number): void {
    for (const ws of this.hub.ctx.getWebSockets()) {
      const a = attachmentOf(ws);
      const lastPing = this.hub.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      if (a.expiresAt !== undefined && a.expiresAt <= now) tryClose(ws, ...CLOSE.signedOut);
      else if (now - Math.max(lastPing, a.activeAt) > this.hub.graceMs()) tryClose(ws, ...CLOSE.silent);
    }
    this.gone();
    if (this.hub.hasSocketsOpen()) this.hub.timers.set("reap", now + this.hub.graceMs());
  }

  /** At most MAX_SOCKETS per user: the oldest goes, with a reason a client can show. */
  private makeRoom(): void {
    const open = this.hub.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN);
    const excess = open.length - (MAX_SOCKETS - 1);
    if (excess <= 0) return;
    const oldest = open.sort((a, b) => attachmentOf(a).connectedAt - attachmentOf(b).connectedAt).slice(0, excess);
    for (const ws of oldest) tryClose(ws, ...CLOSE.tooMany);
  }
}
