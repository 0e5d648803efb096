// The live session while the owner is online: SELECT INBOX, catch up from the cursor, then
// IDLE (RFC 2177) and fetch whenever the server says EXISTS. IDLE is renewed before the
// 29 minutes after which RFC 2177 §3 lets a server drop an idle client. A server without
// IDLE is asked with NOOP instead. Sending goes over SMTP (send.ts), not this connection.
import { type LinkIO, type LiveHandlers, type LiveSession, RemoteError, type Outbound } from "../types";
import { ImapClient, type ImapServer, transport } from "./imap-client";
import { type Selected, isExists, select } from "./imap-mailbox";
import { sendMail } from "./send";
import type { SmtpServer } from "./smtp";
import { newMail, parseCursor, remember } from "./sync";

export type Account = { address: string; name?: string; imap: ImapServer; smtp: SmtpServer };

const IDLE_RENEW_MS = 25 * 60_000;
const NOOP_EVERY_MS = 60_000;
type Ended = { reason: string; kind: RemoteError["kind"] };

export async function openSession(account: Account, io: LinkIO, cursor: string | null, on: LiveHandlers): Promise<LiveSession> {
  on.state({ state: "connecting", message: `connecting to ${account.imap.host}` });
  const client = await ImapClient.connect(io, account.imap);
  let box: Selected;
  try {
    box = await select(client);
    cursor = await catchUp(client, io, box, cursor, on);
  } catch (e) {
    await client.close();
    throw transport(e, account.imap.host);
  }
  on.state({ state: "connected", message: `watching INBOX on ${account.imap.host}` });
  const watch = new Watch(client, io, box, cursor, on);
  return {
    send: (out: Outbound) => sendMail(io, account.smtp, { address: account.address, name: account.name }, out),
    ended: watch.ended,
    close: () => watch.close(),
  };
}

/** Emits all new mail; each batch is stored by the hub before its ids enter the seen log. */
async function catchUp(client: ImapClient, io: LinkIO, box: Selected, cursor: string | null, on: LiveHandlers): Promise<string | null> {
  for await (const batch of newMail(client, io, box, parseCursor(cursor))) {
    await on.emit(batch.events, batch.cursor);
    remember(io, batch.mails);
    cursor = batch.cursor ?? cursor;
  }
  return cursor;
}

/** The IDLE loop, run until the connection drops or close() is called. */
class Watch {
  readonly ended: Promise<Ended>;
  private dirty = false;
  private closing = false;
  private wake = () => {};
  private done: Promise<Ended | null>;

  constructor(private client: ImapClient, private io: LinkIO, private box: Selected, private cursor: string | null, private on: LiveHandlers) {
    // UIDNEXT was true at SELECT; the mailbox has grown since, so it must not cut a search short.
    this.box = { ...box, uidNext: undefined };
    client.onUntagged = (r) => {
      if (isExists(r)) (this.dirty = true), this.wake();
    };
    this.done = this.run();
    // Only an end the session came to by itself resolves `ended`; close() is not one.
    this.ended = this.done.then((e) => e ?? new Promise<never>(() => {}));
  }

  private async run(): Promise<Ended | null> {
    try {
      while (!this.closing) {
        while (this.dirty && !this.closing) {
          this.dirty = false;
          this.cursor = await catchUp(this.client, this.io, this.box, this.cursor, this.on);
        }
        if (this.closing) break;
        const lost = this.client.capabilities.has("IDLE") ? await this.idle() : await this.poll();
        if (lost) {
          await this.client.close();
          return lost;
        }
      }
      await this.client.logout();
      return null;
    } catch (e) {
      await this.client.close();
      if (this.closing) return null;
      const end = ended(e);
      this.io.log("mail.session_ended", { kind: end.kind, reason: end.reason });
      return end;
    }
  }

  /** One IDLE until news, renewal or close; the reason if the connection went away. */
  private async idle(): Promise<Ended | null> {
    const signal = new Promise<void>((resolve) => (this.wake = resolve));
    if (this.dirty || this.closing) return null;
    const idle = await this.client.idle();
    const renewMs = Number(this.io.config("MAIL_IDLE_RENEW_MS")) || IDLE_RENEW_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const renew = new Promise<"renew">((resolve) => (timer = setTimeout(() => resolve("renew"), renewMs)));
    const why = await Promise.race([signal, renew, idle.ended.then((reason) => ({ reason }))]);
    clearTimeout(timer);
    if (typeof why === "object" && why.reason) return { reason: why.reason, kind: "transient" };
    await idle.done();
    if (why === "renew") this.io.log("mail.idle_renewed", { afterMs: renewMs });
    return null;
  }

  /** Without IDLE: NOOP now and then, which lets the server report new mail (RFC 3501 §6.1.2). */
  private async poll(): Promise<Ended | null> {
    const signal = new Promise<void>((resolve) => (this.wake = resolve));
    const every = Number(this.io.config("MAIL_NOOP_EVERY_MS")) || NOOP_EVERY_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([signal, new Promise<void>((resolve) => (timer = setTimeout(resolve, every)))]);
    clearTimeout(timer);
    if (!this.closing) await this.client.command("NOOP");
    return null;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wake();
    await this.done;
  }
}

/**
 * Why the session ended, as the kind the link acts on. Anything that is not a RemoteError
 * (the connection, a refused command, the hub failing to store) is transient: the link
 * reconnects with backoff. Parsing never throws (worker/mail/parse.ts), so a retry cannot
 * trip over the same message forever.
 */
function ended(e: unknown): Ended {
  if (e instanceof RemoteError) return { reason: e.message, kind: e.kind };
  return { reason: e instanceof Error ? e.message : String(e), kind: "transient" };
}
