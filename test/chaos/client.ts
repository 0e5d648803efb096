// A protocol client that behaves like a phone: it keeps its last seq and an outbox of
// unaccepted sends, reconnects with backoff and jitter, resumes, and retries every send
// with the same id until `accepted`. It also checks the server's guarantees as it goes.
//
// Given a group, it also holds that group's room socket (room-socket.ts), as the phone
// does: group sends go there when it is ready, else on the hub socket with the same id
// (the server makes them one message either way), and the group's messages may come by
// either socket, so what it shows is each message id once, where it first arrived.
import WebSocket from "ws";
import type { HubEvent, ServerFrame } from "../../core/protocol";
import { RoomSocket, type Violation } from "./room-socket";

type Send = { t: "send"; id: string; to: unknown; body: unknown };
type Path = "hub" | "room";

export type { Violation };

/**
 * A message as the phone keeps it: once per id, in the order it first arrived, with the
 * seqs it came with by either socket (a hub seq and a room seq are two counts).
 */
export type Shown = { conv: string; id: string; from: string; text: string; at: number; via: Path; hubSeq?: number; roomSeq?: number };

const isGroupSend = (f: Send) => typeof f.to === "object" && f.to !== null && "group" in f.to;

export class ResilientClient {
  lastSeq = 0;
  readonly outbox = new Map<string, Send>();
  readonly accepted = new Map<string, string>(); // client id → msgId
  /** Events of the hub socket, in hub seq order. */
  readonly received: { seq: number; ev: HubEvent }[] = [];
  readonly violations: Violation[] = [];
  connects = 0;
  readonly room?: RoomSocket;
  /** The room seq of every message the room socket brought. */
  readonly roomSeqOf = new Map<string, number>();
  /** Sends that went out on both sockets before their `accepted`. */
  crossPath = 0;
  private paths = new Map<string, Set<Path>>();
  private shown: Shown[] = [];
  private shownById = new Map<string, Shown>();
  private ws: WebSocket | null = null;
  private ready = false;
  private stopped = false;
  private backoff = 50;
  private acceptWaiters: (() => void)[] = [];
  private eventWaiters: (() => void)[] = [];
  private seenMsgIds = new Map<string, number>();

  constructor(
    private readonly base: string,
    private readonly token: string,
    readonly name: string,
    opts: { group?: string } = {},
  ) {
    if (!opts.group) return;
    this.room = new RoomSocket(base, token, opts.group, name, {
      entry: (seq, ev) => this.onRoomEntry(seq, ev),
      ready: () => this.resend((f) => isGroupSend(f)),
      // What the room socket had in flight goes again on the hub socket, same ids.
      closed: () => this.resend((f) => isGroupSend(f)),
      accepted: (frame) => this.onAccepted(frame),
      error: (frame) => this.onError(frame),
      violation: (v) => this.violations.push(v),
    });
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Abrupt cut, as a phone losing its network: no Close frame. */
  cut(): void {
    this.ws?.terminate();
  }

  /** The same for the room socket, independently of the hub's. */
  cutRoom(): void {
    this.room?.cut();
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close();
    this.room?.stop();
  }

  get isReady(): boolean {
    return this.ready;
  }

  send(frame: Send): void {
    this.outbox.set(frame.id, frame);
    this.transmit(frame);
  }

  /** A group send goes on the room socket when it is ready, anything else (or then) on the hub's. */
  private transmit(frame: Send): void {
    const path: Path | null = isGroupSend(frame) && this.room?.isReady ? "room" : this.ready ? "hub" : null;
    if (!path) return;
    if (path === "room") this.room!.send(frame);
    else this.ws!.send(JSON.stringify(frame));
    const paths = this.paths.get(frame.id) ?? new Set();
    this.paths.set(frame.id, paths.add(path));
  }

  /** Everything not yet accepted (of those) goes again, in order, with the same ids. */
  private resend(which: (f: Send) => boolean): void {
    for (const f of this.outbox.values()) if (which(f)) this.transmit(f);
  }

  waitAccepted(count: number, timeoutMs: number): Promise<void> {
    return this.waitFor(() => this.accepted.size >= count, this.acceptWaiters, timeoutMs, () => `accepted ${this.accepted.size}/${count}`);
  }

  waitEvents(pred: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    return this.waitFor(pred, this.eventWaiters, timeoutMs, what);
  }

  private waitFor(pred: () => boolean, list: (() => void)[], timeoutMs: number, what: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (pred()) return resolve();
      const timer = setTimeout(() => reject(new Error(`${this.name}: timed out: ${what()}`)), timeoutMs);
      const check = () => {
        if (!pred()) return list.push(check);
        clearTimeout(timer);
        resolve();
      };
      list.push(check);
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(`${this.base.replace(/^http/, "ws")}/api/ws`, { headers: { Authorization: `Bearer ${this.token}` } });
    this.ws = ws;
    this.ready = false;
    ws.on("open", () => {
      this.connects++;
      ws.send(JSON.stringify({ t: "hello", resume: this.lastSeq, device: this.name }));
    });
    ws.on("message", (data) => this.onFrame(ws, data.toString()));
    ws.on("error", () => {}); // close follows
    ws.on("close", () => {
      if (this.ws !== ws) return;
      this.ready = false;
      if (this.stopped) return;
      // What the hub socket had in flight for the group goes again on the room socket, if it is ready.
      this.resend((f) => isGroupSend(f));
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
        return this.onEv(ws, frame.seq, frame.ev);
      case "ready":
        this.ready = true;
        this.backoff = 50;
        // The room socket's first hello is `fresh` ("what your hub does not hold yet"), so it
        // opens once this device holds what the hub does, as a phone opens it after its sync.
        if (this.room && !this.room.started) this.room.start();
        // Group sends stay with the room socket while it is ready.
        return this.resend((f) => !(isGroupSend(f) && this.room?.isReady));
      case "accepted":
        return this.onAccepted(frame);
      case "error":
        return this.onError(frame);
    }
  }

  private onAccepted(frame: Extract<ServerFrame, { t: "accepted" }>): void {
    const prior = this.accepted.get(frame.id);
    if (prior && prior !== frame.msgId) this.violations.push({ kind: "accepted-changed", detail: `${frame.id}: ${prior} then ${frame.msgId}` });
    this.accepted.set(frame.id, frame.msgId);
    if (this.outbox.delete(frame.id) && this.paths.get(frame.id)?.size === 2) this.crossPath++;
    this.paths.delete(frame.id);
    for (const f of this.acceptWaiters.splice(0)) f();
  }

  private onError(frame: Extract<ServerFrame, { t: "error" }>): void {
    // "internal" is retryable (the send stays in the outbox); anything else is a real refusal.
    if (frame.code !== "internal") this.violations.push({ kind: "error-frame", detail: `${frame.id ?? "-"} ${frame.code}: ${frame.message}` });
  }

  private onEv(ws: WebSocket, seq: number, ev: HubEvent): void {
    if (seq <= this.lastSeq) return; // already stored: a replay after a lost ack
    if (seq !== this.lastSeq + 1) this.violations.push({ kind: "gap", detail: `${this.name}: got seq ${seq} after ${this.lastSeq}` });
    this.lastSeq = seq;
    this.received.push({ seq, ev });
    if (ev.type === "message") {
      const prior = this.seenMsgIds.get(ev.msg.id);
      if (prior !== undefined) this.violations.push({ kind: "duplicate", detail: `${this.name}: ${ev.msg.id} at seq ${prior} and ${seq}` });
      this.seenMsgIds.set(ev.msg.id, seq);
      this.show(ev, "hub", seq);
    }
    ws.send(JSON.stringify({ t: "ack", seq }));
    for (const f of this.eventWaiters.splice(0)) f();
  }

  private onRoomEntry(seq: number, ev: HubEvent): void {
    if (ev.type === "message") {
      // One entry, one seq: the same message under a second seq is the room's log holding it twice.
      const prior = this.roomSeqOf.get(ev.msg.id);
      if (prior !== undefined && prior !== seq) this.violations.push({ kind: "duplicate", detail: `${this.name}: ${ev.msg.id} at room seq ${prior} and ${seq}` });
      this.roomSeqOf.set(ev.msg.id, seq);
      this.show(ev, "room", seq);
    }
    for (const f of this.eventWaiters.splice(0)) f();
  }

  /** As the phone shows it: a message id it already shows is dropped, by whichever socket it came again. */
  private show(ev: Extract<HubEvent, { type: "message" }>, via: Path, seq: number): void {
    if (ev.msg.body.type !== "text") return;
    const known = this.shownById.get(ev.msg.id);
    if (known) {
      known[via === "hub" ? "hubSeq" : "roomSeq"] ??= seq;
      return;
    }
    const m: Shown = { conv: ev.conv, id: ev.msg.id, from: ev.msg.from, text: ev.msg.body.text, at: ev.msg.at, via, [via === "hub" ? "hubSeq" : "roomSeq"]: seq };
    this.shownById.set(m.id, m);
    this.shown.push(m);
  }

  /** What this device shows, in the order it showed it. */
  messages(): Shown[] {
    return this.shown;
  }
}
