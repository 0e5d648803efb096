import { DELIVERY_RANK } from "../../../core/delivery";
import type { Body, DeliveryState, Message, StatusState, StoredMessage } from "../../../core/protocol";
import { chunked } from "../../../worker/db/client";

export type { StoredMessage };
type MessageRow = { pos: number; id: string; conv: string; sender: string; source: string; body: string; at: number; seq: number; state: string | null; name?: string | null };


/** Message history, per conversation in log order; own messages carry their delivery state. */
export class MessageStore {
  constructor(
    private sql: SqlStorage,
    /** Every message is indexed for search as it is written (issue 14). */
    private search?: { addMany(items: { pos: number; msg: Message }[]): void },
  ) {}

  has(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM messages WHERE id = ?", id).toArray().length > 0;
  }

  /** Which of these ids are stored already. */
  existing(ids: string[]): Set<string> {
    const found = new Set<string>();
    for (const part of chunked(ids, 1, 0)) {
      for (const r of this.sql.exec<{ id: string }>(`SELECT id FROM messages WHERE id IN (${part.map(() => "?").join(",")})`, ...part)) found.add(r.id);
    }
    return found;
  }

  /**
   * Messages of one conversation, in order (a group room's batch, or one): a statement per
   * ten messages, one search statement per fifty, one conversation update. Returns each
   * message's position by id.
   */
  insertMany(conv: string, items: { msg: Message; seq: number; state: DeliveryState | null }[]): Map<string, number> {
    const positions = new Map<string, number>();
    if (items.length === 0) return positions;
    for (const part of chunked(items, 10, 0)) {
      const args = part.flatMap(({ msg, seq, state }) => [msg.id, conv, msg.from, msg.source, JSON.stringify(msg.body), msg.at, seq, state, mediaOf(msg.body), msg.name ?? null]);
      const rows = this.sql.exec<{ id: string; pos: number }>(
        `INSERT INTO messages (id, conv, sender, source, body, at, seq, state, media, name) VALUES ${part.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")} RETURNING id, pos`,
        ...args,
      );
      for (const r of rows) positions.set(r.id, r.pos);
    }
    this.search?.addMany(items.map(({ msg }) => ({ pos: positions.get(msg.id)!, msg })));
    const last = items.at(-1)!;
    this.sql.exec("UPDATE conversations SET last_pos = ?, updated_at = ? WHERE id = ?", Math.max(...positions.values()), last.msg.at, conv);
    return positions;
  }

  /** Stores a message and makes it its conversation's last; returns its position. */
  /** `state`: an own message's delivery state; null for others' messages. */
  insert(conv: string, msg: Message, seq: number, state: DeliveryState | null): number {
    return this.insertMany(conv, [{ msg, seq, state }]).get(msg.id)!;
  }

  /** Messages in `conv` with these ids, with their position; foreign ids are dropped. */
  inConversation(conv: string, ids: string[]): { id: string; sender: string; pos: number }[] {
    const out: { id: string; sender: string; pos: number }[] = [];
    for (const part of chunked(ids, 1, 1)) {
      out.push(
        ...this.sql
          .exec<{ id: string; sender: string; pos: number }>(`SELECT id, sender, pos FROM messages WHERE conv = ? AND id IN (${part.map(() => "?").join(",")})`, conv, ...part)
          .toArray(),
      );
    }
    return out;
  }

  /** Others' messages whose events fall in (from, to]: they just reached a device. */
  receivedBetween(me: string, from: number, to: number): { id: string; conv: string; sender: string }[] {
    return this.sql
      .exec<{ id: string; conv: string; sender: string }>("SELECT id, conv, sender FROM messages WHERE seq > ? AND seq <= ? AND sender != ? ORDER BY seq", from, to, me)
      .toArray();
  }

  /** Raises own messages' state (queued → sent → delivered → read, never down); returns the ids that changed. */
  raiseState(me: string, ids: string[], state: StatusState): string[] {
    const below = (Object.keys(DELIVERY_RANK) as DeliveryState[]).filter((s) => DELIVERY_RANK[s] < DELIVERY_RANK[state]);
    // A receipt names every message a device got in one window: one statement per hundred or so.
    const raised = new Set<string>();
    for (const part of chunked([...new Set(ids)], 1, 2 + below.length)) {
      const rows = this.sql.exec<{ id: string }>(
        `UPDATE messages SET state = ? WHERE sender = ? AND id IN (${part.map(() => "?").join(",")}) AND state IN (${below.map(() => "?").join(",")}) RETURNING id`,
        state, me, ...part, ...below,
      );
      for (const r of rows) raised.add(r.id);
    }
    return ids.filter((id) => raised.delete(id));
  }

  /** One page of a conversation, oldest first; `before` is the cursor of the next older page. */
  page(conv: string, before: number | undefined, limit: number, withReaders: boolean): { messages: StoredMessage[]; before?: string } {
    const rows = this.sql
      .exec<MessageRow>("SELECT * FROM messages WHERE conv = ? AND pos < ? ORDER BY pos DESC LIMIT ?", conv, before ?? Number.MAX_SAFE_INTEGER, limit + 1)
      .toArray();
    const more = rows.length > limit;
    const pageRows = rows.slice(0, limit).reverse();
    const messages = pageRows.map(toMessage);
    if (withReaders) for (const m of messages) if (m.state) m.readBy = this.readBy(m.id);
    return { messages, before: more ? String(pageRows[0]!.pos) : undefined };
  }

  /** One of our own messages, with its state and body. */
  own(me: string, id: string): { conv: string; state: DeliveryState | null; body: Body; at: number } | undefined {
    const row = this.sql.exec<{ conv: string; state: string | null; body: string; at: number }>("SELECT conv, state, body, at FROM messages WHERE id = ? AND sender = ?", id, me).toArray()[0];
    return row && { conv: row.conv, state: row.state as DeliveryState | null, body: JSON.parse(row.body) as Body, at: row.at };
  }

  /** Sets an own message's state as it is, for a retry after a failure (the one step down). */
  setState(id: string, state: DeliveryState): void {
    this.sql.exec("UPDATE messages SET state = ? WHERE id = ?", state, id);
  }

  /** Conversations holding a message that carries this media. */
  conversationsWithMedia(id: string): string[] {
    return this.sql.exec<{ conv: string }>("SELECT DISTINCT conv FROM messages WHERE media = ?", id).toArray().map((r) => r.conv);
  }

  // ---- per-reader receipts (groups) ------------------------------------------------
  /** Group read receipts, one per reader; returns the message ids this reader had not read yet. */
  addReaders(me: string, ids: string[], user: string, at: number): string[] {
    const fresh: string[] = [];
    for (const id of ids) {
      if (this.sql.exec("SELECT 1 FROM messages WHERE id = ? AND sender = ?", id, me).toArray().length === 0) continue;
      if (this.sql.exec("INSERT OR IGNORE INTO receipts (msg_id, user, at) VALUES (?, ?, ?)", id, user, at).rowsWritten > 0) fresh.push(id);
    }
    return fresh;
  }
  readBy(msgId: string): string[] {
    return this.sql.exec<{ user: string }>("SELECT user FROM receipts WHERE msg_id = ? ORDER BY at", msgId).toArray().map((r) => r.user);
  }

  // ---- receipts that overtook our own copy -------------------------------------------
  /**
   * How many are waiting, counted once per object life and kept since: almost always none,
   * so the look for a just-written message's early receipts usually costs no statement.
   */
  private early: number | undefined;

  keepEarlyReceipt(msgId: string, payload: unknown): void {
    this.sql.exec("INSERT INTO early_receipts (msg_id, payload) VALUES (?, ?)", msgId, JSON.stringify(payload));
    if (this.early !== undefined) this.early++;
  }
  takeEarlyReceipts<T>(msgId: string): T[] {
    this.early ??= this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM early_receipts").one().n;
    if (this.early === 0) return [];
    const rows = this.sql.exec<{ payload: string }>("SELECT payload FROM early_receipts WHERE msg_id = ?", msgId).toArray();
    if (rows.length > 0) this.sql.exec("DELETE FROM early_receipts WHERE msg_id = ?", msgId);
    this.early -= rows.length;
    return rows.map((r) => JSON.parse(r.payload) as T);
  }
}

export function toMessage(r: MessageRow): StoredMessage {
  const msg: StoredMessage = { id: r.id, from: r.sender, source: r.source, body: JSON.parse(r.body), at: r.at, conv: r.conv, seq: r.seq };
  if (r.name) msg.name = r.name;
  if (r.state) msg.state = r.state as DeliveryState;
  return msg;
}
export type { MessageRow };

const mediaOf = (body: Body): string | null => ("media" in body ? body.media : null);
