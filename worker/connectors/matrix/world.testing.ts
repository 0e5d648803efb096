// Test setup shared by the Matrix connector's node tests: a fake homeserver (written from the
// client-server spec, test/support/fakes/matrix.ts) with our user Alice, Bob in a direct room
// with her, and helpers to run the connector against it and stop everything afterwards.
import { type FakeMatrix, startFakeMatrix } from "../../../test/support/fakes/matrix";
import { type NodeIO, nodeIO, recorder } from "../../../test/support/node-io";
import type { LiveSession, RemoteEvent } from "../types";
import type { MatrixCreds } from "./auth";
import { matrix } from "./index";

export type World = {
  hs: FakeMatrix;
  io: NodeIO;
  creds: MatrixCreds;
  me: string;
  bob: string;
  dm: string;
  /** A live session with a recorder; closed by `stop`. */
  connect(cursor?: string | null, io?: NodeIO): Promise<{ session: LiveSession; rec: ReturnType<typeof recorder> }>;
  /** Resolves once a long-poll is waiting at the homeserver, so the next request is ours. */
  polling(): Promise<void>;
  stop(): Promise<void>;
};

export async function world(): Promise<World> {
  const hs = await startFakeMatrix({ serverName: "hs.test" });
  const me = hs.addUser("alice", "alice-pw", "Alice").userId;
  const bob = hs.addUser("bob", "bob-pw", "Bob").userId;
  const dm = hs.createRoom({ creator: bob, members: [me], direct: true });
  const io = nodeIO("matrix");
  const creds = matrix.credentials.parse({ homeserver: hs.url, user: "alice", password: "alice-pw" });
  const sessions: LiveSession[] = [];
  return {
    hs, io, creds, me, bob, dm,
    async connect(cursor = null, withIo = io) {
      const rec = recorder();
      const session = await matrix.connect(creds, withIo, cursor, rec);
      sessions.push(session);
      return { session, rec };
    },
    async polling() {
      const deadline = Date.now() + 5000;
      while (!hs.requests.some((r) => r.path.endsWith("/sync") && r.status === 0)) {
        if (Date.now() > deadline) throw new Error("no long-poll is waiting");
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async stop() {
      await Promise.all(sessions.map((s) => s.close()));
      await hs.stop();
    },
  };
}

export const messages = (events: RemoteEvent[]) => events.filter((e): e is Extract<RemoteEvent, { type: "message" }> => e.type === "message");

export const texts = (events: RemoteEvent[]) => messages(events).map((m) => (m.body.type === "text" ? m.body.text : `<${m.body.type}>`));
