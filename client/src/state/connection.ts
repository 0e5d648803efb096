// The one socket to the user's hub. It reconnects by itself (capped exponential backoff
// with full jitter), resumes from the stored cursor, keeps itself alive with the bare
// text "ping" and notices a dead link when the "pong" stops coming.
import { signal } from "@preact/signals";
import type { ClientFrame } from "../../../core/protocol";
import type { ServerFrame } from "./types";

/** offline: no network; connecting: dialling or waiting to redial; syncing: replaying after hello; online: ready. */
export type ConnectionState = "offline" | "connecting" | "syncing" | "online";
export const connection = signal<ConnectionState>("connecting");

export type SocketOptions = {
  url: string;
  /** The last seq this device has stored; read at every (re)connect. */
  resume: () => number | Promise<number>;
  device?: string;
  onFrame: (frame: ServerFrame) => void;
  /** The hub closed the socket because this session ended (signed out elsewhere, expired). */
  onSignedOut?: () => void;
  WebSocketImpl?: typeof WebSocket;
  random?: () => number;
};

export const TIMING = {
  backoffBaseMs: 500,
  backoffCapMs: 30_000,
  /** Well inside the hub's presence grace period, so a live phone never looks gone. */
  pingEveryMs: 25_000,
  /** No pong (or anything) this long after a ping: the link is dead even if the OS has not said so. */
  pongTimeoutMs: 10_000,
};

/** The hub's close code for a socket whose session ended (durable-objects/user-hub/sockets.ts). */
export const SIGNED_OUT = 4001;

let opts: SocketOptions | undefined;
let ws: WebSocket | undefined;
let attempt = 0;
let redialTimer: ReturnType<typeof setTimeout> | undefined;
let pingTimer: ReturnType<typeof setInterval> | undefined;
let pongDeadline: ReturnType<typeof setTimeout> | undefined;

const online = () => typeof navigator === "undefined" || navigator.onLine !== false;

export function startConnection(options: SocketOptions): void {
  stopConnection();
  opts = options;
  if (typeof window !== "undefined") {
    window.addEventListener("online", onNetworkBack);
    window.addEventListener("offline", onNetworkGone);
    document.addEventListener("visibilitychange", onVisible);
  }
  void dial();
}

export function stopConnection(): void {
  if (typeof window !== "undefined") {
    window.removeEventListener("online", onNetworkBack);
    window.removeEventListener("offline", onNetworkGone);
    document.removeEventListener("visibilitychange", onVisible);
  }
  opts = undefined;
  hangUp();
  clearTimeout(redialTimer);
  attempt = 0;
}

/** Sends a frame if the hub is ready for it; callers keep their own retry state (outbox, read marks). */
export function sendFrame(frame: ClientFrame): boolean {
  if (connection.value !== "online" && frame.t !== "ack") return false;
  if (!ws || ws.readyState !== 1) return false;
  ws.send(JSON.stringify(frame));
  return true;
}

/** The delay before redial number `n` (0-based): uniform in [0, min(cap, base·2ⁿ)]. */
export function backoffDelay(n: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(TIMING.backoffCapMs, TIMING.backoffBaseMs * 2 ** n));
}

async function dial(): Promise<void> {
  const o = opts;
  if (!o || ws) return;
  if (!online()) {
    connection.value = "offline";
    return;
  }
  connection.value = "connecting";
  const resume = await o.resume();
  if (opts !== o || ws) return;
  const Impl = o.WebSocketImpl ?? WebSocket;
  const socket = new Impl(o.url);
  ws = socket;
  socket.onopen = () => {
    connection.value = "syncing";
    // A device with nothing stored starts at the head; lists and history come over HTTP.
    socket.send(JSON.stringify({ t: "hello", ...(resume > 0 ? { resume } : { fresh: true }), ...(o.device ? { device: o.device } : {}) } satisfies ClientFrame));
    startKeepalive(socket);
  };
  socket.onmessage = (e: MessageEvent) => {
    if (ws !== socket) return;
    clearTimeout(pongDeadline);
    if (e.data === "pong") return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(e.data)) as ServerFrame;
    } catch {
      console.warn("unibox: ignoring a frame that is not JSON");
      return;
    }
    if (frame.t === "ready") {
      attempt = 0;
      connection.value = "online";
    }
    o.onFrame(frame);
  };
  socket.onclose = (e: CloseEvent) => {
    if (ws !== socket) return;
    hangUp();
    // 4001: the hub ended this session (a password change or "sign out other devices" on
    // another phone). Redialling would only be refused; the session check signs out here.
    if (e?.code === SIGNED_OUT) {
      o.onSignedOut?.();
      return;
    }
    scheduleRedial();
  };
  // An error is always followed by close; the close handler redials.
  socket.onerror = () => undefined;
}

function startKeepalive(socket: WebSocket): void {
  clearInterval(pingTimer);
  pingTimer = setInterval(() => {
    if (socket.readyState !== 1) return;
    // Must be the bare text: the hub's runtime answers it without waking the object.
    socket.send("ping");
    clearTimeout(pongDeadline);
    pongDeadline = setTimeout(() => {
      if (ws !== socket) return;
      hangUp();
      scheduleRedial();
    }, TIMING.pongTimeoutMs);
  }, TIMING.pingEveryMs);
}

function hangUp(): void {
  clearInterval(pingTimer);
  clearTimeout(pongDeadline);
  const socket = ws;
  ws = undefined;
  if (socket) {
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close();
    } catch {}
  }
  connection.value = online() ? "connecting" : "offline";
}

function scheduleRedial(): void {
  clearTimeout(redialTimer);
  if (!opts) return;
  if (!online()) {
    connection.value = "offline";
    return;
  }
  const delay = backoffDelay(attempt++, opts.random);
  redialTimer = setTimeout(() => void dial(), delay);
}

function onNetworkBack(): void {
  attempt = 0;
  clearTimeout(redialTimer);
  void dial();
}

/** The OS says the network is gone: drop the socket now instead of waiting for a timeout. */
function onNetworkGone(): void {
  clearTimeout(redialTimer);
  hangUp();
  connection.value = "offline";
}

/** A phone waking up: redial at once rather than waiting out a long backoff. */
function onVisible(): void {
  if (document.visibilityState !== "visible" || ws || !opts) return;
  attempt = 0;
  clearTimeout(redialTimer);
  void dial();
}
