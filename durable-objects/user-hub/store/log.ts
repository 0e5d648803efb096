import type { HubEvent } from "../../../core/protocol";
import type { MetaStore } from "./meta";

/** The user's event log: every event gets the next gap-free seq before any device sees it. */
export class EventLog {
  private head: number;

  constructor(private sql: SqlStorage, private meta: MetaStore) {
    this.head = meta.number("head");
  }

  get headSeq(): number {
    return this.head;
  }

  /** Appends an event with the next seq; the caller pushes it afterwards. */
  append(ev: HubEvent, at = Date.now()): number {
    const seq = this.head + 1;
    this.sql.exec("INSERT INTO events (seq, ev, at) VALUES (?, ?, ?)", seq, JSON.stringify(ev), at);
    this.meta.set("head", seq);
    this.head = seq;
    return seq;
  }

  /** Events after `seq`, oldest first, as stored JSON; at most `limit`. */
  after(seq: number, limit: number): { seq: number; ev: string }[] {
    return this.sql.exec<{ seq: number; ev: string }>("SELECT seq, ev FROM events WHERE seq > ? ORDER BY seq LIMIT ?", seq, limit).toArray();
  }
}
