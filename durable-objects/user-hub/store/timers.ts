/**
 * One due time per kind; the hub's single alarm is set for the earliest. A handful of
 * rows, set on every ack and send: kept in memory too, written through (this hub is
 * their only writer), and a write that changes nothing is not made.
 */
export class TimerStore {
  private cache?: Map<string, number>;

  constructor(private sql: SqlStorage) {}

  private rows(): Map<string, number> {
    this.cache ??= new Map(this.sql.exec<{ kind: string; due: number }>("SELECT kind, due FROM timers").toArray().map((r) => [r.kind, r.due]));
    return this.cache;
  }

  set(kind: string, due: number): void {
    if (this.rows().get(kind) === due) return;
    this.sql.exec("INSERT INTO timers (kind, due) VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET due = excluded.due", kind, due);
    this.rows().set(kind, due);
  }
  clear(kind: string): void {
    if (!this.rows().has(kind)) return;
    this.sql.exec("DELETE FROM timers WHERE kind = ?", kind);
    this.rows().delete(kind);
  }
  get(kind: string): number | undefined {
    return this.rows().get(kind);
  }
  /** The kinds due by `now`, earliest first. */
  due(now: number): string[] {
    return [...this.rows()].filter(([, due]) => due <= now).sort((a, b) => a[1] - b[1]).map(([kind]) => kind);
  }
  earliest(): number | undefined {
    let min: number | undefined;
    for (const due of this.rows().values()) if (min === undefined || due < min) min = due;
    return min;
  }
}
