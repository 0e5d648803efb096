// The user's mail (the patent's push mail): the own address handle@MAIL_DOMAIN, which the
// Worker's email() hands over, and each bound mailbox, whose link brings `mail` events. One
// store, deduped by (mailbox, the mail's id), pushed as a `mail` event the moment it is
// stored (Web Push when no device is connected). Sending a mail is a `send` frame: accepted
// once queued here, then the outbox carries it (the own address through the relay, a bound
// mailbox through its link) and `status` events say sent or failed, as for any message.
import { remoteConversationId } from "../../core/conversation";
import { newId } from "../../core/ids";
import { type Body, type MailAddress, type MailAttachment, type MailSummary, OWN_MAILBOX } from "../../core/protocol";
import type { RemoteMail, SendResult } from "../../worker/connectors/types";
import { messageIdFor } from "../../worker/mail/build";
import { snippet } from "../../worker/mail/identity";
import { relayServer, sendViaRelay } from "../../worker/mail/relay";
import { relayIO } from "../../worker/mail/relay-io";
import { linkOf } from "../stubs";
import type { Accounts } from "./accounts";
import { type Hub, Refused } from "./context";
import { RetryLater } from "./outbox";
import type { Accepted, SendLedger } from "./sends";
import type { MailDetail, MailFile } from "./store/mail";

type EmailBody = Extract<Body, { type: "email" }>;
type MailSend = { id: string };
type MailSeen = { account: string; remoteIds: string[] };

/** A mail that would not go is tried this many times (about ten minutes of backoff) before it is failed. */
const SEND_ATTEMPTS = 12;

export class Mailboxes {
  constructor(
    private hub: Hub,
    accounts: Accounts,
    private sends: SendLedger,
  ) {
    accounts.handle("mail", (account, ev) => {
      if (ev.type === "mail") this.receive(account.id, ev.mail);
    });
    hub.outbox.register("mail-send", (p: MailSend, row) => this.deliverOut(p.id, row.attempts + 1));
    hub.outbox.register("mail-seen", (p: MailSeen) => linkOf(hub.env, p.account).markRead("", p.remoteIds));
  }

  // ---- in --------------------------------------------------------------------------------

  has(mailbox: string, remoteId: string): boolean {
    return this.hub.store.mail.has(mailbox, remoteId);
  }

  /** Stores a mail and pushes it; null when this mailbox has it already. No awaits: one atomic step. */
  receive(mailbox: string, mail: RemoteMail): MailSummary | null {
    const { store } = this.hub;
    if (store.mail.has(mailbox, mail.remoteId)) return null;
    const attachments = mail.attachments ?? [];
    const thread = store.mail.threadOf([...(mail.references ?? []), ...(mail.inReplyTo ? [mail.inReplyTo] : [])]);
    const verdict = mail.auth?.verdict ?? "unverified";
    const summary: MailSummary = {
      id: newId("ml"),
      account: mailbox === OWN_MAILBOX ? null : mailbox,
      from: mail.from,
      to: mail.to,
      ...(mail.cc?.length ? { cc: mail.cc } : {}),
      subject: mail.subject,
      snippet: snippet(mail.text),
      at: mail.at,
      read: false,
      ...(attachments.length ? { attachments: attachments.length } : {}),
      verdict,
      ...(thread ? { thread } : {}),
    };
    const detail: MailDetail = {
      attachments,
      auth: { ...mail.auth, verdict },
      ...(mail.replyTo?.length ? { replyTo: mail.replyTo } : {}),
      ...(mail.messageId ? { messageId: mail.messageId } : {}),
      ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
      ...(mail.references?.length ? { references: mail.references } : {}),
      ...(mail.omitted ? { omitted: mail.omitted } : {}),
      ...(mail.unreadable ? { unreadable: true as const } : {}),
    };
    store.mail.addFiles(attachments.filter((a) => a.media).map((a) => ({ id: a.media, filename: a.filename, mime: a.mime, size: a.size })));
    this.hub.events.append({ type: "mail", mail: summary }, () =>
      store.mail.add({ summary, mailbox, remoteId: mail.remoteId, messageId: mail.messageId, text: mail.text, html: mail.html, detail }),
    );
    return summary;
  }

  // ---- reading -----------------------------------------------------------------------------

  /** `account`: an account id, `own`, or every mailbox. */
  page(account: string | undefined, before: number | undefined, limit: number) {
    if (account && account !== OWN_MAILBOX && !this.hub.store.accounts.get(account)) throw new Refused("account_not_found", "no such account");
    return this.hub.store.mail.page(account, before, limit);
  }

  read(id: string) {
    return this.hub.store.mail.full(id) ?? null;
  }

  attachment(id: string, media: string): MailAttachment | null {
    return this.hub.store.mail.attachment(id, media) ?? null;
  }

  /** Marks a mail read (or unread again) on every device; a bound mailbox's server is told it was seen. */
  markRead(id: string, read: boolean): boolean {
    const { store } = this.hub;
    const row = store.mail.get(id);
    if (!row) return false;
    if (!store.mail.setRead(id, read)) return true;
    this.hub.events.append({ type: "mail.read", id, read, at: Date.now() });
    const account = row.mailbox === OWN_MAILBOX ? undefined : store.accounts.get(row.mailbox);
    if (read && account && !account.removed && !row.summary.sent) {
      this.hub.outbox.enqueue(account.id, "mail-seen", { account: account.id, remoteIds: [row.remoteId] } satisfies MailSeen);
      this.hub.outbox.flush();
    }
    return true;
  }

  /** A file the user uploaded to attach to a mail (its bytes in R2, its media row told already). */
  fileUploaded(file: MailFile): void {
    this.hub.store.mail.addFiles([file]);
  }

  // ---- out ---------------------------------------------------------------------------------

  /** `send {to:{email, account?}, body:{type:"email"}}`: idempotent by client id. */
  send(clientId: string, to: { email: string; account?: string }, body: Body): Accepted {
    const done = this.sends.finished(clientId);
    if (done) return done;
    if (body.type !== "email") throw new Refused("unsupported_body", "only a mail can go to a mail address");
    const mailbox = to.account ?? OWN_MAILBOX;
    const from = this.sender(to.account);
    const files = this.files(body.attachments ?? []);
    const parent = body.inReplyTo ? this.hub.store.mail.get(body.inReplyTo) : undefined;
    if (body.inReplyTo && !parent) throw new Refused("mail_not_found", "the mail this answers is not here");
    const conv = remoteConversationId(mailbox, to.email.toLowerCase());
    const { msgId: id, at } = this.sends.reserve(clientId, conv);
    if (!this.hub.store.mail.get(id)) this.queue(id, at, mailbox, from, to.email, body, files, parent?.id);
    return this.sends.finish(clientId, { msgId: id, conv, at });
  }

  /** Who a mail goes out as: the own address (a relay must be configured), or a bound mailbox. */
  private sender(account: string | undefined): MailAddress {
    if (!account) {
      if (!relayServer((name) => (this.hub.env as unknown as Record<string, string | undefined>)[name])) {
        throw new Refused("mail_unavailable", "this server has no mail relay configured, so it cannot send from your own address");
      }
      const me = this.hub.profile();
      return { address: me.address, name: me.displayName };
    }
    const a = this.hub.store.accounts.get(account);
    if (!a) throw new Refused("account_not_found", "no such account");
    if (a.removed) throw new Refused("account_removed", "this account was removed; its history is read-only");
    if (a.network !== "mail") throw new Refused("unsupported_target", `a ${a.network} account cannot send mail`);
    // The name on the mail is the one in the account's (sealed) settings, which only its link knows.
    return { address: a.remote };
  }

  /** Attachments must be the user's own: uploads, or attachments of mails they received. */
  private files(ids: string[]): MailFile[] {
    return ids.map((id) => {
      const file = this.hub.store.mail.file(id);
      if (!file) throw new Refused("invalid_media", "an attachment is not one of your files");
      return file;
    });
  }

  private queue(id: string, at: number, mailbox: string, from: MailAddress, to: string, body: EmailBody, files: MailFile[], parent: string | undefined): void {
    const { store } = this.hub;
    const parentRow = parent ? store.mail.get(parent) : undefined;
    const parentDetail = parent ? store.mail.detail(parent) : undefined;
    const messageId = messageIdFor(id, from.address);
    const inReplyTo = parentRow?.messageId ?? undefined;
    const references = inReplyTo ? [...(parentDetail?.references ?? []), inReplyTo] : undefined;
    const address = (a: string): MailAddress => ({ address: a });
    const summary: MailSummary = {
      id,
      account: mailbox === OWN_MAILBOX ? null : mailbox,
      from,
      to: [address(to)],
      ...(body.cc?.length ? { cc: body.cc.map(address) } : {}),
      subject: body.subject,
      snippet: snippet(body.text),
      at,
      read: true,
      ...(files.length ? { attachments: files.length } : {}),
      verdict: "authenticated",
      ...(parentRow ? { thread: parentRow.summary.thread ?? parentRow.id } : {}),
      sent: true,
      state: "queued",
    };
    const detail: MailDetail = {
      attachments: files.map((f) => ({ media: f.id, filename: f.filename, mime: f.mime, size: f.size })),
      auth: { verdict: "authenticated" },
      ...(body.bcc?.length ? { bcc: body.bcc.map(address) } : {}),
      messageId,
      ...(inReplyTo ? { inReplyTo, references } : {}),
    };
    this.hub.events.append({ type: "mail", mail: summary }, () =>
      store.mail.add({ summary, mailbox, remoteId: messageId, messageId, text: body.text, html: body.html, detail }),
    );
    this.hub.outbox.enqueue(mailbox, "mail-send", { id } satisfies MailSend);
    this.hub.outbox.flush();
  }

  /** The outbox's sender for one queued mail: sent, tried again as the server says, or failed. */
  private async deliverOut(id: string, attempt: number): Promise<void> {
    const mail = this.hub.store.mail.full(id);
    const row = this.hub.store.mail.get(id);
    if (!mail || !row || row.state !== "queued") return;
    const body: EmailBody = {
      type: "email", subject: mail.subject, text: mail.text, ...(mail.html !== undefined ? { html: mail.html } : {}),
      ...(mail.attachments.length ? { attachments: mail.attachments.map((a) => a.media) } : {}),
      ...(mail.cc?.length ? { cc: mail.cc.map((a) => a.address) } : {}),
      ...(mail.bcc?.length ? { bcc: mail.bcc.map((a) => a.address) } : {}),
    };
    const out = { key: id, chat: mail.to.map((a) => a.address).join(", "), body, ...(mail.inReplyTo ? { replyTo: mail.inReplyTo, references: mail.references ?? [] } : {}) };
    let result: SendResult;
    try {
      result = row.mailbox === OWN_MAILBOX ? await sendViaRelay(relayIO(this.hub.env, this.hub.me), mail.from, out) : await linkOf(this.hub.env, row.mailbox).send(out);
    } catch (err) {
      result = { ok: false, code: "mail_deferred", message: err instanceof Error ? err.message : String(err), retryable: true };
    }
    if (!result.ok && result.retryable && attempt < SEND_ATTEMPTS) throw new RetryLater(result.retryAfterMs ?? Math.min(120_000, 1000 * 2 ** attempt), result.message);
    this.settle(row.mailbox, id, mail.to[0]?.address ?? "", result);
  }

  private settle(mailbox: string, id: string, to: string, result: SendResult): void {
    const state = result.ok ? "sent" : "failed";
    this.hub.store.mail.setState(id, state, result.ok ? undefined : { code: result.code, message: result.message });
    if (!result.ok) this.hub.log("warn", "mail.send_failed", { mail: id, code: result.code });
    this.hub.events.append({
      type: "status", conv: remoteConversationId(mailbox, to.toLowerCase()), msgIds: [id], state, by: mailbox, at: Date.now(),
      ...(result.ok ? {} : { reason: result.message, code: result.code }),
    });
  }
}
