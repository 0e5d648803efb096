// Sending an email body over SMTP: the MIME is built by worker/mail/build.ts, its
// Message-ID comes from the outbox key (so a retry is recognisably the same mail) and is
// the remoteId. Used for a bound mailbox's own SMTP server and for the relay (relay.ts).
import { addressParser } from "postal-mime";
import type { Body } from "../../../core/protocol";
import { InvalidMail, type OutgoingAttachment, buildMail, isMailAddress, messageIdFor } from "../../mail/build";
import type { MailAddress } from "../../mail/parse";
import { type LinkIO, type Outbound, RemoteError, type SendResult } from "../types";
import { type SmtpServer, SmtpRefused, SmtpSession, heloName } from "./smtp";
import { WireClosed } from "./wire";

export type SendIO = Pick<LinkIO, "connect" | "media" | "publicUrl" | "log">;
type EmailBody = Extract<Body, { type: "email" }>;

/**
 * Sends `out` (an email body, to the address or list of addresses in `out.chat`; cc and
 * bcc when the body has them) from `from` through `server`. A wrong SMTP password throws
 * RemoteError("auth"); every other failure is a SendResult: 4xx and a server that cannot
 * be reached are retryable, 5xx are not and carry the server's words.
 */
export async function sendMail(io: SendIO, server: SmtpServer, from: MailAddress, out: Outbound): Promise<SendResult> {
  if (out.body.type !== "email") return refused("unsupported_body", "only mail can be sent to a mail address");
  const body = out.body as EmailBody;
  const to = addresses(out.chat);
  const cc = (body.cc ?? []).flatMap(addresses);
  const bcc = (body.bcc ?? []).flatMap(addresses);
  const bad = [...to, ...cc, ...bcc].find((a) => !isMailAddress(a.address));
  if (bad || !to.length) return refused("invalid_target", `${bad?.address ?? out.chat} is not a mail address`);
  const attachments = await attachmentsOf(io, body.attachments ?? []);
  if (!Array.isArray(attachments)) return attachments;
  const messageId = messageIdFor(out.key, from.address);
  let raw: Uint8Array;
  try {
    const thread = out.replyTo && isMessageId(out.replyTo) ? out.replyTo : undefined;
    const references = thread ? [...(out.references ?? []).filter(isMessageId), thread] : [];
    raw = buildMail({ from, to, cc, subject: body.subject, text: body.text, html: body.html, attachments, messageId, inReplyTo: thread, references });
  } catch (e) {
    if (e instanceof InvalidMail) return refused("invalid_input", e.message);
    throw e;
  }
  return deliver(io, server, { from: from.address, to: [...to, ...cc, ...bcc].map((a) => a.address) }, raw, messageId);
}

async function deliver(io: SendIO, server: SmtpServer, envelope: { from: string; to: string[] }, raw: Uint8Array, messageId: string): Promise<SendResult> {
  try {
    const session = await SmtpSession.open(io, server, heloName(io.publicUrl));
    try {
      await session.send(envelope, raw);
    } finally {
      await session.quit();
    }
    io.log("mail.sent", { recipients: envelope.to.length, bytes: raw.length });
    return { ok: true, remoteId: messageId, at: Date.now() };
  } catch (e) {
    if (e instanceof RemoteError && e.kind === "auth") throw e;
    io.log("mail.send_failed", { host: server.host, reason: e instanceof SmtpRefused ? `${e.step} ${e.code}` : (e as Error).message });
    return failure(server.host, e);
  }
}

function failure(host: string, e: unknown): SendResult {
  if (e instanceof SmtpRefused) {
    const message = `${host} ${e.temporary ? "deferred" : "refused"} the mail: ${e.message}`;
    return e.temporary ? { ok: false, code: "mail_deferred", message, retryable: true } : { ok: false, code: "mail_refused", message, retryable: false };
  }
  if (e instanceof WireClosed || (e instanceof RemoteError && e.kind === "transient")) return { ok: false, code: "mail_deferred", message: (e as Error).message, retryable: true };
  return { ok: false, code: "mail_refused", message: (e as Error).message, retryable: false };
}

/** "a@x.org", "A <a@x.org>, b@y.org": the mailboxes in an address list. */
function addresses(list: string): MailAddress[] {
  return addressParser(list, { flatten: true }).map((m) => ({ address: m.address ?? "", ...(m.name ? { name: m.name } : {}) }));
}

async function attachmentsOf(io: SendIO, ids: string[]): Promise<OutgoingAttachment[] | SendResult> {
  const out: OutgoingAttachment[] = [];
  for (const [i, id] of ids.entries()) {
    const media = await io.media.get(id);
    if (!media) return refused("media_not_found", `attachment ${id} is not there any more`);
    out.push({ bytes: media.bytes, mime: media.mime, filename: media.filename ?? `attachment-${i + 1}${extension(media.mime)}` });
  }
  return out;
}

const EXTENSIONS: Record<string, string> = { "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp", "application/pdf": ".pdf", "audio/mpeg": ".mp3", "audio/ogg": ".ogg", "video/mp4": ".mp4", "video/webm": ".webm", "text/plain": ".txt" };
const extension = (mime: string) => EXTENSIONS[mime] ?? "";

const isMessageId = (id: string) => /^<[^<>\s]+@[^<>\s]+>$/.test(id);

const refused = (code: "unsupported_body" | "invalid_target" | "invalid_input" | "media_not_found", message: string): SendResult => ({ ok: false, code, message, retryable: false });
