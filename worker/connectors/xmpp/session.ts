// A live XMPP session for the AccountLink: bound stream, carbons, roster, initial presence,
// then catch-up from the archive while live stanzas wait in a buffer, so the user gets
// archive first, then live, each message once (deduped by its archive id), in order.
// Everything goes to the link through one chain of emits: the cursor only moves after the
// hub has stored what came before it.
import { type LinkIO, type LiveHandlers, type LiveSession, type Outbound, type RemoteContact, type RemoteEvent, RemoteError, type SendResult } from "../types";
import { type Collector, cursorLost, noArchive, queryPage } from "./archive";
import { fetchMedia } from "./media";
import { chatMessage, displayedMarker, type Incoming, keyOf, outboundText, readMessage, receiptFor, toEvents } from "./convert";
import { decodeRef } from "./ids";
import { bare, parseJid } from "./jid";
import { NS } from "./ns";
import { Roster } from "./roster";
import type { Ended, XmppStream } from "./stream";
import { child, type Element, stanza, x } from "./xml";

export type SessionOptions = { pageSize: number };

/** More pages than this in one catch-up (pageSize each) and the rest waits for the next connect. */
const MAX_PAGES = 400;
/** Keys remembered for dedupe between archive, carbons and live delivery within one session. */
const SEEN_MAX = 10_000;

export class XmppSession implements LiveSession {
  readonly ended: Promise<Ended>;
  private roster = new Roster();
  private collector: Collector = new Map();
  private seen = new Set<string>();
  private buffer: Incoming[] | null = [];
  private chain: Promise<void> = Promise.resolve();
  private myBare: string;

  constructor(private stream: XmppStream, private io: LinkIO, private on: LiveHandlers, private opts: SessionOptions) {
    this.myBare = stream.bareJid;
    this.ended = stream.ended;
    stream.onStanza = (el) => this.onStanza(el);
  }

  /** Carbons, roster, presence, then the archive from `cursor`; resolves once live. */
  async start(cursor: string | null): Promise<void> {
    await this.stream.iq("set", x("enable", { xmlns: NS.carbons })).catch((e) => this.io.log("xmpp.carbons_unavailable", { why: String((e as Error).message) }));
    const roster = await this.stream.iq("get", x("query", { xmlns: NS.roster }));
    this.roster.apply(child(roster, "query", NS.roster), true);
    this.enqueue([{ type: "contacts", contacts: this.roster.contacts() }]).catch(() => {});
    // Presence before the archive query: messages that arrive from now on are live (and
    // buffered until the archive is read); asking the archive first would make Prosody
    // hold back offline messages without ever sending them (mod_mam's mam_requested).
    this.stream.send(stanza("presence"));
    await this.catchUp(cursor);
    const buffered = this.buffer ?? [];
    this.buffer = null;
    await this.deliver(buffered, true);
  }

  async send(out: Outbound): Promise<SendResult> {
    const to = parseJid(out.chat);
    if (!to || to.resource !== undefined) return { ok: false, code: "invalid_target", message: `${out.chat} is not a bare JID`, retryable: false };
    const text = outboundText(out.body);
    if (text === null) return { ok: false, code: "unsupported_body", message: `XMPP messages carry text here, not ${out.body.type}`, retryable: false };
    try {
      this.stream.send(chatMessage({ ...out, chat: bare(out.chat) }, text));
    } catch (e) {
      return { ok: false, code: "remote_unavailable", message: (e as Error).message, retryable: true };
    }
    return { ok: true, remoteId: out.key, at: Date.now() };
  }

  async contacts(): Promise<RemoteContact[]> {
    return this.roster.contacts();
  }

  /** XEP-0333: one <displayed/> for the newest markable message means all before it were read too. */
  async markRead(chat: string, remoteIds: string[]): Promise<void> {
    const last = remoteIds.map(decodeRef).filter((r) => r?.markable && r.msgId).at(-1);
    if (!last?.msgId || !this.stream.isOpen) return;
    this.stream.send(displayedMarker(bare(chat), last.msgId, this.stream.nextId()));
  }

  async close(): Promise<void> {
    await Promise.race([this.chain, new Promise((r) => setTimeout(r, 5_000))]);
    await this.stream.close();
  }

  private async catchUp(cursor: string | null): Promise<void> {
    const max = this.opts.pageSize;
    try {
      if (cursor === null) return await this.history(max);
      let after = cursor;
      for (let pages = 1; ; pages++) {
        const page = await queryPage(this.stream, this.collector, { after }, max);
        await this.deliver(page.results, true);
        if (page.complete || !page.last) return;
        after = page.last;
        if (pages >= MAX_PAGES) return this.io.log("xmpp.catchup_capped", { pages });
      }
    } catch (e) {
      if (noArchive(e)) return this.io.log("xmpp.no_archive", {});
      if (!cursorLost(e)) throw e;
      // The archive no longer has our cursor (expired): start again from its newest page.
      this.io.log("xmpp.cursor_lost", {});
      await this.history(max);
    }
  }

  /** A new account's first connect: the newest page, as history (no receipts: it was not delivered just now). */
  private async history(max: number): Promise<void> {
    const page = await queryPage(this.stream, this.collector, { newest: true }, max);
    await this.deliver(page.results, false);
  }

  private onStanza(el: Element): boolean {
    if (el.name === "message") {
      const m = readMessage(el, this.stream.jid);
      if (!m) return false;
      // A bounce of something we sent: the contract has no event for it yet, so it is only logged.
      if (m.type === "error") this.io.log("xmpp.message_bounced", { id: m.msgId ?? null });
      if (m.via === "archive") this.collector.get(m.queryId ?? "")?.push(m);
      else if (this.buffer) this.buffer.push(m);
      else this.deliver([m], true).catch(() => {}); // a failed emit has ended the session already
      return false;
    }
    if (el.name === "presence") this.onPresence(el);
    if (el.name === "iq" && el.attrs.type === "set" && child(el, "query", NS.roster)) return this.onRosterPush(el);
    return false;
  }

  private onPresence(el: Element): void {
    const from = el.attrs.from;
    if (!from || bare(from) === this.myBare) return;
    const type = el.attrs.type;
    if (type === "subscribe") return this.io.log("xmpp.subscription_request", {});
    const change = this.roster.onPresence(el);
    if (change) this.enqueue([{ type: "presence", ...change }]).catch(() => {});
  }

  /** RFC 6121 §2.1.6: a push comes from our own account (or no one), and gets a result. */
  private onRosterPush(el: Element): boolean {
    if (el.attrs.from !== undefined && bare(el.attrs.from) !== this.myBare) return false;
    this.roster.apply(child(el, "query", NS.roster), false);
    this.stream.answer(el);
    this.enqueue([{ type: "contacts", contacts: this.roster.contacts() }]).catch(() => {});
    return true;
  }

  /** Messages → events, each once; the cursor goes to the newest archive id among them. */
  private deliver(messages: Incoming[], receipts: boolean): Promise<void> {
    const events: RemoteEvent[] = [];
    const acks: Incoming[] = [];
    const links = new Map<RemoteEvent, string>();
    let cursor: string | undefined;
    for (const m of messages) {
      // Archive results come in archive order, so each moves the cursor; a live copy we had
      // already (an offline message flooded after the archive gave it) must not move it back.
      if (m.archiveId && m.via === "archive") cursor = m.archiveId;
      const key = keyOf(m) ?? `n:${crypto.randomUUID()}`;
      if (this.seen.has(key)) continue;
      if (m.archiveId) cursor = m.archiveId;
      this.remember(key);
      const made = toEvents(m, (jid) => this.roster.name(jid), key, this.myBare);
      if (m.oobUrl && m.body?.trim() === m.oobUrl && made[0]?.type === "message") links.set(made[0], m.oobUrl);
      events.push(...made);
      if (receipts && this.wantsReceipt(m)) acks.push(m);
    }
    const ready = links.size ? () => this.withMedia(events, links) : events;
    return this.enqueue(ready, cursor).then(() => this.acknowledge(acks));
  }

  /** Media links become media bodies, in the emit chain so the order of messages holds. */
  private async withMedia(events: RemoteEvent[], links: Map<RemoteEvent, string>): Promise<RemoteEvent[]> {
    return Promise.all(
      events.map(async (e) => {
        const url = links.get(e);
        const body = url && e.type === "message" ? await fetchMedia(this.io, url) : null;
        return body && e.type === "message" ? { ...e, body } : e;
      }),
    );
  }

  /** XEP-0184: a receipt for a chat message someone asked one for, unless it would tell a stranger we are online (§8). */
  private wantsReceipt(m: Incoming): boolean {
    return m.receiptRequested && !m.fromMe && m.via !== "received-carbon" && !!m.msgId && m.body !== undefined && m.type !== "groupchat" && m.type !== "error" && this.roster.seesOurPresence(m.peer);
  }

  private acknowledge(acks: Incoming[]): void {
    if (!this.stream.isOpen) return;
    for (const m of acks) {
      try {
        this.stream.send(receiptFor(m.from, m.msgId!, this.stream.nextId()));
      } catch {}
    }
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value!);
  }

  /** One emit after another; a failed one ends the session so the link reconnects from the stored cursor. */
  private enqueue(events: RemoteEvent[] | (() => Promise<RemoteEvent[]>), cursor?: string): Promise<void> {
    if (Array.isArray(events) && !events.length && cursor === undefined) return this.chain;
    this.chain = this.chain.then(async () => this.on.emit(Array.isArray(events) ? events : await events(), cursor)).catch((e) => {
      this.io.log("xmpp.emit_failed", { why: String((e as Error)?.message ?? e) });
      this.stream.abort("events could not be stored", "transient");
      throw new RemoteError("transient", "events could not be stored");
    });
    // Later links in the chain must still run after a failure has ended the session.
    const step = this.chain;
    this.chain = step.catch(() => {});
    return step;
  }
}
