// Shared set-up for the XMPP connector's Node tests (worker/connectors/xmpp/*.node.test.ts): an
// account on a real Prosody with its LinkIO and recorder, and what the recorder saw, by kind.
import { nodeIO, recorder } from "./node-io";
import type { Prosody } from "./peers/prosody";
import { type XmppPeer, xmppPeer } from "./peers/xmpp-peer";
import type { LiveSession, RemoteEvent } from "../../worker/connectors/types";
import { xmpp, xmppCredentials } from "../../worker/connectors/xmpp/index";

export type Message = Extract<RemoteEvent, { type: "message" }>;
export type Receipt = Extract<RemoteEvent, { type: "receipt" }>;

export const messages = (events: RemoteEvent[]): Message[] => events.filter((e): e is Message => e.type === "message");
export const receipts = (events: RemoteEvent[]): Receipt[] => events.filter((e): e is Receipt => e.type === "receipt");
export const texts = (events: RemoteEvent[]): string[] => messages(events).map((m) => (m.body.type === "text" ? m.body.text : `<${m.body.type}>`));

export type TestAccount = Awaited<ReturnType<typeof testAccount>>;

/** A fresh user on `prosody` as a bound Unibox account, plus what connect() needs. */
export async function testAccount(prosody: Prosody, user: string, config: Record<string, string> = {}, wsUrl = prosody.wsUrl) {
  const password = `pw-${user}`;
  await prosody.register(user, password);
  const io = nodeIO("xmpp", { config });
  const creds = xmppCredentials.parse({ jid: `${user}@localhost`, password, websocketUrl: wsUrl });
  const sessions: LiveSession[] = [];
  return {
    jid: `${user}@localhost`,
    password,
    io,
    creds,
    sessions,
    /** Connects with a new recorder (or the one given), from `cursor`. */
    async connect(cursor: string | null, rec = recorder()) {
      const session = await xmpp.connect(creds, io, cursor, rec);
      sessions.push(session);
      return { session, rec };
    },
  };
}

/** A test-side client for `user` (registered here), kept for stopping. */
export async function peerFor(prosody: Prosody, user: string, peers: XmppPeer[], opts: { register?: boolean; resource?: string; carbons?: boolean } = {}): Promise<XmppPeer> {
  if (opts.register !== false) await prosody.register(user, `pw-${user}`);
  const peer = await xmppPeer({ wsUrl: prosody.wsUrl, jid: `${user}@localhost${opts.resource ? `/${opts.resource}` : ""}`, password: `pw-${user}`, carbons: opts.carbons });
  peers.push(peer);
  return peer;
}
