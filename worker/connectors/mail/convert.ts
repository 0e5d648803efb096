// A fetched message → the common mail shape: parsed by worker/mail, its attachments put in
// Unibox's media store, its id the Message-ID (see worker/mail/identity.ts).
import { mailId } from "../../mail/identity";
import { type ParsedMail, parseMail } from "../../mail/parse";
import type { LinkIO, RemoteMail } from "../types";

export type MailAttachmentRef = NonNullable<RemoteMail["attachments"]>[number];
/** A fetched mail always lists its attachments (an empty list when it has none). */
export type FetchedMail = RemoteMail & { attachments: MailAttachmentRef[] };

type MediaIO = Pick<LinkIO, "media" | "log">;

export async function toRemoteMail(io: MediaIO, raw: Uint8Array, receivedAt: number | undefined): Promise<FetchedMail> {
  const parsed = await parseMail(raw, { receivedAt });
  return { remoteId: await mailId(raw, parsed.messageId), ...mailFields(parsed), attachments: await store(io, parsed) };
}

/** What a parsed mail says, in the common shape; its id and attachments are the caller's. */
export function mailFields(parsed: ParsedMail): Omit<RemoteMail, "remoteId" | "attachments"> {
  return {
    from: parsed.from,
    to: parsed.to,
    ...(parsed.cc.length ? { cc: parsed.cc } : {}),
    ...(parsed.replyTo?.length ? { replyTo: parsed.replyTo } : {}),
    subject: parsed.subject,
    text: parsed.text,
    ...(parsed.html ? { html: parsed.html } : {}),
    at: parsed.at,
    ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
    ...(parsed.inReplyTo ? { inReplyTo: parsed.inReplyTo } : {}),
    ...(parsed.references.length ? { references: parsed.references } : {}),
    auth: { ...parsed.auth, verdict: parsed.verdict },
    ...(parsed.unreadable ? { unreadable: true as const } : {}),
  };
}

/** A message too large to fetch: its headers, and a body that says so. */
export async function headersOnly(io: MediaIO, header: Uint8Array, size: number, receivedAt: number | undefined): Promise<FetchedMail> {
  const mail = await toRemoteMail(io, header, receivedAt);
  const mb = (size / 1024 / 1024).toFixed(1);
  return { ...mail, text: `This message is ${mb} MB, too large for Unibox to fetch. Open it in your mail program.`, attachments: [], omitted: "too_large" };
}

async function store(io: MediaIO, parsed: ParsedMail): Promise<MailAttachmentRef[]> {
  const out: MailAttachmentRef[] = [];
  for (const a of parsed.attachments) {
    const ref: MailAttachmentRef = { media: "", filename: a.filename, mime: a.mime, size: a.size, ...(a.contentId ? { contentId: a.contentId } : {}) };
    if (!a.bytes) out.push({ ...ref, omitted: "too_large" });
    else {
      try {
        // A PDF or zip is kept as a file where the store can (putFile); a picture either way.
        const stored = io.media.putFile ? await io.media.putFile(a.bytes, a.mime, a.filename) : await io.media.put(a.bytes, a.mime, a.filename);
        out.push({ ...ref, media: stored.id, type: stored.type });
      } catch (e) {
        // The mail is kept whatever happens to one attachment; the reason goes to the log.
        io.log("mail.attachment_not_stored", { mime: a.mime, size: a.size, reason: (e as Error).message });
        out.push({ ...ref, omitted: "not_stored" });
      }
    }
  }
  return out;
}
