// The world of the issue-14 tests: a user on a real `wrangler dev` with two Unibox friends,
// an XMPP account on a real Prosody (Bob is a contact there) and a Matrix account on the spec
// fake (Carol shares a direct room with the user). Used by test/e2e/inbox/ and the browser test.
import type { HubEvent } from "../../../core/protocol";
import { bind, makeFriends, openPhone, type Phone, type Session, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { FakeMatrix } from "../../support/fakes/matrix";
import { type Prosody, startProsody } from "../../support/peers/prosody";
import { type XmppPeer, xmppPeer } from "../../support/peers/xmpp-peer";

export type Networks = {
  server: DevServer;
  prosody: Prosody;
  hs: FakeMatrix;
  me: Session;
  friends: [Session, Session];
  bob: XmppPeer;
  carol: string;
  room: string;
  xmpp: string;
  matrix: string;
  stop(): Promise<void>;
};

export const BOB = "bob@localhost";

/** Starts everything, binds both accounts and waits until they are connected. `phone` is left open. */
export async function startNetworks(prefix: string, vars: Record<string, string> = {}): Promise<Networks & { phone: Phone }> {
  const prosody = await startProsody();
  await prosody.register("alice", "alice password");
  await prosody.register("bob", "bob password");
  const bob = await xmppPeer({ wsUrl: prosody.wsUrl, jid: BOB, password: "bob password" });
  await bob.approveAll();
  const other = await xmppPeer({ wsUrl: prosody.wsUrl, jid: "alice@localhost/laptop", password: "alice password", autoReceipts: false });
  await other.approveAll();
  await other.subscribe(BOB);
  await bob.waitForPresence((p) => p.type === "subscribed" && p.from.startsWith("alice@localhost"));
  await other.stop();

  const hs = await new FakeMatrix({ serverName: "matrix.test" }).start();
  hs.addUser("alice", "alice password", "Alice");
  const carol = hs.addUser("carol", "carol password", "Carol").userId;
  const room = hs.createRoom({ creator: carol, members: ["@alice:matrix.test"], direct: true });

  const server = await startDevServer({ vars });
  const me = await signUp(server.url, `${prefix}me`);
  const friends: [Session, Session] = [await signUp(server.url, `${prefix}f1`), await signUp(server.url, `${prefix}f2`)];
  for (const f of friends) await makeFriends(server.url, me, f);
  const phone = await openPhone(server.url, me);
  const x = await bind(server.url, me, "xmpp", { jid: "alice@localhost", password: "alice password", websocketUrl: prosody.wsUrl }, "Jabber");
  const m = await bind(server.url, me, "matrix", { homeserver: hs.url, user: "alice", password: "alice password" }, "Matrix");
  if (x.status !== 201 || m.status !== 201) throw new Error(`bind failed: ${JSON.stringify([x.body, m.body])}`);
  const xmpp = x.body.account.id as string;
  const matrix = m.body.account.id as string;
  for (const id of [xmpp, matrix]) await phone.waitEvent((e) => e.type === "account.status" && e.account === id && e.state === "connected", 30_000, `${id} connected`);
  await phone.waitEvent((e) => e.type === "account.contacts" && e.account === matrix && e.contacts.some((c) => c.id === carol), 30_000, "Carol in the Matrix contacts");
  return {
    server, prosody, hs, me, friends, bob, carol, room, xmpp, matrix, phone,
    async stop() {
      phone.close();
      await bob.stop().catch(() => undefined);
      await server.stop();
      await hs.stop();
      await prosody.stop();
    },
  };
}

type BroadcastStatus = Extract<HubEvent, { type: "broadcast.status" }>;
/** Each target's broadcast states in the order the phone got them. */
export function statesByTarget(events: HubEvent[], id: string): string[][] {
  const out: string[][] = [];
  for (const e of events) if (e.type === "broadcast.status" && e.id === id) (out[e.target] ??= []).push((e as BroadcastStatus).state);
  return out;
}
