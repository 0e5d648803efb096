import type { ServerFrame } from "../../core/protocol";

/** Per-socket state, kept in the socket attachment so it survives hibernation (≤ 16 KB). */
export type Attachment = {
  device: string;
  connectedAt: number;
  ready: boolean;
  /** Last frame from this socket (pings are read from the runtime's auto-response time). */
  activeAt: number;
  /** The session it was opened with (SHA-256 of the token) and when that session ends. */
  session?: string;
  expiresAt?: number;
};

// Read on every frame and for every socket on every event: kept per socket object as well.
// After hibernation the objects are new, so the cache starts empty and reads it back.
// Any object's sockets (the hub's, a group room's): `A` is that object's attachment type.
const attachments = new WeakMap<WebSocket, unknown>();

export function attachmentOf<A = Attachment>(ws: WebSocket): A {
  let a = attachments.get(ws);
  if (a === undefined) attachments.set(ws, (a = ws.deserializeAttachment() as unknown));
  return a as A;
}

/** The only way to change a socket's attachment: stored with the socket and remembered here. */
export function setAttachment<A = Attachment>(ws: WebSocket, a: A): void {
  ws.serializeAttachment(a);
  attachments.set(ws, a);
}

export const isReady = (ws: WebSocket): boolean => (attachmentOf(ws) as Attachment | null)?.ready === true;

export function send(ws: WebSocket, frame: ServerFrame): void {
  trySend(ws, JSON.stringify(frame));
}

export function trySend(ws: WebSocket, data: string): void {
  try {
    ws.send(data);
  } catch {
    // The socket closed under us; its close handler does the bookkeeping.
  }
}

export function tryClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closing.
  }
}
