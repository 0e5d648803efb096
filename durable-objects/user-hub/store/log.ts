import type { HubEvent } from "../../../core/protocol";
import { chunked } from "../../../worker/db/client";
import type { MetaStore } from "./meta";

/**
 * The log keeps a window, not everything: the newest KEEP events, none older than MAX_AGE.
 * A device further behind than that is answered `ready {reset}` and reloads its lists over
 * HTTP (history lives in the messages table, not here), which it does anyway past
 * MAX_REPLAY, so nothing a device could still replay is dropped by count.
 */
export const LOG_WINDOW = { keep: 10_000, maxAgeMs: 30 * 24 * 3_600_000, every: 1_000 };

/** The user's event log: every event gets the next gap-free seq before any device sees it. */
export class EventLog {
  private head: number;
  /** Every event at or below this seq has been compacted away. */
  private floorSeq: number;

  // The head is the newest row's seq (or the floor, if compaction took every row);
  // `meta.head` is only read for hubs written before the log stopped keeping it there (it
  // was a second write per event).
  constructor(private sql: SqlStorage, private meta: MetaStore) {
    const newest = sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM events").one().s ?? 0;
    this.floorSeq = meta.number("log_floor");
    this.head = Math.max(newest, this.floorSeq, meta.number("head"));
  }

  get headSeq(): number {
    return this.head;
  }

  /** A device resuming below this cannot be replayed to: the events it missed are gone. */
  get floor(): number {
    return this.floorSeq;
  }

  /** Appends an event with the next seq; the caller pushes it afterwards. `json`: the event already encoded. */
  append(ev: HubEvent, at = Date.now(), json = JSON.stringify(ev)): number {
    return this.appendMany([json], at)[0]!;
  }

  /** Appends events (already encoded) with the next seqs, in order, a few statements for all of them. */
  appendMany(json: string[], at = Date.now()): number[] {
    const first = this.head + 1;
    for (const part of chunked(json.map((j, k) => [first + k, j, at] as const), 3, 0)) {
      this.sql.exec(`INSERT INTO events (seq, ev, at) VALUES ${part.map(() => "(?, ?, ?)").join(", ")}`, ...part.flat());
    }
    this.head = first + json.length - 1;
    if (Math.floor(this.head / LOG_WINDOW.every) > Math.floor((first - 1) / LOG_WINDOW.every)) this.compact(at);
    return json.map((_, k) => first + k);
  }

  /** Drops what is outside the window: older than the newest `keep`, or than `maxAgeMs`. Returns the new floor. */
  compact(now = Date.now(), window = LOG_WINDOW): number {
    const byCount = this.head - window.keep;
    const byAge = this.sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM events WHERE at < ?", now - window.maxAgeMs).one().s ?? 0;
    const floor = Math.max(this.floorSeq, byCount, byAge);
    if (floor <= this.floorSeq) return this.floorSeq;
    this.sql.exec("DELETE FROM events WHERE seq <= ?", floor);
    this.meta.set("log_floor", floor);
    this.floorSeq = floor;
    return floor;
  }

  /** Events after `seq`, oldest first, as stored JSON; at most `limit`. */
  after(seq: number, limit: number): { seq: number; ev: string }[] {
    return this.sql.exec<{ seq: number; ev: string }>("SELECT seq, ev FROM events WHERE seq > ? ORDER BY seq LIMIT ?", seq, limit).toArray();
  }
}
