import type { Body, Message } from "../../../core/protocol";
import { chunked } from "../../../worker/db/client";
import { type MessageRow, toMessage, type StoredMessage } from "./messages";

/**
 * Full-text search over the user's messages (every source: native, groups, bound networks,
 * mail bodies), in an FTS5 table of the hub's own SQLite. The table is contentless
 * (`content=''`): the text is in `messages` already, the index only maps words to a
 * message's `pos` (its rowid there). Written in the same step as the message.
 */
export class SearchStore {
  constructor(private sql: SqlStorage) {}

  /** One statement per message, beside its insert (no D1, nothing awaited). */
  add(pos: number, msg: Pick<Message, "body" | "name">): void {
    const text = indexText(msg.body, msg.name);
    if (text) this.sql.exec("INSERT INTO message_search (rowid, text) VALUES (?, ?)", pos, text);
  }

  /** Several at once: a statement per fifty. */
  addMany(items: { pos: number; msg: Pick<Message, "body" | "name"> }[]): void {
    const rows = items.map(({ pos, msg }) => [pos, indexText(msg.body, msg.name)] as const).filter(([, text]) => text);
    for (const part of chunked(rows, 2, 0)) {
      this.sql.exec(`INSERT INTO message_search (rowid, text) VALUES ${part.map(() => "(?, ?)").join(", ")}`, ...part.flat());
    }
  }

  /**
   * Messages matching every word of `q`, newest first, within the filters. `convs` limits the
   * search to those conversations (a person's); `before` is "at:pos" of the last hit shown.
   */
  find(q: string, f: SearchFilter, limit: number): StoredMessage[] {
    const match = matchQuery(q);
    if (!match) return [];
    const where = ["message_search MATCH ?"];
    const args: (string | number)[] = [match];
    if (f.source) where.push("m.source = ?"), args.push(f.source);
    if (f.from !== undefined) where.push("m.at >= ?"), args.push(f.from);
    if (f.to !== undefined) where.push("m.at <= ?"), args.push(f.to);
    if (f.before) where.push("(m.at < ? OR (m.at = ? AND m.pos < ?))"), args.push(f.before.at, f.before.at, f.before.pos);
    if (f.convs) {
      if (f.convs.length === 0) return [];
      where.push(`m.conv IN (${f.convs.map(() => "?").join(",")})`), args.push(...f.convs.slice(0, 80));
    }
    return this.sql
      .exec<MessageRow>(`SELECT m.* FROM message_search s JOIN messages m ON m.pos = s.rowid WHERE ${where.join(" AND ")} ORDER BY m.at DESC, m.pos DESC LIMIT ?`, ...args, limit)
      .toArray()
      .map((r) => ({ ...toMessage(r), pos: r.pos }) as StoredMessage & { pos: number });
  }
}

export type SearchFilter = { source?: string; from?: number; to?: number; convs?: string[]; before?: { at: number; pos: number } };

/** What of a body is searchable: its text, caption, subject, place, and the sender's name. */
export function bodyText(body: Body): string {
  switch (body.type) {
    case "text":
      return body.text;
    case "email":
      return `${body.subject}\n${body.text}`;
    case "location":
      return body.label ?? "";
    default:
      return body.caption ?? "";
  }
}

/** What a mail is found by: its subject, who sent it, and its text. */
export function mailIndexText(subject: string, from: string, text: string): string {
  return spaceIdeographs([subject, from, text].join("\n").trim());
}

function indexText(body: Body, name?: string): string {
  return spaceIdeographs([bodyText(body), name ?? ""].join("\n").trim());
}

// FTS5's unicode61 tokenizer splits on spaces and punctuation, so a run of Chinese or
// Japanese characters would be one token and a word inside it could not be found. Each such
// character becomes its own token; a query's run becomes a phrase of them (adjacent, in order).
const IDEOGRAPH = /(\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul})/gu;
const spaceIdeographs = (s: string): string => s.replace(IDEOGRAPH, " $1 ");

/** The user's words as an FTS5 query: every word must match, each as a prefix; no operator of theirs is read. */
export function matchQuery(q: string): string | null {
  const words = q.normalize("NFKC").split(/\s+/).filter(Boolean).slice(0, 16);
  const terms: string[] = [];
  for (const word of words) {
    const parts = spaceIdeographs(word).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    if (parts.length === 0) continue;
    const phrase = `"${parts.join(" ").replaceAll('"', '""')}"`;
    // A prefix only for a word that ends in a letter or digit of a spaced script: "deliv" finds "delivery".
    terms.push(/\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}/u.test(parts.at(-1)!) ? phrase : `${phrase}*`);
  }
  return terms.length > 0 ? terms.join(" AND ") : null;
}
