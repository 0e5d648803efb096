import type { LogFields } from "../../core/log";
import type { HubStore } from "./store";
import type { Timers } from "./timers";

type Log = (level: "warn" | "error", event: string, fields?: LogFields, err?: unknown) => void;
import type { OutboxRow } from "./store/outbox";

/** Thrown by a handler to have its row tried again after `ms` (a network's Retry-After). */
export class RetryLater extends Error {
  constructor(readonly ms: number, message: string) {
    super(message);
  }
}

/** Sends one row; throws to have it retried with backoff (RetryLater: at the time it says). */
type OutboxHandler = (payload: any, row: OutboxRow) => Promise<void>;

/**
 * Notifications to other hubs and services (receipts, presence, Web Push): written in the
 * same step as the change they report, sent at once, retried by the alarm until they land.
 * Each kind's sender is registered by its feature.
 */
export class Outbox {
  private handlers = new Map<string, OutboxHandler>();
  private flushing = false;
  private flushAgain = false;

  constructor(
    private store: HubStore,
    private timers: Timers,
    private log: Log,
  ) {
    timers.register("outbox", () => this.flushNow());
  }

  register(kind: string, handler: OutboxHandler): void {
    this.handlers.set(kind, handler);
  }

  enqueue(peer: string, kind: string, payload: unknown): void {
    this.store.outbox.enqueue(peer, kind, payload);
  }

  /** Starts a flush; does not wait. */
  flush(): void {
    void this.flushNow().catch((err) => this.log("error", "outbox.flush_failed", {}, err));
  }

  /**
   * One flush at a time. A row enqueued while a flush awaits a peer (a read right after its
   * ack, say) sets `flushAgain`, and the running flush goes round once more for it rather
   * than leaving it to the alarm.
   */
  async flushNow(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        for (const row of this.store.outbox.due(Date.now())) await this.sendRow(row);
      } while (this.flushAgain);
    } finally {
      this.flushing = false;
      await this.arm();
    }
  }

  /** A row was held until `at`: the timer moves only if it would go off later than that. */
  async armBy(at: number): Promise<void> {
    const current = this.timers.get("outbox");
    if (current !== undefined && current <= at) return;
    this.timers.set("outbox", at);
    await this.timers.schedule();
  }

  /** Keeps the "outbox" timer at the next row that is due. */
  async arm(): Promise<void> {
    const next = this.store.outbox.nextAt();
    if (next === undefined) this.timers.clear("outbox");
    else this.timers.set("outbox", next);
    await this.timers.schedule();
  }

  private async sendRow(row: OutboxRow): Promise<void> {
    const handler = this.handlers.get(row.kind);
    try {
      if (!handler) throw new Error(`no outbox handler for kind ${row.kind}`);
      await handler(JSON.parse(row.payload), row);
      this.store.outbox.done(row.id);
    } catch (err) {
      const attempts = row.attempts + 1;
      this.log("warn", "outbox.retry", { peer: row.peer, kind: row.kind, attempt: attempts }, err);
      const wait = err instanceof RetryLater ? err.ms : Math.min(60_000, 500 * 2 ** attempts);
      this.store.outbox.retry(row.id, attempts, Date.now() + wait);
    }
  }
}
