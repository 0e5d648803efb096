/** The user's own uploads and their kind, so a send can check its media without D1. */
export class OwnMediaStore {
  constructor(private sql: SqlStorage) {}

  add(id: string, kind: string): void {
    this.sql.exec("INSERT OR IGNORE INTO own_media (id, kind) VALUES (?, ?)", id, kind);
  }
  forget(id: string): void {
    this.sql.exec("DELETE FROM own_media WHERE id = ?", id);
  }
  kind(id: string): string | undefined {
    return this.sql.exec<{ kind: string }>("SELECT kind FROM own_media WHERE id = ?", id).toArray()[0]?.kind;
  }
}
