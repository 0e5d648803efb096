// The WebSocket under an XMPP session (RFC 7395): each text frame one element, parsed;
// frames queued for the negotiation that reads them one by one, then handed to a handler;
// a stream error or a closed socket ends it once, with a reason and a kind.
import { RemoteError } from "../types";
import { NS } from "./ns";
import { child, childrenOf, type Element, parseXml, textOf, type Xml } from "./xml";

export type Ended = { reason: string; kind: RemoteError["kind"] };

const FRAME_TIMEOUT_MS = 15_000;

/** A stream error (RFC 6120 §4.9.3) as the kind of trouble it is. */
export function streamError(el: Element): RemoteError {
  const condition = childrenOf(el).find((c) => c.ns === NS.streamErrors && c.name !== "text")?.name ?? "undefined-condition";
  const text = textOf(child(el, "text", NS.streamErrors));
  const kind = condition === "not-authorized" ? "auth" : PERMANENT_STREAM_ERRORS.has(condition) ? "permanent" : "transient";
  return new RemoteError(kind, `the server ended the stream (${condition})${text ? `: ${text}` : ""}`);
}

const PERMANENT_STREAM_ERRORS = new Set(["host-unknown", "improper-addressing", "invalid-namespace", "bad-format", "restricted-xml", "unsupported-version", "unsupported-encoding", "invalid-from"]);

/** The WebSocket: frames in (queued for negotiation, then handed to a handler), frames out, one end. */
export class Wire {
  private queue: Element[] = [];
  private waiter?: { resolve(el: Element): void; reject(e: Error): void };
  private handler?: (el: Element) => void;
  private finished?: Ended;
  private resolveEnded!: (e: Ended) => void;
  readonly ended = new Promise<Ended>((resolve) => (this.resolveEnded = resolve));
  lastHeard = Date.now();

  constructor(private ws: WebSocket) {
    ws.addEventListener("message", (ev) => this.onMessage(ev.data));
    ws.addEventListener("close", (ev) => this.end({ reason: `the connection closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ""})`, kind: "transient" }));
    ws.addEventListener("error", () => this.end({ reason: "the connection failed", kind: "transient" }));
  }

  get isOpen(): boolean {
    return !this.finished;
  }

  send(xml: Xml | string): void {
    if (this.finished) throw new RemoteError("transient", `the XMPP connection is closed: ${this.finished.reason}`);
    this.ws.send(xml.toString());
  }

  next(timeoutMs = FRAME_TIMEOUT_MS): Promise<Element> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.finished) return Promise.reject(new RemoteError(this.finished.kind, this.finished.reason));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new RemoteError("transient", "the server stopped answering")), timeoutMs);
      this.waiter = {
        resolve: (el) => (clearTimeout(timer), resolve(el)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  /** From now on every frame goes to `handler`, starting with any that are queued. */
  dispatch(handler: (el: Element) => void): void {
    this.handler = handler;
    for (const el of this.queue.splice(0)) handler(el);
  }

  end(e: Ended): void {
    if (this.finished) return;
    this.finished = e;
    this.waiter?.reject(new RemoteError(e.kind, e.reason));
    this.waiter = undefined;
    try {
      this.ws.close(1000);
    } catch {}
    this.resolveEnded(e);
  }

  private onMessage(data: unknown): void {
    this.lastHeard = Date.now();
    if (typeof data !== "string") return this.end({ reason: "the server sent a binary frame (RFC 7395 §3.2 allows text only)", kind: "transient" });
    let el: Element;
    try {
      el = parseXml(data);
    } catch (e) {
      return this.end({ reason: `the server sent XML that cannot be read (${(e as Error).message})`, kind: "transient" });
    }
    if (el.ns === NS.streams && el.name === "error") {
      const err = streamError(el);
      return this.end({ reason: err.message, kind: err.kind });
    }
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      return w.resolve(el);
    }
    if (this.handler) return this.handler(el);
    this.queue.push(el);
  }
}

