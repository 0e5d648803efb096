// A raw RFC 5322 message → the common mail shape, with postal-mime (it runs in workerd and
// in Node). Used by the mail connector (IMAP) and the Worker's own email() handler.
//
// Odd mail never throws and never loses the message: when the parser fails, or finds no
// text, HTML or attachment in a message that has a body (a broken MIME boundary, garbage),
// the body is shown as text as it came and the whole message is kept as "original.eml".
import PostalMime, { type Address, type Email, addressParser } from "postal-mime";
import { type AuthResults, type AuthVerdict, arcResults, authResults, authVerdict } from "./auth-results";
import { htmlToText } from "./html-text";
import { bodyOf, bodyStart, eightBitHeader, lossyText, topCharset } from "./raw";

export type MailAddress = { address: string; name?: string };

export type ParsedAttachment = {
  filename: string;
  mime: string;
  size: number;
  /** Absent when `omitted`: the bytes were not kept. */
  bytes?: Uint8Array;
  /** Why the bytes were not kept: over `maxAttachmentBytes`. */
  omitted?: "too_large";
  /** The Content-ID (with <>) an HTML body refers to as cid:, for inline pictures. */
  contentId?: string;
};

export type ParsedMail = {
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  replyTo?: MailAddress[];
  subject: string;
  /** Always set: the text part, else a reading of the HTML, else "". */
  text: string;
  html?: string;
  attachments: ParsedAttachment[];
  /** Sent time from Date; the arrival time when Date is missing, unreadable or in the future. */
  at: number;
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  auth?: AuthResults;
  verdict: AuthVerdict;
  /** The parser could not read the structure; `text` is the raw body and original.eml the message. */
  unreadable?: true;
};

export type ParseOptions = {
  /** When the message arrived (IMAP INTERNALDATE, the email() call): the fallback for `at`. */
  receivedAt?: number;
  /** Attachments larger than this keep their name and size but not their bytes. */
  maxAttachmentBytes?: number;
  /**
   * The authserv-id of the server that received the mail (RFC 8601), when known. With it,
   * that server's ARC-Authentication-Results count too when it wrote no Authentication-Results.
   */
  trustedAuthServId?: string;
};

/** The largest attachment kept, as most providers' own limit (25 MB). */
export const MAIL_ATTACHMENT_LIMIT = 25 * 1024 * 1024;
/** Longest text and HTML kept inline (the email body's own limits in core/protocol.ts). */
export const MAIL_TEXT_CHARS = 200_000;
export const MAIL_HTML_CHARS = 500_000;
const DAY = 86_400_000;

export async function parseMail(raw: Uint8Array | string, opts: ParseOptions = {}): Promise<ParsedMail> {
  const bytes = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
  let email: Email;
  try {
    email = await PostalMime.parse(bytes, { attachmentEncoding: "arraybuffer" });
  } catch {
    return rescue(empty(opts), bytes, opts);
  }
  const mail = fromEmail(email, bytes, opts);
  const found = mail.text.trim() || mail.html || mail.attachments.length;
  const hasBody = !bodyStart(bytes) ? bytes.some((b) => b > 32) : bodyOf(bytes).some((b) => b > 32);
  return found || !hasBody ? mail : rescue(mail, bytes, opts);
}

function fromEmail(email: Email, raw: Uint8Array, opts: ParseOptions): ParsedMail {
  const receivedAt = opts.receivedAt ?? Date.now();
  const charset = topCharset(email.headers.find((h) => h.key === "content-type")?.value);
  const from = mailboxes(email.from ? [email.from] : email.sender ? [email.sender] : [])[0] ?? { address: email.returnPath ?? "" };
  const fromName = eightBitHeader(raw, "from", charset);
  if (fromName) from.name = addressParser(fromName, { flatten: true })[0]?.name || from.name;
  const values = (key: string) => email.headers.filter((h) => h.key === key).map((h) => h.value);
  const trusted = opts.trustedAuthServId;
  const auth = authResults(values("authentication-results"), trusted) ?? (trusted ? arcResults(values("arc-authentication-results"), trusted) : undefined);
  const mail: ParsedMail = {
    from,
    to: mailboxes(email.to),
    cc: mailboxes(email.cc),
    replyTo: email.replyTo ? mailboxes(email.replyTo) : undefined,
    subject: eightBitHeader(raw, "subject", charset) ?? email.subject ?? "",
    text: "",
    attachments: email.attachments.map((a, i) => attachment(a, i, opts.maxAttachmentBytes ?? MAIL_ATTACHMENT_LIMIT)),
    at: sentAt(email.date, receivedAt),
    messageId: msgIds(email.messageId)[0],
    inReplyTo: msgIds(email.inReplyTo)[0],
    references: msgIds(email.references),
    auth,
    verdict: authVerdict(auth),
  };
  return withBodies(mail, email.text, email.html);
}

/** Text and HTML within their limits; an HTML too long to keep inline becomes an attachment. */
function withBodies(mail: ParsedMail, text: string | undefined, html: string | undefined): ParsedMail {
  mail.text = clip((text ?? (html ? htmlToText(html) : "")).trimEnd(), MAIL_TEXT_CHARS);
  if (html && html.length > MAIL_HTML_CHARS) {
    const bytes = new TextEncoder().encode(html);
    mail.attachments.push({ filename: "message.html", mime: "text/html", size: bytes.length, bytes });
  } else if (html) mail.html = html;
  return mail;
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function attachment(a: Email["attachments"][number], i: number, max: number): ParsedAttachment {
  const bytes = new Uint8Array(a.content as ArrayBuffer);
  const out: ParsedAttachment = { filename: a.filename || `attachment-${i + 1}`, mime: a.mimeType || "application/octet-stream", size: bytes.byteLength };
  if (a.contentId) out.contentId = a.contentId;
  if (bytes.byteLength > max) out.omitted = "too_large";
  else out.bytes = bytes;
  return out;
}

function mailboxes(list: Address[] | undefined): MailAddress[] {
  return (list ?? []).flatMap((a) => (a.group ?? [a])).map((m) => (m.name ? { address: m.address, name: m.name } : { address: m.address }));
}

/** Message ids as <id>, from a header that may hold several (References) or junk. */
function msgIds(value: string | undefined): string[] {
  if (!value) return [];
  const bracketed = value.match(/<[^<>\s]+>/g);
  if (bracketed) return bracketed;
  return value.split(/[\s,]+/).filter(Boolean).map((id) => `<${id}>`);
}

function sentAt(date: string | undefined, receivedAt: number): number {
  const at = date ? Date.parse(date) : NaN;
  // A date far ahead (a broken clock, or spam wanting the top of the list) is not believed.
  return Number.isFinite(at) && at <= receivedAt + DAY ? at : receivedAt;
}

function empty(opts: ParseOptions): ParsedMail {
  return { from: { address: "" }, to: [], cc: [], subject: "", text: "", attachments: [], at: opts.receivedAt ?? Date.now(), references: [], verdict: "unverified" };
}

/** The message as it came: its body as text, and the whole of it as original.eml. */
function rescue(mail: ParsedMail, raw: Uint8Array, opts: ParseOptions): ParsedMail {
  const body = bodyStart(raw) ? bodyOf(raw) : raw;
  // Control characters other than tab and newline are what garbage looks like; drop them.
  const text = lossyText(body.subarray(0, 4 * MAIL_TEXT_CHARS)).replace(/\r\n?/g, "\n").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
  const max = opts.maxAttachmentBytes ?? MAIL_ATTACHMENT_LIMIT;
  const original: ParsedAttachment = { filename: "original.eml", mime: "message/rfc822", size: raw.byteLength };
  if (raw.byteLength > max) original.omitted = "too_large";
  else original.bytes = raw;
  return { ...mail, text: clip(text.trim(), MAIL_TEXT_CHARS), html: undefined, attachments: [...mail.attachments, original], unreadable: true };
}
