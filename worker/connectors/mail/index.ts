// A mailbox the user already has, bound over IMAP (receiving) and SMTP (sending). Live
// while the owner is online (IDLE on INBOX, session.ts), polled by UID while away; mail
// arrives as `{type: "mail"}` events with the Message-ID as remoteId.
import { z } from "zod";
import type { Connector, LinkIO, Verified } from "../types";
import { RemoteError } from "../types";
import { ImapClient, transport } from "./imap-client";
import { select } from "./imap-mailbox";
import { markSeen } from "./seen";
import { sendMail } from "./send";
import { type Account, openSession } from "./session";
import { SmtpSession, heloName } from "./smtp";
import { type Batch, newMail, parseCursor, remember } from "./sync";

const server = z.strictObject({
  host: z.string().trim().min(1).max(253),
  port: z.coerce.number().int().min(1).max(65535),
  security: z.enum(["tls", "starttls", "plain"]),
  user: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
});

export const mailCredentials = z.strictObject({
  address: z.string().trim().email().max(254),
  /** The name on outgoing mail ("Alice Liddell <alice@example.org>"). */
  name: z.string().trim().max(100).optional(),
  imap: server,
  smtp: server,
});
export type MailCredentials = z.infer<typeof mailCredentials> & Account;

/** Mails one poll brings at most; the next poll comes at once when more wait. */
export const POLL_MAX = 50;

export const mail = {
  network: "mail",
  credentials: mailCredentials,
  verify,
  connect: (creds, io, cursor, on) => {
    commitPending(io, cursor);
    return openSession(creds, io, cursor, on);
  },
  poll,
  pollEvery: { online: 60_000, away: 5 * 60_000 },
  send: (creds, io, out) => sendMail(io, creds.smtp, { address: creds.address, name: creds.name }, out),
  // Read in Unibox: \Seen on the server. `remoteIds` are Message-IDs; there are no chats in mail.
  markRead: (creds, io, _chat, remoteIds) => markSeen(creds.imap, io, remoteIds),
} satisfies Connector<MailCredentials>;

/** Logs in to both servers; a refusal names the one that said no. */
async function verify(creds: MailCredentials, io: LinkIO): Promise<Verified> {
  try {
    await (await ImapClient.connect(io, creds.imap)).logout();
  } catch (e) {
    return refusal("IMAP", transport(e, creds.imap.host));
  }
  try {
    await (await SmtpSession.open(io, creds.smtp, heloName(io.publicUrl))).quit();
  } catch (e) {
    return refusal("SMTP", e instanceof RemoteError ? e : new RemoteError("transient", (e as Error).message));
  }
  return { ok: true, remote: { id: creds.address, name: creds.name || creds.address } };
}

function refusal(protocol: string, e: RemoteError): Verified {
  const code = e.kind === "auth" ? "bad_credentials" : e.kind === "permanent" ? "invalid_input" : "unreachable";
  return { ok: false, code, message: `${protocol}: ${e.message}` };
}

/** While the owner is away: what is new by UID, without IDLE, then LOGOUT. */
async function poll(creds: MailCredentials, io: LinkIO, cursor: string | null) {
  commitPending(io, cursor);
  const client = await ImapClient.connect(io, creds.imap);
  const batches: Batch[] = [];
  try {
    const box = await select(client);
    for await (const batch of newMail(client, io, box, parseCursor(cursor), POLL_MAX)) batches.push(batch);
  } catch (e) {
    throw transport(e, creds.imap.host);
  } finally {
    await client.logout();
  }
  const next = batches.findLast((b) => b.cursor)?.cursor ?? cursor;
  const mails = batches.flatMap((b) => b.mails);
  // The hub stores these events after we return; the ids count as seen only once the link
  // comes back with the cursor we gave it, which it stores only after the hub has them.
  if (mails.length) io.store.put("mail.pending", { cursor: next, mails });
  return { events: batches.flatMap((b) => b.events), cursor: next, ...(batches.at(-1)?.more ? { nextInMs: 0 } : {}) };
}

function commitPending(io: LinkIO, cursor: string | null) {
  const pending = io.store.get<{ cursor: string | null; mails: { id: string; at: number }[] }>("mail.pending");
  if (!pending) return;
  if (pending.cursor === cursor) remember(io, pending.mails);
  io.store.delete("mail.pending");
}
