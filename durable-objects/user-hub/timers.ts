import type { HubStore } from "./store";

type TimerHandler = (now: number) => void | Promise<void>;

/**
 * Timers are rows (kind, due) and the hub has one alarm, set for the earliest. A feature
 * registers its kind here instead of editing `alarm()`. Alarms are at-least-once: a handler
 * must be safe to run again.
 */
export class Timers {
  private handlers = new Map<string, TimerHandler>();

  constructor(
    private ctx: DurableObjectState,
    private store: HubStore,
  ) {}

  register(kind: string, handler: TimerHandler): void {
    this.handlers.set(kind, handler);
  }

  set(kind: string, due: number): void {
    this.store.timers.set(kind, due);
  }

  get(kind: string): number | undefined {
    return this.store.timers.get(kind);
  }

  clear(kind: string): void {
    this.store.timers.clear(kind);
  }

  /** Runs every kind that is due; each is cleared first, so a handler re-arms itself if it needs to. */
  async run(now = Date.now()): Promise<void> {
    for (const kind of this.store.timers.due(now)) {
      this.store.timers.clear(kind);
      await this.handlers.get(kind)?.(now);
    }
  }

  /** Sets the alarm for the earliest timer (or deletes it when there is none). */
  async schedule(): Promise<void> {
    const next = this.store.timers.earliest();
    if (next === undefined) return this.ctx.storage.deleteAlarm();
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next || current < Date.now()) await this.ctx.storage.setAlarm(next);
  }
}
