import type { Mail, MailAttachment, MailSummary } from "../../../core/protocol";
import { mailIndexText } from "./search";

/** What a mail keeps beyond its summary, stored apart from its text and HTML. */
export type MailDetail = Omit<Mail, Exclude<keyof MailSummary, "attachments"> | "text" | "html">;

export type MailRow = {
  id: string;
  mailbox: string;
  remoteId: string;
  messageId: string | null;
  summary: MailSummary;
  read: boolean;
  state: MailSummary["state"] | null;
};

type Row = { id: string; mailbox: string; remote_id: string; message_id: string | null; summary: string; read: number; state: string | null };

/** A file a mail carries or a compose attached: what a download and a forward need to know. */
export type MailFile = { id: string; filename: string; mime: string; size: number };

/**
 * The user's mail, every mailbox (`own` or an account id) in one table, in arrival order,
 * deduped by (mailbox, remote id). A mail's text and HTML are rows of their own: together
 * they can be near the 2 MB a Durable Object's SQLite row may hold.
 */
export class MailStore {
  constructor(private sql: SqlStorage) {}

  /** Mail matching every word, newest first, from one mailbox or all, within the dates. */
  find(match: string, f: { mailbox?: string; senders?: string[]; from?: number; to?: number; before?: number }, limit: number): (MailSummary & { pos: number; text: string })[] {
    const where = ["mail_search MATCH ?"];
    const args: (string | number)[] = [match];
    if (f.mailbox) where.push("m.mailbox = ?"), args.push(f.mailbox);
    if (f.senders) {
      if (f.senders.length === 0) return [];
      const some = f.senders.slice(0, 80);
      where.push(`lower(json_extract(m.summary, '$.from.address')) IN (${some.map(() => "?").join(",")})`), args.push(...some.map((a) => a.toLowerCase()));
    }
    if (f.from !== undefined) where.push("m.at >= ?"), args.push(f.from);
    if (f.to !== undefined) where.push("m.at <= ?"), args.push(f.to);
    if (f.before !== undefined) where.push("m.at < ?"), args.push(f.before);
    return this.sql
      .exec<Row & { pos: number; text: string | null }>(
        `SELECT m.*, p.content AS text FROM mail_search s JOIN mails m ON m.pos = s.rowid LEFT JOIN mail_parts p ON p.mail = m.id AND p.part = 'text' WHERE ${where.join(" AND ")} ORDER BY m.at DESC LIMIT ?`,
        ...args, limit,
      )
      .toArray()
      .map((r) => ({ ...withState(toRow(r)), pos: r.pos, text: r.text ?? "" }));
  }

  /** Everyone who wrote to a mailbox (received mail only), by address. */
  senders(mailbox: string): { address: string; name?: string }[] {
    return this.sql
      .exec<{ address: string; name: string | null }>(
        "SELECT lower(json_extract(summary, '$.from.address')) AS address, MAX(json_extract(summary, '$.from.name')) AS name FROM mails WHERE mailbox = ? AND sent = 0 GROUP BY address LIMIT 500",
        mailbox,
      )
      .toArray()
      .filter((r) => r.address)
      .map((r) => ({ address: r.address, ...(r.name ? { name: r.name } : {}) }));
  }

  has(mailbox: string, remoteId: string): boolean {
    return this.sql.exec("SELECT 1 FROM mails WHERE mailbox = ? AND remote_id = ?", mailbox, remoteId).toArray().length > 0;
  }

  /** Stores a mail; false when this (mailbox, remote id) is here already. */
  add(mail: { summary: MailSummary; mailbox: string; remoteId: string; messageId?: string; text: string; html?: string; detail: MailDetail }): boolean {
    const { summary } = mail;
    const written = this.sql.exec(
      "INSERT OR IGNORE INTO mails (id, mailbox, remote_id, message_id, thread, at, read, sent, state, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      summary.id, mail.mailbox, mail.remoteId, mail.messageId ?? null, summary.thread ?? null, summary.at, summary.read ? 1 : 0, summary.sent ? 1 : 0, summary.state ?? null, JSON.stringify(summary),
    ).rowsWritten;
    if (written === 0) return false;
    const pos = this.sql.exec<{ pos: number }>("SELECT last_insert_rowid() AS pos").one().pos;
    // Searchable from the moment it is stored (store/search.ts), in the same step.
    this.sql.exec("INSERT INTO mail_search (rowid, text) VALUES (?, ?)", pos, mailIndexText(summary.subject, summary.from.name ?? summary.from.address, mail.text));
    this.sql.exec("INSERT INTO mail_parts (mail, part, content) VALUES (?, 'text', ?)", summary.id, mail.text);
    if (mail.html !== undefined) this.sql.exec("INSERT INTO mail_parts (mail, part, content) VALUES (?, 'html', ?)", summary.id, mail.html);
    this.sql.exec("INSERT INTO mail_parts (mail, part, content) VALUES (?, 'detail', ?)", summary.id, JSON.stringify(mail.detail));
    return true;
  }

  get(id: string): MailRow | undefined {
    const row = this.sql.exec<Row>("SELECT id, mailbox, remote_id, message_id, summary, read, state FROM mails WHERE id = ?", id).toArray()[0];
    return row && toRow(row);
  }

  /** The whole mail as GET /api/mail/:id serves it. */
  full(id: string): Mail | undefined {
    const row = this.get(id);
    if (!row) return undefined;
    const parts = new Map(this.sql.exec<{ part: string; content: string }>("SELECT part, content FROM mail_parts WHERE mail = ?", id).toArray().map((p) => [p.part, p.content]));
    const detail = JSON.parse(parts.get("detail") ?? '{"attachments":[],"auth":{"verdict":"unverified"}}') as MailDetail;
    const html = parts.get("html");
    const { attachments: _, ...summary } = withState(row);
    return { ...summary, ...detail, text: parts.get("text") ?? "", ...(html !== undefined ? { html } : {}) };
  }

  /** Newest first; `before` is the cursor of the next older page. */
  page(mailbox: string | undefined, before: number | undefined, limit: number): { mails: MailSummary[]; before?: string } {
    const rows = this.sql
      .exec<Row & { pos: number }>(
        `SELECT pos, id, mailbox, remote_id, message_id, summary, read, state FROM mails WHERE pos < ? ${mailbox ? "AND mailbox = ?" : ""} ORDER BY pos DESC LIMIT ?`,
        ...[before ?? Number.MAX_SAFE_INTEGER, ...(mailbox ? [mailbox] : []), limit + 1],
      )
      .toArray();
    const page = rows.slice(0, limit);
    return { mails: page.map((r) => withState(toRow(r))), ...(rows.length > limit ? { before: String(page.at(-1)!.pos) } : {}) };
  }

  /** Sets read or unread; false when it already was. */
  setRead(id: string, read: boolean): boolean {
    return this.sql.exec("UPDATE mails SET read = ? WHERE id = ? AND read <> ?", read ? 1 : 0, id, read ? 1 : 0).rowsWritten > 0;
  }

  /** A sent mail's progress (queued → sent | failed), and why it failed. */
  setState(id: string, state: "queued" | "sent" | "failed", error?: { code: string; message: string }): void {
    this.sql.exec("UPDATE mails SET state = ? WHERE id = ?", state, id);
    const detail = this.detail(id);
    if (!detail) return;
    const { error: _, ...rest } = detail;
    this.sql.exec("UPDATE mail_parts SET content = ? WHERE mail = ? AND part = 'detail'", JSON.stringify(error ? { ...rest, error } : rest), id);
  }

  /** The thread a mail answering these Message-IDs belongs to: the thread of the newest known one. */
  threadOf(messageIds: string[]): string | undefined {
    const ids = messageIds.slice(-50);
    if (ids.length === 0) return undefined;
    const row = this.sql
      .exec<{ id: string; thread: string | null }>(`SELECT id, thread FROM mails WHERE message_id IN (${ids.map(() => "?").join(",")}) ORDER BY pos DESC LIMIT 1`, ...ids)
      .toArray()[0];
    return row ? (row.thread ?? row.id) : undefined;
  }

  unread(mailbox: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM mails WHERE mailbox = ? AND read = 0 AND sent = 0", mailbox).toArray()[0]?.n ?? 0;
  }

  // ---- files: attachments received and uploaded for compose -------------------------------

  addFiles(files: MailFile[]): void {
    for (const f of files) this.sql.exec("INSERT OR IGNORE INTO mail_files (id, filename, mime, size) VALUES (?, ?, ?, ?)", f.id, f.filename, f.mime, f.size);
  }

  file(id: string): MailFile | undefined {
    return this.sql.exec<MailFile>("SELECT id, filename, mime, size FROM mail_files WHERE id = ?", id).toArray()[0];
  }

  /** The attachment of a mail by media id, if that mail carries it. */
  attachment(mailId: string, media: string): MailAttachment | undefined {
    return this.detail(mailId)?.attachments.find((a) => a.media === media && a.media !== "");
  }

  detail(id: string): MailDetail | undefined {
    const row = this.sql.exec<{ content: string }>("SELECT content FROM mail_parts WHERE mail = ? AND part = 'detail'", id).toArray()[0];
    return row && (JSON.parse(row.content) as MailDetail);
  }
}

function toRow(r: Row): MailRow {
  return { id: r.id, mailbox: r.mailbox, remoteId: r.remote_id, messageId: r.message_id, summary: JSON.parse(r.summary) as MailSummary, read: r.read === 1, state: (r.state as MailRow["state"]) ?? null };
}

/** The summary with its live read state and, for a sent mail, how far it got. */
function withState(row: MailRow): MailSummary {
  return { ...row.summary, read: row.read, ...(row.state ? { state: row.state } : {}) };
}
