export type OutboxRow = { id: number; peer: string; kind: string; payload: string; attempts: number };

/** A held receipt grows to at most this many ids (a `status` event stays small). */
const MAX_HELD_IDS = 500;

type HeldReceipt = { conv: string; msgIds: string[]; state: string; by: string; at: number };

/** Work for other objects and services (receipts, presence, pushes), retried until it lands. */
export class OutboxStore {
  /**
   * Receipts still held, by peer, kind, conversation and state, so the next ack or read
   * joins its row without looking for it. Only this hub writes the outbox; after a restart
   * this starts empty and the first receipt of a kind simply starts a new row.
   */
  private held = new Map<string, { id: number; until: number; payload: HeldReceipt }>();

  constructor(private sql: SqlStorage) {}

  enqueue(peer: string, kind: string, payload: unknown, at = Date.now()): number {
    return this.sql.exec<{ id: number }>("INSERT INTO outbox (peer, kind, payload, next_at) VALUES (?, ?, ?, ?) RETURNING id", peer, kind, JSON.stringify(payload), at).one().id;
  }

  /**
   * A receipt joins one still held for the same peer, conversation and state (ids merged,
   * the latest time kept); otherwise it is held in a new row until `until`. A burst of acks
   * or reads becomes one notification to the sender's hub.
   */
  holdReceipt(peer: string, receipt: HeldReceipt, until: number, kind = "status"): void {
    const key = `${peer}\n${kind}\n${receipt.conv}\n${receipt.state}`;
    const held = this.held.get(key);
    if (!held || held.until <= Date.now() || held.payload.msgIds.length + receipt.msgIds.length > MAX_HELD_IDS) {
      const id = this.enqueue(peer, kind, receipt, until);
      this.held.set(key, { id, until, payload: receipt });
      return;
    }
    const payload = { ...held.payload, msgIds: [...new Set([...held.payload.msgIds, ...receipt.msgIds])], at: Math.max(held.payload.at, receipt.at) };
    this.sql.exec("UPDATE outbox SET payload = ? WHERE id = ?", JSON.stringify(payload), held.id);
    held.payload = payload;
  }

  /** A row that left (sent, retried, taken) no longer takes receipts. */
  private release(id: number): void {
    for (const [key, h] of this.held) if (h.id === id) this.held.delete(key);
  }

  /** Removes and returns every row of this peer and kind (another call is carrying them). */
  take(peer: string, kind: string): unknown[] {
    const rows = this.sql.exec<{ id: number; payload: string }>("DELETE FROM outbox WHERE peer = ? AND kind = ? RETURNING id, payload", peer, kind).toArray();
    for (const r of rows) this.release(r.id);
    return rows.map((r) => JSON.parse(r.payload));
  }

  due(now: number): OutboxRow[] {
    return this.sql.exec<OutboxRow>("SELECT id, peer, kind, payload, attempts FROM outbox WHERE next_at <= ? ORDER BY id LIMIT 100", now).toArray();
  }
  nextAt(): number | undefined {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM outbox").one().t ?? undefined;
  }
  done(id: number): void {
    this.sql.exec("DELETE FROM outbox WHERE id = ?", id);
    this.release(id);
  }
  retry(id: number, attempts: number, nextAt: number): void {
    this.sql.exec("UPDATE outbox SET attempts = ?, next_at = ? WHERE id = ?", attempts, nextAt, id);
    this.release(id);
  }
}
