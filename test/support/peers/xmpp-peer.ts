// "The other person" on XMPP: a test-side client (@xmpp/client over WebSocket, Node 22's
// global WebSocket) that logs in, sends chat messages, answers receipt requests (XEP-0184)
// as a phone would, sends chat markers (XEP-0333), handles subscriptions (RFC 6121 §3) and
// reads its own archive (XEP-0313). Everything it gets is kept in `received` / `presences`.
import { client, xml } from "@xmpp/client";
import { randomUUID } from "node:crypto";
import { Inbox } from "./inbox";

type Stanza = ReturnType<typeof xml>;
type XmppClient = ReturnType<typeof client>;

const NS = {
  receipts: "urn:xmpp:receipts",
  markers: "urn:xmpp:chat-markers:0",
  delay: "urn:xmpp:delay",
  mam: "urn:xmpp:mam:2",
  forward: "urn:xmpp:forward:0",
  carbons: "urn:xmpp:carbons:2",
  roster: "jabber:iq:roster",
  stanzaId: "urn:xmpp:sid:0",
  data: "jabber:x:data",
  rsm: "http://jabber.org/protocol/rsm",
};

export type XmppMessage = {
  from: string;
  to: string;
  id: string;
  type: string;
  body?: string;
  /** Id of the message a XEP-0184 <received/> acknowledges. */
  receiptFor?: string;
  /** Id of the message a XEP-0333 marker points at, and which marker. */
  markerFor?: string;
  marker?: "received" | "displayed" | "acknowledged";
  /** The sender asked for a receipt / said the message can be marked. */
  receiptRequested: boolean;
  markable: boolean;
  /** XEP-0203 stamp: set on messages the server kept while we were offline. */
  delayedAt?: string;
  /** XEP-0359 id the server's archive gave it (by = our bare JID). */
  stanzaId?: string;
  /** Set when this is a XEP-0280 carbon copy: what another of our resources sent or got. */
  carbon?: "sent" | "received";
};

export type ArchivedMessage = XmppMessage & { archiveId: string; stamp: string };

export type XmppPresence = { from: string; type: string; show?: string; status?: string };

export type XmppPeerOptions = {
  wsUrl: string;
  /** bare (`bob@localhost`) or with a resource. */
  jid: string;
  password: string;
  /** Answer XEP-0184 receipt requests by itself (default true). */
  autoReceipts?: boolean;
  /** Ask for XEP-0280 carbons after login (default false). */
  carbons?: boolean;
};

export type XmppPeer = {
  /** The full JID the server bound. */
  jid: string;
  received: XmppMessage[];
  presences: XmppPresence[];
  waitFor(pred: (m: XmppMessage) => boolean, timeoutMs?: number): Promise<XmppMessage>;
  waitForPresence(pred: (p: XmppPresence) => boolean, timeoutMs?: number): Promise<XmppPresence>;
  /** Sends a chat message; returns its id. */
  send(to: string, text: string, opts?: { id?: string; receipt?: boolean; markable?: boolean; type?: "chat" | "normal" }): Promise<string>;
  sendReceipt(to: string, id: string): Promise<void>;
  sendDisplayed(to: string, id: string): Promise<void>;
  /** Asks `jid` for a presence subscription (and adds it to the roster). */
  subscribe(jid: string): Promise<void>;
  /** From now on approves every subscription request and asks back, so presence flows both ways. */
  approveAll(): Promise<void>;
  /** Available presence; `show` is away / chat / dnd / xa, none for plain online. */
  setPresence(show?: "away" | "chat" | "dnd" | "xa", status?: string): Promise<void>;
  /** Our own archive (XEP-0313), oldest first, optionally only the chat with `with`. */
  mam(opts?: { with?: string; max?: number }): Promise<ArchivedMessage[]>;
  /** Whether receipt requests are answered by the peer itself; can be switched at any time. */
  autoReceipts: boolean;
  stop(): Promise<void>;
};

const bare = (jid: string) => jid.split("/")[0];

export async function xmppPeer(opts: XmppPeerOptions): Promise<XmppPeer> {
  const [local, domainAndResource] = opts.jid.split("@");
  const [domain, resource] = domainAndResource.split("/");
  const xmpp = client({
    service: opts.wsUrl,
    domain,
    resource: resource ?? `peer-${randomUUID().slice(0, 8)}`,
    // PLAIN when offered (loopback, no TLS: the test server allows it): @xmpp/client's SCRAM
    // in JavaScript costs ~400 ms per login here. The SASL (not SASL2) path takes no user agent.
    credentials: (authenticate, mechanisms) =>
      authenticate({ username: local, password: opts.password }, mechanisms.includes("PLAIN") ? "PLAIN" : mechanisms[0], undefined as never),
  });
  const inbox = new Inbox<XmppMessage>(`xmpp peer ${opts.jid}`);
  const presenceInbox = new Inbox<XmppPresence>(`xmpp peer ${opts.jid} presence`);
  const archiveQueries = new Map<string, ArchivedMessage[]>();
  let approving = false;
  let me = "";

  const peer: XmppPeer = {
    get jid() {
      return me;
    },
    received: inbox.items,
    presences: presenceInbox.items,
    waitFor: (pred, timeoutMs) => inbox.waitFor(pred, timeoutMs),
    waitForPresence: (pred, timeoutMs) => presenceInbox.waitFor(pred, timeoutMs),
    autoReceipts: opts.autoReceipts ?? true,
    async send(to, text, o = {}) {
      const id = o.id ?? randomUUID();
      const children = [xml("body", {}, text)];
      if (o.receipt) children.push(xml("request", { xmlns: NS.receipts }));
      if (o.markable) children.push(xml("markable", { xmlns: NS.markers }));
      await xmpp.send(xml("message", { to, id, type: o.type ?? "chat" }, ...children));
      return id;
    },
    async sendReceipt(to, id) {
      await xmpp.send(xml("message", { to, id: randomUUID(), type: "chat" }, xml("received", { xmlns: NS.receipts, id })));
    },
    async sendDisplayed(to, id) {
      // Sent as a chat message like the one it marks; the XEP-0334 store hint asks archives to keep it.
      await xmpp.send(xml("message", { to, id: randomUUID(), type: "chat" }, xml("displayed", { xmlns: NS.markers, id }), xml("store", { xmlns: "urn:xmpp:hints" })));
    },
    async subscribe(jid) {
      await xmpp.iqCaller.set(xml("query", { xmlns: NS.roster }, xml("item", { jid: bare(jid) })));
      await xmpp.send(xml("presence", { to: bare(jid), type: "subscribe" }));
    },
    async approveAll() {
      approving = true;
      // Requests that came before this call were kept in `presences`; answer those too.
      for (const p of presenceInbox.items.filter((p) => p.type === "subscribe")) await approve(p.from);
    },
    async setPresence(show, status) {
      await xmpp.send(xml("presence", {}, ...(show ? [xml("show", {}, show)] : []), ...(status ? [xml("status", {}, status)] : [])));
    },
    async mam(q = {}) {
      const queryid = randomUUID();
      const fields = [xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS.mam))];
      if (q.with) fields.push(xml("field", { var: "with" }, xml("value", {}, q.with)));
      archiveQueries.set(queryid, []);
      try {
        await xmpp.iqCaller.set(
          xml("query", { xmlns: NS.mam, queryid }, xml("x", { xmlns: NS.data, type: "submit" }, ...fields), xml("set", { xmlns: NS.rsm }, xml("max", {}, String(q.max ?? 50)))),
        );
        return archiveQueries.get(queryid)!;
      } finally {
        archiveQueries.delete(queryid);
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await xmpp.stop().catch(() => {});
    },
  };

  const approve = async (from: string) => {
    await xmpp.send(xml("presence", { to: bare(from), type: "subscribed" }));
    await xmpp.send(xml("presence", { to: bare(from), type: "subscribe" }));
  };

  const onMessage = async (stanza: Stanza) => {
    const from = stanza.attrs.from ?? "";
    // Only our own account may hand us archive results or carbons (both XEPs' security considerations).
    const fromOwnAccount = !stanza.attrs.from || bare(from) === bare(me);
    const result = stanza.getChild("result", NS.mam);
    if (result && fromOwnAccount) return archiveQueries.get(result.attrs.queryid)?.push(archived(result, me));
    const carbon = stanza.getChild("received", NS.carbons) ?? stanza.getChild("sent", NS.carbons);
    if (carbon && fromOwnAccount) {
      const inner = carbon.getChild("forwarded", NS.forward)?.getChild("message");
      return inner && inbox.push({ ...parseMessage(inner, me), carbon: carbon.name as "sent" | "received" });
    }
    const message = parseMessage(stanza, me);
    inbox.push(message);
    if (message.receiptRequested && peer.autoReceipts && message.type !== "error" && message.id) await peer.sendReceipt(from, message.id);
  };

  const onPresence = async (stanza: Stanza) => {
    const p: XmppPresence = { from: stanza.attrs.from ?? "", type: stanza.attrs.type ?? "available", show: stanza.getChildText("show") ?? undefined, status: stanza.getChildText("status") ?? undefined };
    presenceInbox.push(p);
    if (p.type === "subscribe" && approving) await approve(p.from);
  };

  xmpp.on("stanza", (stanza: Stanza) => {
    const handled = stanza.is("message") ? onMessage(stanza) : stanza.is("presence") ? onPresence(stanza) : undefined;
    handled?.catch(() => {}); // a reply that fails because we are stopping is not the test's business
  });
  // Roster pushes (RFC 6121 §2.1.6) get a result, not @xmpp/client's default service-unavailable error.
  xmpp.iqCallee.set(NS.roster, "query", () => true);
  // A refused login rejects start(); later socket errors end in a reconnect. @xmpp/reconnect
  // tries once a second after a "disconnect", but a WebSocket refused before it opened (the
  // server is still starting, e.g. across prosody.restart() on a busy machine) leaves the
  // client in "connecting" with no further "disconnect", so it never tries again. Try again
  // ourselves until it is online or stopped.
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  xmpp.on("error", () => {
    if (stopped || xmpp.status !== "connecting" || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (!stopped && xmpp.status === "connecting") xmpp.reconnect.reconnect().catch(() => {});
    }, 1000);
  });

  // RFC 6121 §3.1.3: subscription requests go to resources that asked for the roster; then the
  // initial presence, before any archive query (see the note in prosody.ts).
  const setUp = async (address: { toString(): string }) => {
    me = address.toString();
    if (opts.carbons) await xmpp.iqCaller.set(xml("enable", { xmlns: NS.carbons }));
    await xmpp.iqCaller.get(xml("query", { xmlns: NS.roster }));
    await xmpp.send(xml("presence"));
  };
  // A refused login rejects start(); stop the client, or it would keep reconnecting.
  const address = await xmpp.start().catch(async (e) => {
    await peer.stop();
    throw e;
  });
  await setUp(address);
  // @xmpp/client reconnects by itself (e.g. across prosody.restart()); be available again then.
  xmpp.on("online", (address) => void setUp(address).catch(() => {}));
  return peer;
}

function parseMessage(stanza: Stanza, me: string): XmppMessage {
  const receipt = stanza.getChild("received", NS.receipts);
  const marker = ["received", "displayed", "acknowledged"].map((name) => stanza.getChild(name, NS.markers)).find(Boolean);
  const stanzaId = stanza.getChildren("stanza-id", NS.stanzaId).find((s) => s.attrs.by === bare(me));
  return {
    from: stanza.attrs.from ?? "",
    to: stanza.attrs.to ?? "",
    id: stanza.attrs.id ?? "",
    type: stanza.attrs.type ?? "normal",
    body: stanza.getChildText("body") ?? undefined,
    receiptFor: receipt?.attrs.id,
    markerFor: marker?.attrs.id,
    marker: marker?.name as XmppMessage["marker"],
    receiptRequested: !!stanza.getChild("request", NS.receipts),
    markable: !!stanza.getChild("markable", NS.markers),
    delayedAt: stanza.getChild("delay", NS.delay)?.attrs.stamp,
    stanzaId: stanzaId?.attrs.id,
  };
}

function archived(result: Stanza, me: string): ArchivedMessage {
  const forwarded = result.getChild("forwarded", NS.forward)!;
  return { ...parseMessage(forwarded.getChild("message")!, me), archiveId: result.attrs.id, stamp: forwarded.getChild("delay", NS.delay)?.attrs.stamp ?? "" };
}
