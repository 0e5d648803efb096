// Message stanzas ↔ the common shape. Unwraps carbons (XEP-0280) and archive results
// (XEP-0313), accepting either only from our own account (both XEPs' security
// considerations: anyone else could forge them), and reads receipts (XEP-0184), chat markers
// (XEP-0333), delays (XEP-0203) and the archive's stanza-id (XEP-0359).
import type { Body } from "../../../core/protocol";
import type { Outbound, RemoteEvent } from "../types";
import { encodeRef, refKey } from "./ids";
import { bare, localPart } from "./jid";
import { NS } from "./ns";
import { child, type Element, stanza, textOf, x, type Xml } from "./xml";

export type Via = "live" | "sent-carbon" | "received-carbon" | "archive";

/** One message stanza, read. */
export type Incoming = {
  via: Via;
  /** The archive id (MAM result id, or a stanza-id stamped by our own archive). */
  archiveId?: string;
  /** The result's query, for archive results. */
  queryId?: string;
  from: string;
  /** The other party's bare JID (the chat). */
  peer: string;
  fromMe: boolean;
  type: string;
  msgId?: string;
  /** XEP-0359 origin-id: the sender's own id, kept as sent. */
  originId?: string;
  body?: string;
  /** XEP-0066: the body is a link to media (an upload, XEP-0363). */
  oobUrl?: string;
  receiptRequested: boolean;
  markable: boolean;
  /** XEP-0184 <received id/>: the message this acknowledges. */
  receiptFor?: string;
  marker?: { name: "received" | "displayed" | "acknowledged"; id: string };
  at: number;
  /** When the stanza came with a XEP-0203 delay: it was kept for us, not sent just now. */
  delayed: boolean;
};

/** Reads a <message/> from the stream; null when it is not one we accept. */
export function readMessage(el: Element, me: string, now = Date.now()): Incoming | null {
  const myBare = bare(me);
  const fromOwnAccount = el.attrs.from === undefined || bare(el.attrs.from) === myBare;
  const result = child(el, "result", NS.mam);
  if (result) {
    const forwarded = child(result, "forwarded", NS.forward);
    const inner = child(forwarded, "message", NS.client);
    if (!fromOwnAccount || !inner) return null;
    const stamp = child(forwarded, "delay", NS.delay)?.attrs.stamp;
    return read(inner, myBare, "archive", now, { archiveId: result.attrs.id, queryId: result.attrs.queryid, stamp });
  }
  const carbon = child(el, "sent", NS.carbons) ?? child(el, "received", NS.carbons);
  if (carbon) {
    const inner = child(child(carbon, "forwarded", NS.forward), "message", NS.client);
    if (!fromOwnAccount || !inner) return null;
    return read(inner, myBare, carbon.name === "sent" ? "sent-carbon" : "received-carbon", now, {});
  }
  return read(el, myBare, "live", now, {});
}

function read(el: Element, myBare: string, via: Via, now: number, extra: { archiveId?: string; queryId?: string; stamp?: string }): Incoming | null {
  const from = el.attrs.from ?? myBare;
  const fromMe = bare(from) === myBare;
  const to = el.attrs.to ?? myBare;
  const peer = bare(fromMe ? to : from);
  const stanzaId = [...el.children].find((c): c is Element => typeof c !== "string" && c.name === "stanza-id" && c.ns === NS.sid && c.attrs.by !== undefined && bare(c.attrs.by) === myBare);
  const delay = child(el, "delay", NS.delay)?.attrs.stamp;
  const stamp = extra.stamp ?? delay;
  const at = stamp && Number.isFinite(Date.parse(stamp)) ? Date.parse(stamp) : now;
  const bodyEl = child(el, "body", NS.client);
  const receipt = child(el, "received", NS.receipts);
  const marker = (["displayed", "acknowledged", "received"] as const).map((name) => child(el, name, NS.markers)).find(Boolean);
  return {
    via,
    archiveId: extra.archiveId ?? stanzaId?.attrs.id,
    queryId: extra.queryId,
    from,
    peer,
    fromMe,
    type: el.attrs.type ?? "normal",
    msgId: el.attrs.id,
    originId: child(el, "origin-id", NS.sid)?.attrs.id,
    body: bodyEl ? textOf(bodyEl) : undefined,
    oobUrl: textOf(child(child(el, "x", NS.oob), "url", NS.oob)).trim() || undefined,
    receiptRequested: !!child(el, "request", NS.receipts),
    markable: !!child(el, "markable", NS.markers),
    receiptFor: receipt?.attrs.id,
    marker: marker?.attrs.id ? { name: marker.name as "received" | "displayed" | "acknowledged", id: marker.attrs.id } : undefined,
    at,
    delayed: !!stamp,
  };
}

/** The dedupe key of a message (see ids.ts); null for one that has neither an archive id nor an id. */
export const keyOf = (m: Incoming): string | null => refKey(m.archiveId, bare(m.from), m.originId ?? m.msgId);

/** What a message says in the common shape: a chat line, a receipt, or nothing. */
export function toEvents(m: Incoming, names: (jid: string) => string | undefined, key: string, myBare: string): RemoteEvent[] {
  if (m.type === "groupchat" || m.type === "error" || m.type === "headline") return [];
  const chat = { id: m.peer, kind: "direct" as const, title: names(m.peer) ?? localPart(m.peer) };
  const events: RemoteEvent[] = [];
  if (m.body !== undefined && m.body.trim()) {
    const sender = m.fromMe ? { id: myBare, name: localPart(myBare) } : { id: m.peer, name: chat.title };
    events.push({
      type: "message",
      chat,
      remoteId: encodeRef({ key, msgId: m.msgId, markable: m.markable }),
      sender,
      fromMe: m.fromMe,
      body: { type: "text", text: m.body },
      at: m.at,
      // Our own message coming back (from the archive): its id is the out.key we sent it with.
      ...(m.fromMe && (m.originId ?? m.msgId) ? { echoOf: m.originId ?? m.msgId } : {}),
    });
  }
  // Receipts and markers from our own other clients say what *we* read elsewhere: not ours to report here.
  if (m.fromMe) return events;
  if (m.receiptFor) events.push({ type: "receipt", chat: m.peer, remoteIds: [m.receiptFor], state: "delivered", by: m.peer, at: m.at });
  if (m.marker) events.push({ type: "receipt", chat: m.peer, remoteIds: [m.marker.id], state: m.marker.name === "received" ? "delivered" : "read", by: m.peer, at: m.at });
  return events;
}

/** The text a body goes out as, or null for bodies XMPP cannot carry yet (media needs XEP-0363 upload). */
export function outboundText(body: Body): string | null {
  if (body.type === "text") return body.text;
  // RFC 5870 geo: URIs are what XMPP clients (Conversations, Dino, Monal) show as a map.
  if (body.type === "location") return `geo:${body.lat},${body.lng}${body.accuracy !== undefined ? `;u=${Math.round(body.accuracy)}` : ""}`;
  return null;
}

/** Our chat message: asks for a receipt and a displayed marker; its id (and origin-id) is out.key. */
export function chatMessage(out: Outbound, text: string): Xml {
  return stanza(
    "message",
    { to: out.chat, type: "chat", id: out.key },
    x("body", {}, text),
    x("request", { xmlns: NS.receipts }),
    x("markable", { xmlns: NS.markers }),
    x("origin-id", { xmlns: NS.sid, id: out.key }),
  );
}

export const receiptFor = (to: string, id: string, newId: string): Xml => stanza("message", { to, id: newId, type: "chat" }, x("received", { xmlns: NS.receipts, id }));

export const displayedMarker = (to: string, id: string, newId: string): Xml =>
  stanza("message", { to, id: newId, type: "chat" }, x("displayed", { xmlns: NS.markers, id }), x("store", { xmlns: NS.hints }));
