/** Small facts about the hub (its user, profile, head, cursors) as key/value rows. */
export class MetaStore {
  constructor(private sql: SqlStorage) {}

  get(k: string): string | undefined {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v;
  }
  set(k: string, v: string | number): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, String(v));
  }
  number(k: string): number {
    return Number(this.get(k) ?? 0);
  }
}
