/**
 * Small facts about the hub (its user, profile, cursors) as key/value rows, also kept in
 * memory: they are read on every ack and delivery, and the hub is their only writer.
 */
export class MetaStore {
  private cache?: Map<string, string>;

  constructor(private sql: SqlStorage) {}

  get(k: string): string | undefined {
    this.cache ??= new Map(this.sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta").toArray().map((r) => [r.k, r.v]));
    return this.cache.get(k);
  }
  set(k: string, v: string | number): void {
    if (this.get(k) === String(v)) return;
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, String(v));
    this.cache!.set(k, String(v));
  }
  number(k: string): number {
    return Number(this.get(k) ?? 0);
  }
}
