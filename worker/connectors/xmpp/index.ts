// The XMPP connector: a small client of our own over io.websocket (RFC 7395), not
// @xmpp/client, which needs nodejs_compat (its resolver imports node:dns) and brings a
// reconnecting, event-emitting client the AccountLink already is. What it speaks: SCRAM
// (PLAIN only as sasl.ts allows), resource binding, roster and presence, 1:1 chat,
// receipts (XEP-0184), chat markers (XEP-0333), carbons (XEP-0280), archive catch-up
// (XEP-0313) and endpoint discovery (XEP-0156).
import { z } from "zod";
import { type Connector, type LinkIO, RemoteError, type Verified } from "../types";
import { discoverWebsocket } from "./discover";
import { bare, localPart, parseJid } from "./jid";
import { NS } from "./ns";
import { Roster } from "./roster";
import { XmppSession } from "./session";
import { openStream, type XmppStream } from "./stream";
import { child, x } from "./xml";

const wsUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((s) => URL.canParse(s) && /^wss?:$/.test(new URL(s).protocol), "a ws:// or wss:// URL");

export const xmppCredentials = z.strictObject({
  jid: z
    .string()
    .trim()
    .max(3071)
    .refine((s) => {
      const j = parseJid(s);
      return !!j?.local && j.resource === undefined;
    }, "an address like alice@example.org")
    .transform(bare),
  password: z.string().min(1).max(1024),
  /** Without it, the endpoint is discovered from the JID's domain (XEP-0156). */
  websocketUrl: wsUrl.optional(),
});
export type XmppCredentials = z.infer<typeof xmppCredentials>;

const DEFAULT_PING_SECONDS = 60;
const DEFAULT_PAGE = 50;

function settings(io: LinkIO) {
  const num = (name: string, fallback: number) => {
    const n = Number(io.config(name));
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return { pingMs: num("XMPP_PING_SECONDS", DEFAULT_PING_SECONDS) * 1000, pageSize: num("XMPP_MAM_PAGE_SIZE", DEFAULT_PAGE) };
}

/** The same resource every time for an account, so a new session replaces a stale one (RFC 6120 §7.7.2.2). */
async function resourceFor(io: LinkIO): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(io.account.id)));
  return `unibox-${[...digest.slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function login(c: XmppCredentials, io: LinkIO, resource: string): Promise<XmppStream> {
  const jid = parseJid(c.jid)!;
  const url = c.websocketUrl ?? (await discoverWebsocket(io, jid.domain));
  return openStream(io, { url, jid, password: c.password, resource, pingMs: settings(io).pingMs });
}

export const xmpp = {
  network: "xmpp",
  credentials: xmppCredentials,

  async verify(c, io): Promise<Verified> {
    try {
      const stream = await login(c, io, `unibox-check-${crypto.randomUUID().slice(0, 8)}`);
      await stream.close();
      return { ok: true, remote: { id: c.jid, name: localPart(c.jid) } };
    } catch (e) {
      const message = (e as Error).message;
      io.log("xmpp.verify_failed", { kind: e instanceof RemoteError ? e.kind : "error" });
      return { ok: false, code: e instanceof RemoteError && e.kind === "auth" ? "bad_credentials" : "unreachable", message };
    }
  },

  async connect(c, io, cursor, on) {
    on.state({ state: "connecting", message: `connecting to ${parseJid(c.jid)!.domain}` });
    const stream = await login(c, io, await resourceFor(io));
    const session = new XmppSession(stream, io, on, settings(io));
    try {
      await session.start(cursor);
    } catch (e) {
      await stream.close();
      throw e instanceof RemoteError ? e : new RemoteError("transient", (e as Error).message);
    }
    on.state({ state: "connected", message: `connected as ${c.jid}` });
    return session;
  },

  /** The roster without a live session: a short login of its own. */
  async contacts(c, io) {
    const stream = await login(c, io, `unibox-roster-${crypto.randomUUID().slice(0, 8)}`);
    try {
      const roster = new Roster();
      roster.apply(child(await stream.iq("get", x("query", { xmlns: NS.roster })), "query", NS.roster), true);
      return roster.contacts();
    } finally {
      await stream.close();
    }
  },
} satisfies Connector<XmppCredentials>;
