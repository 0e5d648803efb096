export type PushSub = { endpoint: string; p256dh: string; auth: string };

/** A user keeps at most this many push subscriptions (browsers); a new one replaces the oldest. */
const MAX_PUSH_SUBS = 10;

/** The Web Push subscriptions of this user's browsers. */
export class PushSubStore {
  constructor(private sql: SqlStorage) {}

  add(sub: PushSub, at: number): void {
    this.sql.exec(
      "INSERT INTO push_subs (endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at",
      sub.endpoint, sub.p256dh, sub.auth, at,
    );
    this.sql.exec("DELETE FROM push_subs WHERE endpoint NOT IN (SELECT endpoint FROM push_subs ORDER BY created_at DESC LIMIT ?)", MAX_PUSH_SUBS);
  }
  remove(endpoint: string): boolean {
    return this.sql.exec("DELETE FROM push_subs WHERE endpoint = ?", endpoint).rowsWritten > 0;
  }
  all(): PushSub[] {
    return this.sql.exec<PushSub>("SELECT endpoint, p256dh, auth FROM push_subs ORDER BY created_at").toArray();
  }
  get(endpoint: string): PushSub | undefined {
    return this.sql.exec<PushSub>("SELECT endpoint, p256dh, auth FROM push_subs WHERE endpoint = ?", endpoint).toArray()[0];
  }
}
