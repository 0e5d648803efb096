// A protocol client that behaves like a phone: it keeps its last seq and an outbox of
// unaccepted sends, reconnects with backoff and jitter, resumes, and retries every send
// with the same id until `accepted`. It also checks the server's guarantees as it goes.
import WebSocket from "ws";
import type { HubEvent, ServerFrame } from "../../core/protocol";

type Send = { t: "send"; id: string; to: unknown; body: unknown };

export type Violation = { kind: "gap" | "duplicate" | "accepted-changed" | "error-frame"; detail: string };

export class ResilientClient {
  lastSeq = 0;
  readonly outbox = new Map<string, Send>();
  readonly accepted = new Map<string, string>(); // client id → msgId
  readonly received: { seq: number; ev: HubEvent }[] = [];
  readonly violations: Violation[] = [];
  connects = 0;
  private ws: WebSocket | null = null;
  private ready = false;
  private stopped = false;
  private backoff = 50;
  private onAccepted: (() => void)[] = [];
  private onEvent: (() => void)[] = [];
  private seenMsgIds = new Map<string, number>();

  constructor(
    private readonly base: string,
    private readonly token: string,
    readonly name: string,
  ) {}

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

  get isReady(): boolean {
    return this.ready;
  }

  send(frame: Send): void {
    this.outbox.set(frame.id, frame);
    if (this.ready) this.ws!.send(JSON.stringify(frame));
  }

  waitAccepted(count: number, timeoutMs: number): Promise<void> {
    return this.waitFor(() => this.accepted.size >= count, this.onAccepted, timeoutMs, () => `accepted ${this.accepted.size}/${count}`);
  }

  waitEvents(pred: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    return this.waitFor(pred, this.onEvent, timeoutMs, what);
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
        // Everything not yet accepted goes again, in order, with the same ids.
        for (const f of this.outbox.values()) ws.send(JSON.stringify(f));
        return;
      case "accepted": {
        const prior = this.accepted.get(frame.id);
        if (prior && prior !== frame.msgId) this.violations.push({ kind: "accepted-changed", detail: `${frame.id}: ${prior} then ${frame.msgId}` });
        this.accepted.set(frame.id, frame.msgId);
        this.outbox.delete(frame.id);
        for (const f of this.onAccepted.splice(0)) f();
        return;
      }
      case "error":
        // "internal" is retryable (the send stays in the outbox); anything else is a real refusal.
        if (frame.code !== "internal") this.violations.push({ kind: "error-frame", detail: `${frame.id ?? "-"} ${frame.code}: ${frame.message}` });
        return;
    }
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
    }
    ws.send(JSON.stringify({ t: "ack", seq }));
    for (const f of this.onEvent.splice(0)) f();
  }

  messages(): { conv: string; id: string; from: string; text: string }[] {
    return this.received.flatMap(({ ev }) =>
      ev.type === "message" && ev.msg.body.type === "text" ? [{ conv: ev.conv, id: ev.msg.id, from: ev.msg.from, text: ev.msg.body.text }] : [],
    );
  }
}
