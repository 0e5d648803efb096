/** One due time per kind; the hub's single alarm is set for the earliest. */
export class TimerStore {
  constructor(private sql: SqlStorage) {}

  set(kind: string, due: number): void {
    this.sql.exec("INSERT INTO timers (kind, due) VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET due = excluded.due", kind, due);
  }
  clear(kind: string): void {
    this.sql.exec("DELETE FROM timers WHERE kind = ?", kind);
  }
  get(kind: string): number | undefined {
    return this.sql.exec<{ due: number }>("SELECT due FROM timers WHERE kind = ?", kind).toArray()[0]?.due;
  }
  /** The kinds due by `now`, earliest first. */
  due(now: number): string[] {
    return this.sql.exec<{ kind: string }>("SELECT kind FROM timers WHERE due <= ? ORDER BY due", now).toArray().map((r) => r.kind);
  }
  earliest(): number | undefined {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(due) AS t FROM timers").one().t ?? undefined;
  }
}
