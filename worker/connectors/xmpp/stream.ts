// One XMPP session over a WebSocket (RFC 7395): open the framing, authenticate (sasl.ts),
// restart, bind a resource (RFC 6120 §7), then carry stanzas both ways with IQ tracking and
// a keepalive. RFC 7395 §3.8 forbids whitespace keepalives, and a Worker cannot send
// WebSocket pings, so liveness is a XEP-0199 ping after a quiet spell: no answer in time
// means the server is gone even though the socket never said so.
import { type LinkIO, RemoteError } from "../types";
import { bare, type Jid } from "./jid";
import { NS } from "./ns";
import { authenticate, chooseMechanism, offeredMechanisms } from "./sasl";
import { type Ended, streamError, Wire } from "./wire";
import { child, childrenOf, type Element, stanza, textOf, x, type Xml } from "./xml";

export type { Ended };

export type StreamOptions = {
  url: string;
  jid: Jid;
  password: string;
  resource: string;
  /** Ping the server after this much silence (ms), and give up when the answer takes as long (at most 20 s). */
  pingMs: number;
};

/** An <iq type="error"/> answer, with its RFC 6120 §8.3 condition. */
export class StanzaError extends Error {
  constructor(readonly condition: string, text: string) {
    super(`${condition}${text ? `: ${text}` : ""}`);
  }
}

const IQ_TIMEOUT_MS = 30_000;
const CLOSE_WAIT_MS = 2_000;

/** Opens, authenticates and binds; follows one RFC 7395 §3.6.1 see-other-uri redirect. */
export async function openStream(io: LinkIO, o: StreamOptions): Promise<XmppStream> {
  try {
    return await attempt(io, o);
  } catch (e) {
    if (!(e instanceof Redirect)) throw e;
    io.log("xmpp.redirect", {});
    return attempt(io, { ...o, url: e.url });
  }
}

class Redirect extends Error {
  constructor(readonly url: string) {
    super("redirect");
  }
}

async function attempt(io: LinkIO, o: StreamOptions): Promise<XmppStream> {
  const url = new URL(o.url);
  if (url.protocol !== "wss:" && url.protocol !== "ws:") throw new RemoteError("permanent", `${url.protocol} is not a WebSocket URL`);
  const ws = await io.websocket(o.url, ["xmpp"]).catch((e) => {
    throw e instanceof RemoteError ? e : new RemoteError("transient", `cannot reach ${url.host}: ${(e as Error).message}`);
  });
  const wire = new Wire(ws);
  try {
    const domain = o.jid.domain;
    const first = await openFraming(wire, domain);
    await authenticate({ send: (s) => wire.send(s), next: () => wire.next() }, chooseMechanism(offeredMechanisms(first), url), o.jid.local, o.password);
    const features = await openFraming(wire, domain);
    const jid = await bind(wire, features, o.resource);
    return new XmppStream(wire, jid, domain, o.pingMs);
  } catch (e) {
    wire.end({ reason: "negotiation failed", kind: "transient" });
    throw e;
  }
}

async function openFraming(wire: Wire, domain: string): Promise<Element> {
  wire.send(x("open", { xmlns: NS.framing, to: domain, version: "1.0" }));
  const open = await wire.next();
  if (open.ns === NS.framing && open.name === "close" && open.attrs["see-other-uri"]) throw new Redirect(open.attrs["see-other-uri"]);
  if (open.ns !== NS.framing || open.name !== "open") throw unexpected(open, "<open/>");
  const features = await wire.next();
  if (features.ns !== NS.streams || features.name !== "features") throw unexpected(features, "<stream:features/>");
  return features;
}

async function bind(wire: Wire, features: Element, resource: string): Promise<string> {
  if (!child(features, "bind", NS.bind)) throw new RemoteError("permanent", "the server offers no resource binding");
  wire.send(stanza("iq", { type: "set", id: "bind1" }, x("bind", { xmlns: NS.bind }, x("resource", {}, resource))));
  const answer = await wire.next();
  const jid = textOf(child(child(answer, "bind", NS.bind), "jid"));
  if (answer.name !== "iq" || answer.attrs.id !== "bind1" || answer.attrs.type !== "result" || !jid) throw new RemoteError("permanent", `binding a resource failed (${stanzaCondition(answer)})`);
  // RFC 3921 sessions: only servers that still mark them mandatory need the extra IQ.
  const session = child(features, "session", NS.session);
  if (session && !child(session, "optional")) {
    wire.send(stanza("iq", { type: "set", id: "sess1" }, x("session", { xmlns: NS.session })));
    const ok = await wire.next();
    if (ok.attrs.type !== "result") throw new RemoteError("permanent", "the server refused the session");
  }
  return jid;
}

function unexpected(el: Element, wanted: string): RemoteError {
  if (el.ns === NS.streams && el.name === "error") return streamError(el);
  return new RemoteError("permanent", `the server sent <${el.name}/> where ${wanted} belongs`);
}

function stanzaCondition(el: Element): string {
  const error = child(el, "error");
  return childrenOf(error).find((c) => c.ns === NS.stanzaErrors && c.name !== "text")?.name ?? "no answer";
}

/** A bound session: stanzas in through `onStanza`, out through `send` and `iq`. */
export class XmppStream {
  /** Stanzas from the server. Return true for an IQ get/set you answered; the rest get service-unavailable. */
  onStanza: (el: Element) => boolean | void = () => {};
  private pending = new Map<string, { to?: string; resolve(el: Element): void; reject(e: Error): void }>();
  private counter = 0;
  private closing = false;
  private keepalive: ReturnType<typeof setInterval>;
  readonly ended: Promise<Ended>;
  readonly bareJid: string;

  constructor(private wire: Wire, readonly jid: string, readonly domain: string, pingMs: number) {
    this.bareJid = bare(jid);
    this.ended = wire.ended.then((e) => {
      clearInterval(this.keepalive);
      for (const p of this.pending.values()) p.reject(new RemoteError(e.kind, e.reason));
      this.pending.clear();
      return this.closing ? { reason: "closed", kind: "transient" as const } : e;
    });
    this.keepalive = setInterval(() => this.checkAlive(pingMs), Math.max(250, pingMs / 4));
    wire.dispatch((el) => this.onFrame(el));
  }

  get isOpen(): boolean {
    return this.wire.isOpen && !this.closing;
  }

  send(stanza: Xml): void {
    this.wire.send(stanza);
  }

  nextId(): string {
    return `u${++this.counter}-${crypto.randomUUID().slice(0, 8)}`;
  }

  /** Sends an IQ and resolves with the result; rejects with StanzaError on an error answer. */
  iq(type: "get" | "set", payload: Xml, to?: string, timeoutMs = IQ_TIMEOUT_MS): Promise<Element> {
    const id = this.nextId();
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RemoteError("transient", "the server did not answer in time"));
      }, timeoutMs);
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        this.pending.delete(id);
        f(v);
      };
      this.pending.set(id, { to, resolve: done(resolve), reject: done(reject) });
      try {
        this.send(stanza("iq", { type, id, to }, payload));
      } catch (e) {
        this.pending.get(id)?.reject(e as Error);
      }
    });
  }

  /** Drops the connection at once, for trouble found above the stream. */
  abort(reason: string, kind: Ended["kind"]): void {
    this.wire.end({ reason, kind });
  }

  /** Ends the session cleanly (RFC 7395 §3.6): unavailable presence, <close/>, the server's <close/>, then the socket. */
  async close(): Promise<void> {
    if (this.closing || !this.wire.isOpen) return;
    this.closing = true;
    try {
      this.wire.send(stanza("presence", { type: "unavailable" }));
      this.wire.send(x("close", { xmlns: NS.framing }));
    } catch {}
    await Promise.race([this.wire.ended, new Promise((r) => setTimeout(r, CLOSE_WAIT_MS))]);
    this.wire.end({ reason: "closed", kind: "transient" });
    await this.ended;
  }

  private onFrame(el: Element): void {
    if (el.ns === NS.framing && el.name === "close") {
      // The server is ending the stream (RFC 7395 §3.6): answer with our own <close/>, then the socket goes.
      try {
        this.wire.send(x("close", { xmlns: NS.framing }));
      } catch {}
      return this.wire.end({ reason: "the server closed the stream", kind: "transient" });
    }
    if (el.name !== "iq") return void this.onStanza(el);
    const type = el.attrs.type;
    if (type === "result" || type === "error") return this.onAnswer(el);
    if (type === "get" && child(el, "ping", NS.ping)) return this.answer(el);
    if (this.onStanza(el) !== true) this.answer(el, x("error", { type: "cancel" }, x("service-unavailable", { xmlns: NS.stanzaErrors })));
  }

  /** Answers an IQ get/set: a result, or an error when `error` is given. */
  answer(iq: Element, error?: Xml): void {
    try {
      this.send(stanza("iq", { type: error ? "error" : "result", id: iq.attrs.id, to: iq.attrs.from }, error));
    } catch {}
  }

  private onAnswer(el: Element): void {
    const p = this.pending.get(el.attrs.id ?? "");
    if (!p) return;
    // RFC 6120 §8.1.2.1: an answer comes from where the request went (no `to`: our account or our server).
    const from = el.attrs.from;
    const expected = p.to === undefined ? [undefined, this.bareJid, this.domain, this.jid] : [p.to, p.to === this.bareJid ? undefined : p.to];
    if (!expected.includes(from)) return;
    if (el.attrs.type === "result") return p.resolve(el);
    p.reject(new StanzaError(stanzaCondition(el), textOf(child(child(el, "error"), "text", NS.stanzaErrors))));
  }

  private inFlight = false;

  private checkAlive(pingMs: number): void {
    if (this.inFlight || this.closing || Date.now() - this.wire.lastHeard < pingMs) return;
    this.inFlight = true;
    const timeout = Math.min(20_000, pingMs);
    this.iq("get", x("ping", { xmlns: NS.ping }), this.domain, timeout)
      .catch((e) => {
        if (e instanceof StanzaError) return; // an error answer is still an answer
        this.wire.end({ reason: "the server stopped answering pings", kind: "transient" });
      })
      .finally(() => (this.inFlight = false));
  }
}
