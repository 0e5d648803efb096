// Bluesky: bound with a handle and an app password (createSession); polled (the following
// timeline, and mentions / replies / quotes from notifications); posts with link, mention
// and tag facets and a picture. DMs live on a separate chat service (chat.bsky.*) and are
// not read or sent here.
import { verifyFailed } from "../types";
import type { Connector, LinkIO, Verified } from "../types";
import { actions } from "./actions";
import { poll } from "./poll";
import { send, MAX_GRAPHEMES } from "./send";
import { authed, login } from "./session";
import { type Creds, credentials } from "./xrpc";

export { actions };
export type { Creds } from "./xrpc";

async function verify(creds: Creds, io: LinkIO): Promise<Verified> {
  try {
    const s = await login(creds, io);
    const profile = await authed<{ displayName?: string }>(creds, io, "app.bsky.actor.getProfile", { params: { actor: s.did } });
    return { ok: true, remote: { id: `@${s.handle}`, name: profile.displayName || s.handle } };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false, code: "invalid_input", message: "that server does not answer as a Bluesky PDS" };
    return verifyFailed(err);
  }
}

export const bluesky = {
  network: "bluesky",
  credentials,
  verify,
  poll,
  // The PDS allows 3000 calls per IP in 5 minutes; a poll makes 2 when nothing is new.
  pollEvery: { online: 30_000, away: 120_000 },
  send,
  limits: { textGraphemes: MAX_GRAPHEMES },
  actions,
} satisfies Connector<Creds>;
