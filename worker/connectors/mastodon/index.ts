// Mastodon: bound with an instance and a user access token; polled (home timeline and
// mention notifications); posts statuses with media. No streaming: polling alone keeps
// it current, and an outbound WebSocket would keep the link awake.
import { HttpError } from "../social/http";
import { verifyFailed } from "../types";
import type { Connector, Verified } from "../types";
import { measure } from "../social/text";
import { actions } from "./actions";
import { addressOf, type InstanceLimits, limits, me } from "./account";
import { type Creds, credentials } from "./api";
import { poll } from "./poll";
import { send } from "./send";

export { actions };
export type { Creds } from "./api";

/** Mastodon counts a URL as 23 characters and "@user@domain" as "@user" (StatusLengthValidator). */
export const lengthRules = { urlChars: 23, mentionDomainsFree: true } as const;

async function verify(creds: Creds, io: Parameters<Connector<Creds>["verify"]>[1]): Promise<Verified> {
  try {
    io.store.delete("me");
    io.store.delete("instance");
    const self = await me(creds, io);
    await limits(creds, io);
    return { ok: true, remote: { id: addressOf(self.acct, creds), name: self.name } };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false, code: "invalid_input", message: `${creds.instance} does not answer as a Mastodon instance` };
    return verifyFailed(err, { permanent: err instanceof HttpError ? `${creds.instance} does not answer as a Mastodon instance (${err.message})` : undefined });
  }
}

export const mastodon = {
  network: "mastodon",
  credentials,
  verify,
  poll,
  // Mastodon allows 300 calls per token in 5 minutes; a poll makes 2 when nothing is new.
  pollEvery: { online: 30_000, away: 120_000 },
  send,
  // 500 is the default; send checks the instance's own figure (GET /api/v2/instance).
  limits: {
    textChars: 500,
    measure: (text: string) => measure(text, lengthRules),
    rules: lengthRules,
    // The instance's own figures, kept by verify (GET /api/v2/instance).
    current: (io) => {
      const i = io.store.get<InstanceLimits>("instance");
      return i && { max: i.maxChars, urlChars: i.urlChars, mentionDomainsFree: true };
    },
  },
  actions,
} satisfies Connector<Creds>;
