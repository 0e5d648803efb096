export type OutboxRow = { id: number; peer: string; kind: string; payload: string; attempts: number };

/** A held receipt grows to at most this many ids (a `status` event stays small). */
const MAX_HELD_IDS = 500;

type HeldReceipt = { conv: string; msgIds: string[]; state: string; by: string; at: number };

/** Work for other objects and services (receipts, presence, pushes), retried until it lands. */
export class OutboxStore {
  constructor(private sql: SqlStorage) {}

  enqueue(peer: string, kind: string, payload: unknown, at = Date.now()): void {
    this.sql.exec("INSERT INTO outbox (peer, kind, payload, next_at) VALUES (?, ?, ?, ?)", peer, kind, JSON.stringify(payload), at);
  }

  /**
   * A receipt joins one still held for the same peer, conversation and state (ids merged,
   * the latest time kept); otherwise it is held in a new row until `until`. A burst of acks
   * or reads becomes one notification to the sender's hub.
   */
  holdReceipt(peer: string, receipt: HeldReceipt, until: number, kind = "status"): void {
    const held = this.sql
      .exec<{ id: number; payload: string }>("SELECT id, payload FROM outbox WHERE peer = ? AND kind = ? AND attempts = 0 AND next_at > ? ORDER BY id", peer, kind, Date.now())
      .toArray()
      .map((r) => ({ id: r.id, payload: JSON.parse(r.payload) as HeldReceipt }))
      .find((r) => r.payload.conv === receipt.conv && r.payload.state === receipt.state && r.payload.msgIds.length + receipt.msgIds.length <= MAX_HELD_IDS);
    if (!held) return this.enqueue(peer, kind, receipt, until);
    const msgIds = [...new Set([...held.payload.msgIds, ...receipt.msgIds])];
    this.sql.exec("UPDATE outbox SET payload = ? WHERE id = ?", JSON.stringify({ ...held.payload, msgIds, at: Math.max(held.payload.at, receipt.at) }), held.id);
  }

  /** Removes and returns every row of this peer and kind (another call is carrying them). */
  take(peer: string, kind: string): unknown[] {
    return this.sql.exec<{ payload: string }>("DELETE FROM outbox WHERE peer = ? AND kind = ? RETURNING payload", peer, kind).toArray().map((r) => JSON.parse(r.payload));
  }

  due(now: number): OutboxRow[] {
    return this.sql.exec<OutboxRow>("SELECT id, peer, kind, payload, attempts FROM outbox WHERE next_at <= ? ORDER BY id LIMIT 100", now).toArray();
  }
  nextAt(): number | undefined {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM outbox").one().t ?? undefined;
  }
  done(id: number): void {
    this.sql.exec("DELETE FROM outbox WHERE id = ?", id);
  }
  retry(id: number, attempts: number, nextAt: number): void {
    this.sql.exec("UPDATE outbox SET attempts = ?, next_at = ? WHERE id = ?", attempts, nextAt, id);
  }
}
