import type { User } from "../../../core/protocol";

export type Presence = Record<string, { online: boolean; seenAt: number | null }>;

/** The friend set, cached from D1: refreshed when a socket opens and on every change. */
export class FriendStore {
  /**
   * Who is a friend, read on every 1:1 send and delivery: kept in memory as well (this
   * store is the table's only writer), read once after a restart. Null: not a friend.
   */
  private known = new Map<string, User | null>();

  constructor(private sql: SqlStorage) {}

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }
  get(id: string): User | undefined {
    let user = this.known.get(id);
    if (user === undefined) {
      const row = this.sql.exec<{ user: string }>("SELECT user FROM friends WHERE id = ?", id).toArray()[0];
      user = row ? (JSON.parse(row.user) as User) : null;
      if (this.known.size > 1000) this.known.clear();
      this.known.set(id, user);
    }
    return user ?? undefined;
  }
  ids(): string[] {
    return this.sql.exec<{ id: string }>("SELECT id FROM friends").toArray().map((r) => r.id);
  }
  put(user: User, since: number): void {
    this.sql.exec(
      "INSERT INTO friends (id, user, since) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET user = excluded.user, since = excluded.since",
      user.id, JSON.stringify(user), since,
    );
    this.known.set(user.id, user);
  }
  remove(id: string): void {
    this.sql.exec("DELETE FROM friends WHERE id = ?", id);
    this.known.set(id, null);
  }
  /** Replaces the cached set with the store's, keeping known presence. */
  replace(list: { user: User; since: number }[]): void {
    const keep = new Set(list.map((f) => f.user.id));
    for (const id of this.ids()) if (!keep.has(id)) this.remove(id);
    for (const f of list) this.put(f.user, f.since);
  }
  setPresence(id: string, online: boolean, at: number): void {
    this.sql.exec("UPDATE friends SET online = ?, seen_at = ? WHERE id = ?", online ? 1 : 0, at, id);
  }
  presence(): Presence {
    const out: Presence = {};
    for (const r of this.sql.exec<{ id: string; online: number; seen_at: number | null }>("SELECT id, online, seen_at FROM friends")) {
      out[r.id] = { online: r.online === 1, seenAt: r.seen_at };
    }
    return out;
  }
}
