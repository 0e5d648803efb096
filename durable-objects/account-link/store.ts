// The link's own storage: one key-value table in its SQLite. Everything the link keeps
// (account, sealed credentials, cursor, attempt, timers, state) is a row here, so an
// eviction or a restart picks up exactly where it was.
import type { AccountRef } from "../../worker/connectors/types";

export type Timers = Partial<Record<"blip" | "reconnect" | "watchdog" | "poll", number>> & Record<string, number>;

export class LinkStore {
  constructor(private sql: SqlStorage) {
    this.create();
  }

  /** After `deleteAll()`: the table again, empty. */
  create(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS link (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
  }

  get<T>(k: string): T | undefined {
    const row = this.sql.exec<{ v: string }>("SELECT v FROM link WHERE k = ?", k).toArray()[0];
    return row ? (JSON.parse(row.v) as T) : undefined;
  }
  put(k: string, v: unknown): void {
    this.sql.exec("INSERT INTO link (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, JSON.stringify(v));
  }

  get account(): AccountRef | undefined {
    return this.get<AccountRef>("account");
  }
  /** What the owner's hub last asked for: a session while they are online, none while away. */
  get wanted(): "open" | "closed" {
    return this.get<"open" | "closed">("wanted") ?? "closed";
  }
  get cursor(): string | null {
    return this.get<string | null>("cursor") ?? null;
  }
  /** Failed connects or polls in a row (the backoff's exponent); 0 after a success. */
  get attempt(): number {
    return this.get<number>("attempt") ?? 0;
  }

  /** No poll before this (ms since epoch): the wait a network named with a 429 or a 503. */
  get notBefore(): number {
    return this.get<number>("notBefore") ?? 0;
  }

  get timers(): Timers {
    return this.get<Timers>("timers") ?? {};
  }
  setTimer(kind: string, due: number | null): void {
    const timers = this.timers;
    if (due === null) delete timers[kind];
    else timers[kind] = due;
    this.put("timers", timers);
  }
  /** Takes the timers due by `now` off the list and names them. */
  takeDue(now: number): string[] {
    const timers = this.timers;
    const due = Object.entries(timers).filter(([, at]) => at <= now).map(([k]) => k);
    for (const k of due) delete timers[k];
    this.put("timers", timers);
    return due;
  }
  /** When the alarm should next ring: the earliest timer, or never. */
  nextDue(): number | null {
    const all = Object.values(this.timers);
    return all.length === 0 ? null : Math.min(...all);
  }
}
