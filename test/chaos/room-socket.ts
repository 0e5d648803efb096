// A group member's socket to the group's room (GET /api/groups/:id/ws), as a phone holds
// one per active group: one cursor in room seqs, `hello {resume}` (or `{fresh}` before it
// has one), an ack per entry, reconnects with backoff and jitter. It checks what only it
// can see: the room never sends an entry again on a socket that already has it.
import WebSocket from "ws";
import type { HubEvent, ServerFrame } from "../../core/protocol";

/** What the chaos client and its room sockets report (declared here, the leaf, so the two do not import each other). */
export type Violation = {
  kind: "lost" | "gap" | "duplicate" | "accepted-changed" | "error-frame" | "room-closed" | "reset" | "reorder" | "thread-order" | "unknown-entry";
  detail: string;
};

type Accepted = Extract<ServerFrame, { t: "accepted" }>;
type ErrorFrame = Extract<ServerFrame, { t: "error" }>;

export type RoomHandlers = {
  entry(seq: number, ev: HubEvent): void;
  ready(): void;
  closed(): void;
  accepted(frame: Accepted): void;
  error(frame: ErrorFrame): void;
  violation(v: Violation): void;
};

/** Closes after which a device does not redial (docs/protocol.md, room socket). */
const FINAL_CLOSES = new Map([
  [4001, "signed out"],
  [4004, "left the group"],
  [4010, "group ended"],
]);

export class RoomSocket {
  /** The newest room seq this device stored; null until the first `ready` or entry (then `hello {fresh}`). */
  cursor: number | null = null;
  connects = 0;
  /** Hellos without a cursor: more than one means a socket died before its first `ready` or entry. */
  freshHellos = 0;
  /** The server has no room route (404 on the upgrade): the member stays on its hub socket. */
  unavailable = false;
  private ws: WebSocket | null = null;
  private ready = false;
  private stopped = false;
  private backoff = 50;
  /** What this connection's `hello` resumed from (-1: fresh), the seqs it brought, the newest. */
  private resumedFrom = -1;
  private seqsHere = new Set<number>();
  private newestHere = -1;

  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly group: string,
    private readonly name: string,
    private readonly on: RoomHandlers,
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  get started(): boolean {
    return this.ws !== null;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Abrupt cut, as a phone losing its network: no Close frame. */
  cut(): void {
    this.ws?.terminate();
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close();
  }

  send(frame: unknown): void {
    if (this.ready) this.ws!.send(JSON.stringify(frame));
  }

  private connect(): void {
    if (this.stopped || this.unavailable) return;
    const url = `${this.base.replace(/^http/, "ws")}/api/groups/${encodeURIComponent(this.group)}/ws`;
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${this.token}` } });
    this.ws = ws;
    this.ready = false;
    ws.on("open", () => {
      this.connects++;
      this.resumedFrom = this.cursor ?? -1;
      this.seqsHere = new Set();
      this.newestHere = this.resumedFrom;
      if (this.cursor === null) this.freshHellos++;
      ws.send(JSON.stringify(this.cursor === null ? { t: "hello", fresh: true } : { t: "hello", resume: this.cursor }));
    });
    ws.on("message", (data) => this.onFrame(ws, data.toString()));
    // ws reports a refused upgrade as an error ("Unexpected server response: 404"); close follows.
    ws.on("error", (err) => {
      if (/Unexpected server response: 404\b/.test(err.message)) this.unavailable = true;
    });
    ws.on("close", (code) => {
      if (this.ws !== ws) return;
      const wasReady = this.ready;
      this.ready = false;
      if (wasReady) this.on.closed();
      const final = FINAL_CLOSES.get(code);
      if (final) {
        this.on.violation({ kind: "room-closed", detail: `${this.name}: room socket closed ${code} ${final}` });
        this.stopped = true;
      }
      if (this.stopped || this.unavailable) return;
      const delay = this.backoff * (0.5 + Math.random());
      this.backoff = Math.min(this.backoff * 2, 1000);
      setTimeout(() => this.connect(), delay);
    });
  }

  private onFrame(ws: WebSocket, text: string): void {
    if (text === "pong") return;
    const frame = JSON.parse(text) as ServerFrame;
    switch (frame.t) {
      case "ev":
        return this.onEntry(ws, frame.seq, frame.ev);
      case "ready":
        if (frame.reset) this.on.violation({ kind: "reset", detail: `${this.name}: room answered resume ${this.cursor} with reset (head ${frame.head})` });
        this.cursor = Math.max(this.cursor ?? 0, frame.head);
        this.ready = true;
        this.backoff = 50;
        return this.on.ready();
      case "accepted":
        return this.on.accepted(frame);
      case "error":
        return this.on.error(frame);
    }
  }

  private onEntry(ws: WebSocket, seq: number, ev: HubEvent): void {
    // On one socket the room's seqs rise from what its hello resumed from. An entry at or
    // below that, or one this socket brought already, is the server sending it twice; one
    // below the newest it brought is out of the room's order.
    if (seq <= this.resumedFrom || this.seqsHere.has(seq)) {
      this.on.violation({ kind: "duplicate", detail: `${this.name}: room ev seq ${seq} again on a socket that resumed from ${this.resumedFrom}` });
      return;
    }
    if (seq < this.newestHere) this.on.violation({ kind: "reorder", detail: `${this.name}: room ev seq ${seq} after ${this.newestHere} on one socket` });
    this.seqsHere.add(seq);
    this.newestHere = Math.max(this.newestHere, seq);
    this.cursor = Math.max(this.cursor ?? 0, seq);
    this.on.entry(seq, ev);
    ws.send(JSON.stringify({ t: "ack", seq }));
  }
}

/**
 * The room's own order for one member, read after the run on a socket of its own
 * (`hello {resume: 0}` replays every entry the member may see): message id → room seq.
 * Null when the server has no room route; what came before a reset when it resets.
 */
export function readRoomLog(base: string, token: string, group: string): Promise<Map<string, number> | null> {
  const url = `${base.replace(/^http/, "ws")}/api/groups/${encodeURIComponent(group)}/ws`;
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
  const seqs = new Map<string, number>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`room log of ${group}: no ready after 60 s`));
    }, 60_000);
    const done = (result: Map<string, number> | null) => {
      clearTimeout(timer);
      ws.close();
      resolve(result);
    };
    ws.on("open", () => ws.send(JSON.stringify({ t: "hello", resume: 0 })));
    ws.on("error", (err) => {
      if (/Unexpected server response: 404\b/.test(err.message)) done(null);
      else {
        clearTimeout(timer);
        reject(err);
      }
    });
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if (frame.t === "ev" && frame.ev.type === "message") seqs.set(frame.ev.msg.id, frame.seq);
      if (frame.t === "ready") done(seqs);
    });
  });
}
