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

export const attachmentOf = (ws: WebSocket): Attachment => ws.deserializeAttachment() as Attachment;

export const isReady = (ws: WebSocket): boolean => (ws.deserializeAttachment() as Attachment | null)?.ready === true;

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
