// The own address: Cloudflare Email Routing hands every mail to *@MAIL_DOMAIN to email()
// (a catch-all rule to this Worker). The recipient is found by handle (handle+tag@ works,
// case does not matter), the mail parsed (worker/mail/parse.ts never throws: odd mail is
// kept as it came), its attachments put in R2, and the user's hub stores and pushes it.
//
// Refused with setReject (a permanent SMTP refusal the sender sees): an address with no
// user, and mail over the size limit. Anything else that goes wrong (R2, D1, the hub)
// throws, which Email Routing turns into a temporary failure: the sending server keeps the
// mail and tries again later, so nothing is lost. A retry is recognised by the mail's id.
import { eq } from "drizzle-orm";
import { readCapped } from "../core/bytes";
import { hubOf } from "../durable-objects/stubs";
import { mailFields } from "./connectors/mail/convert";
import { storeRemoteFile } from "./connectors/media";
import { RemoteError, type RemoteMail } from "./connectors/types";
import { db } from "./db/client";
import { users } from "./db/schema";
import type { Env } from "./env";
import { mailId } from "./mail/identity";
import { type ParsedMail, parseMail } from "./mail/parse";

/** Email Routing's own limit (25 MiB); MAIL_MAX_BYTES can only lower it. */
const ROUTING_LIMIT = 25 * 1024 * 1024;

type Incoming = Pick<ForwardableEmailMessage, "from" | "to" | "raw" | "rawSize" | "setReject">;

export async function email(message: Incoming, env: Env): Promise<void> {
  const handle = handleOf(message.to, env.MAIL_DOMAIN);
  const user = handle ? await db(env.DB).query.users.findFirst({ where: eq(users.handle, handle), columns: { id: true } }) : undefined;
  if (!user) {
    log("mail.refused", { reason: "unknown_recipient" });
    return message.setReject(`no mailbox ${message.to} here`);
  }
  const limit = maxBytes(env);
  const raw = message.rawSize > limit ? null : await readCapped(message.raw, limit);
  if (!raw) {
    log("mail.refused", { user: user.id, reason: "too_large", bytes: message.rawSize });
    const size = message.rawSize > limit ? sizeOf(message.rawSize) : `over ${sizeOf(limit)}`;
    return message.setReject(`mail to ${env.MAIL_DOMAIN} is limited to ${sizeOf(limit)}; this message is ${size}`);
  }
  const hub = hubOf(env, user.id);
  const parsed = await parseMail(raw, { receivedAt: Date.now(), trustedAuthServId: env.MAIL_AUTHSERV_ID || undefined });
  const id = await mailId(raw, parsed.messageId);
  // A redelivery after a failure further on: the hub has it, so its attachments are not stored twice.
  if (await hub.hasMail(id)) return log("mail.duplicate", { user: user.id });
  const mail = await toRemoteMail(env, user.id, id, parsed);
  const stored = await hub.receiveMail(mail);
  log("mail.received", { user: user.id, mail: "id" in stored ? stored.id : "duplicate", bytes: raw.length, attachments: mail.attachments?.length ?? 0, unreadable: parsed.unreadable ?? false });
}

/**
 * The handle a recipient address names: `Alice+news@unibox.example` → `alice`, or null when
 * the domain is not ours or the local part is no handle.
 */
export function handleOf(address: string, domain: string): string | null {
  const at = address.lastIndexOf("@");
  if (at <= 0 || address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return null;
  const local = address.slice(0, at).split("+")[0]!.toLowerCase();
  return /^[a-z0-9_]{3,20}$/.test(local) ? local : null;
}

async function toRemoteMail(env: Env, owner: string, remoteId: string, parsed: ParsedMail): Promise<RemoteMail> {
  const attachments: NonNullable<RemoteMail["attachments"]> = [];
  for (const a of parsed.attachments) {
    const ref = { media: "", filename: a.filename, mime: a.mime, size: a.size, ...(a.contentId ? { contentId: a.contentId } : {}) };
    if (!a.bytes) {
      attachments.push({ ...ref, omitted: "too_large" });
      continue;
    }
    try {
      const kept = await storeRemoteFile(env, owner, a.bytes, a.mime, a.filename);
      attachments.push({ ...ref, media: kept.id, type: kept.type });
    } catch (err) {
      if (!(err instanceof RemoteError)) throw err; // the store is down: fail now, the sender retries
      attachments.push({ ...ref, omitted: "not_stored" });
    }
  }
  return { remoteId, ...mailFields(parsed), attachments };
}

function maxBytes(env: Env): number {
  const set = Number(env.MAIL_MAX_BYTES);
  return Number.isFinite(set) && set > 0 ? Math.min(set, ROUTING_LIMIT) : ROUTING_LIMIT;
}

/** "25 MB", "2 KB", "1.5 MB": what a sender reads in the refusal. */
function sizeOf(bytes: number): string {
  const [n, unit] = bytes >= 1024 * 1024 ? [bytes / 1024 / 1024, "MB"] : [bytes / 1024, "KB"];
  return `${n.toFixed(1).replace(/\.0$/, "")} ${unit}`;
}

/** No addresses, subjects or bodies in logs: ids and sizes only. */
function log(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, ...fields }));
}
