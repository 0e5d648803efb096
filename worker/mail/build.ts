// Outgoing mail as MIME (RFC 5322 + RFC 2045–2047, 2231): text, an optional HTML
// alternative, attachments, and the headers a reply needs. Our own builder rather than
// mimetext: mimetext's Node build ends lines with the platform's "\n" instead of CRLF,
// encodes a whole subject as one over-long encoded word and pulls in core-js; this file is
// ~150 lines with no dependency, and postal-mime (an independent parser) checks its output.
//
// The result is 7-bit ASCII with CRLF line ends: it needs no 8BITMIME or SMTPUTF8 from the
// server. Dot-stuffing is the SMTP client's job.
import { base64Lines, encodedWords, fold, isAscii, parameter, quotedPrintable } from "./encode";
import type { MailAddress } from "./parse";

export type OutgoingAttachment = { filename: string; mime: string; bytes: Uint8Array };

export type OutgoingMail = {
  from: MailAddress;
  to: MailAddress[];
  cc?: MailAddress[];
  subject: string;
  text: string;
  html?: string;
  attachments?: OutgoingAttachment[];
  /** With <>; see `messageIdFor`. */
  messageId: string;
  /** The Message-ID of the mail this answers, and the thread's ids before it (RFC 5322 §3.6.4). */
  inReplyTo?: string;
  references?: string[];
  date?: Date;
};

export class InvalidMail extends Error {}

const CRLF = "\r\n";
// An addr-spec without quoting, comments or IP literals: what a user types, and what
// every server takes. Non-ASCII addresses would need SMTPUTF8 (RFC 6531), not offered.
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export function isMailAddress(s: string): boolean {
  return ADDRESS.test(s) && s.length <= 254;
}

/**
 * A Message-ID made from the outbox key, so a send retried after a lost reply carries the
 * same id (receivers and the hub recognise the copy). The key's characters outside
 * dot-atom-text (RFC 5322 §3.6.4) are dropped.
 */
export function messageIdFor(key: string, fromAddress: string): string {
  const left = key.replace(/[^A-Za-z0-9._-]/g, "").replace(/^\.+|\.+$/g, "").replace(/\.{2,}/g, ".") || crypto.randomUUID();
  return `<${left}@${fromAddress.split("@")[1] ?? "unibox.invalid"}>`;
}

export function buildMail(mail: OutgoingMail): Uint8Array {
  const headers = [
    ["Date", rfc5322Date(mail.date ?? new Date())],
    ["From", address(mail.from)],
    ["To", mail.to.map(address).join(", ")],
    ...(mail.cc?.length ? [["Cc", mail.cc.map(address).join(", ")]] : []),
    ["Subject", encodedWords(oneLine(mail.subject))],
    ["Message-ID", msgId(mail.messageId)],
    ...(mail.inReplyTo ? [["In-Reply-To", msgId(mail.inReplyTo)]] : []),
    ...(mail.references?.length || mail.inReplyTo ? [["References", references(mail).join(" ")]] : []),
    ["MIME-Version", "1.0"],
  ].map(([name, value]) => fold(name!, value!));
  if (!mail.to.length && !mail.cc?.length) throw new InvalidMail("a mail needs a recipient");
  const text = mail.html ? alternative(mail.text, mail.html) : textPart("plain", mail.text);
  const top = mail.attachments?.length ? mixed(text, mail.attachments) : text;
  return new TextEncoder().encode([...headers, render(top)].join(CRLF));
}

/** References: the thread's ids, then the parent's, once each (RFC 5322 §3.6.4). */
function references(mail: OutgoingMail): string[] {
  const ids = [...(mail.references ?? []), ...(mail.inReplyTo ? [mail.inReplyTo] : [])].map(msgId);
  return [...new Set(ids)];
}

type Part = { headers: string[]; body: string };

function textPart(kind: "plain" | "html", text: string): Part {
  const normal = text.replace(/\r\n|\r|\n/g, CRLF);
  const plain = isAscii(normal) && normal.split(CRLF).every((l) => l.length <= 76);
  return {
    headers: [`Content-Type: text/${kind}; charset=utf-8`, `Content-Transfer-Encoding: ${plain ? "7bit" : "quoted-printable"}`],
    body: plain ? normal : quotedPrintable(text),
  };
}

function alternative(text: string, html: string): Part {
  return multipart("alternative", [textPart("plain", text), textPart("html", html)]);
}

function mixed(body: Part, attachments: OutgoingAttachment[]): Part {
  return multipart("mixed", [body, ...attachments.map(attachmentPart)]);
}

function attachmentPart(a: OutgoingAttachment): Part {
  const mime = /^[\w.+-]+\/[\w.+-]+$/.test(a.mime) ? a.mime : "application/octet-stream";
  const name = oneLine(a.filename) || "attachment";
  return {
    headers: [fold("Content-Type", `${mime}; ${parameter("name", name)}`), fold("Content-Disposition", `attachment; ${parameter("filename", name)}`), "Content-Transfer-Encoding: base64"],
    body: base64Lines(a.bytes),
  };
}

function multipart(subtype: string, parts: Part[]): Part {
  // "=_" cannot occur in base64 or in quoted-printable output, so no part can contain it.
  const boundary = `=_ub_${crypto.randomUUID().replaceAll("-", "")}`;
  const body = parts.map((p) => `--${boundary}${CRLF}${render(p)}`).join(CRLF);
  return { headers: [`Content-Type: multipart/${subtype};${CRLF} boundary="${boundary}"`], body: `${body}${CRLF}--${boundary}--${CRLF}` };
}

const render = (p: Part) => `${p.headers.join(CRLF)}${CRLF}${CRLF}${p.body}`;

/** A header value on one line: a CR or LF from user input must not start a header of its own. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ").trim();

function address(a: MailAddress): string {
  if (!isMailAddress(a.address)) throw new InvalidMail(`${a.address} is not a mail address`);
  const name = oneLine(a.name ?? "");
  if (!name) return a.address;
  if (!isAscii(name)) return `${encodedWords(name)} <${a.address}>`;
  const phrase = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$/.test(name) ? name : `"${name.replace(/["\\]/g, "\\$&")}"`;
  return `${phrase} <${a.address}>`;
}

function msgId(id: string): string {
  const bare = id.trim().replace(/^<|>$/g, "");
  if (!/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(bare) || /[<>\s]/.test(bare)) throw new InvalidMail(`${id} is not a message id`);
  return `<${bare}>`;
}

/** "Tue, 01 Jul 2025 10:00:00 +0000" (RFC 5322 §3.3). */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, "+0000");
}
