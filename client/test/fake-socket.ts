// A WebSocket stand-in the tests drive by hand: what the client sent, and server frames on demand.
import type { ServerFrame } from "../src/state/types";

export class FakeSocket {
  static all: FakeSocket[] = [];
  static get last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1]!;
  }
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(data);
  }
  close(): void {
    this.closed = true;
    this.readyState = 3;
  }
  // ---- server side ----
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  deliver(frame: ServerFrame | "pong"): void {
    this.onmessage?.({ data: frame === "pong" ? "pong" : JSON.stringify(frame) });
  }
  /** The link goes: 1006 (abnormal) unless the hub closes with its own code. */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  frames(): Record<string, unknown>[] {
    return this.sent.filter((s) => s !== "ping").map((s) => JSON.parse(s));
  }
}
