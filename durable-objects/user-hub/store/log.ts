import type { HubEvent } from "../../../core/protocol";
import type { MetaStore } from "./meta";

/** The user's event log: every event gets the next gap-free seq before any device sees it. */
export class EventLog {
  private head: number;

  // The head is the newest row's seq; `meta.head` is only read for hubs written before
  // the log stopped keeping it there (it was a second write per event).
  constructor(private sql: SqlStorage, meta: MetaStore) {
    const newest = sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM events").one().s ?? 0;
    this.head = Math.max(newest, meta.number("head"));
  }

  get headSeq(): number {
    return this.head;
  }

  /** Appends an event with the next seq; the caller pushes it afterwards. */
  append(ev: HubEvent, at = Date.now()): number {
    const seq = this.head + 1;
    this.sql.exec("INSERT INTO events (seq, ev, at) VALUES (?, ?, ?)", seq, JSON.stringify(ev), at);
    this.head = seq;
    return seq;
  }

  /** Events after `seq`, oldest first, as stored JSON; at most `limit`. */
  after(seq: number, limit: number): { seq: number; ev: string }[] {
    return this.sql.exec<{ seq: number; ev: string }>("SELECT seq, ev FROM events WHERE seq > ? ORDER BY seq LIMIT ?", seq, limit).toArray();
  }
}
