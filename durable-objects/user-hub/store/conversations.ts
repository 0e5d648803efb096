import type { ConversationSummary, User } from "../../../core/protocol";
import { type MessageRow, toMessage } from "./messages";

export type ConversationInit = { id: string; kind: ConversationSummary["kind"]; source: string; title: string; peer?: User; ref?: string };

/** The user's conversations: title, peer, the last message and the read mark. */
export class ConversationStore {
  /** What `ensure` last wrote per conversation (title and peer change rarely; messages come often). */
  private ensured = new Map<string, string>();

  constructor(private sql: SqlStorage) {}

  has(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM conversations WHERE id = ?", id).toArray().length > 0;
  }

  /** Creates the conversation or refreshes its title and peer. `ref` names the group it belongs to. */
  ensure(c: ConversationInit, at: number): void {
    // Every message of a chat ensures its conversation: written only when it is new or changed.
    const key = JSON.stringify([c.kind, c.source, c.title, c.peer ?? null, c.ref ?? null]);
    if (this.ensured.get(c.id) === key) return;
    if (this.ensured.size > 1000) this.ensured.clear();
    this.ensured.set(c.id, key);
    this.sql.exec(
      `INSERT INTO conversations (id, kind, source, title, peer, ref, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET title = excluded.title, peer = COALESCE(excluded.peer, conversations.peer), ref = COALESCE(excluded.ref, conversations.ref)`,
      c.id, c.kind, c.source, c.title, c.peer ? JSON.stringify(c.peer) : null, c.ref ?? null, at,
    );
  }

  title(id: string): string | undefined {
    return this.sql.exec<{ title: string }>("SELECT title FROM conversations WHERE id = ?", id).toArray()[0]?.title;
  }

  markRead(conv: string, pos: number): void {
    this.sql.exec("UPDATE conversations SET read_pos = MAX(read_pos, ?) WHERE id = ?", pos, conv);
  }

  /** Others' messages after the conversation's read mark. */
  unread(conv: string, me: string): number {
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages m JOIN conversations c ON c.id = m.conv WHERE m.conv = ? AND m.pos > c.read_pos AND m.sender != ?", conv, me)
      .one().n;
  }

  /** An own group message says who has read it, in the list as in history pages. */
  private withReaders(m: ReturnType<typeof toMessage>, kind: ConversationSummary["kind"]) {
    if (kind !== "group" || !m.state) return m;
    const readBy = this.sql.exec<{ user: string }>("SELECT user FROM receipts WHERE msg_id = ? ORDER BY at", m.id).toArray().map((r) => r.user);
    return readBy.length > 0 ? { ...m, readBy } : m;
  }

  /** Newest activity first, each with its last message, unread count and group state. */
  list(me: string): ConversationSummary[] {
    type Row = { cid: string; kind: ConversationSummary["kind"]; csource: string; title: string; peer: string | null; unread: number;
      gid: string | null; gstatus: "active" | "left" | "ended" | null; gend: "ttl" | "ended" | null } & Partial<MessageRow>;
    const rows = this.sql
      .exec<Row>(
        `SELECT c.id AS cid, c.kind, c.source AS csource, c.title, c.peer,
                (SELECT COUNT(*) FROM messages u WHERE u.conv = c.id AND u.pos > c.read_pos AND u.sender != ?) AS unread,
                g.id AS gid, g.status AS gstatus, g.end_reason AS gend,
                m.pos, m.id, m.conv, m.sender, m.source, m.body, m.at, m.seq, m.state, m.name
         FROM conversations c
         LEFT JOIN messages m ON m.pos = c.last_pos
         LEFT JOIN groups g ON c.kind = 'group' AND g.id = c.ref
         ORDER BY c.updated_at DESC`,
        me,
      )
      .toArray();
    return rows.map((r) => ({
      id: r.cid,
      kind: r.kind,
      source: r.csource,
      title: r.title,
      ...(r.peer ? { peer: JSON.parse(r.peer) as User } : {}),
      ...(r.gid ? { group: r.gid } : {}),
      last: r.id ? this.withReaders(toMessage(r as MessageRow), r.kind) : null,
      unread: r.unread,
      ...(r.gstatus === "ended" ? { ended: r.gend ?? "ttl" } : {}),
      ...(r.gstatus === "left" ? { left: true as const } : {}),
    }));
  }
}
