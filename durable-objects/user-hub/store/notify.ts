import type { NotifySettings, QuietHours } from "../../../core/protocol";
import type { MetaStore } from "./meta";

export type Held = { count: number; convs: string[]; titles: string[]; since: number };

/** Quiet hours, mutes, and the pushes held during quiet hours (see quiet.ts). */
export class NotifyStore {
  constructor(
    private sql: SqlStorage,
    private meta: MetaStore,
  ) {}

  quiet(): QuietHours | null {
    const v = this.meta.get("quiet");
    return v ? (JSON.parse(v) as QuietHours) : null;
  }
  setQuiet(q: QuietHours | null): void {
    this.meta.set("quiet", q ? JSON.stringify(q) : "");
  }
  muteAllUntil(): number | null {
    const v = this.meta.get("mute_all_until");
    return v ? Number(v) : null;
  }
  setMuteAll(until: number | null): void {
    this.meta.set("mute_all_until", until === null ? "" : until);
  }

  /** `until` null: muted until unmuted. */
  mute(conv: string, until: number | null): void {
    this.sql.exec("INSERT INTO conv_mutes (conv, until) VALUES (?, ?) ON CONFLICT(conv) DO UPDATE SET until = excluded.until", conv, until);
  }
  unmute(conv: string): void {
    this.sql.exec("DELETE FROM conv_mutes WHERE conv = ?", conv);
  }
  /** Whether a conversation is muted at `now` (a mute that ran out is forgotten here). */
  muted(conv: string, now: number): boolean {
    const row = this.sql.exec<{ until: number | null }>("SELECT until FROM conv_mutes WHERE conv = ?", conv).toArray()[0];
    if (!row) return false;
    if (row.until === null || row.until > now) return true;
    this.unmute(conv);
    return false;
  }
  mutes(now: number): NotifySettings["muted"] {
    this.sql.exec("DELETE FROM conv_mutes WHERE until IS NOT NULL AND until <= ?", now);
    return this.sql.exec<{ conv: string; until: number | null }>("SELECT conv, until FROM conv_mutes ORDER BY conv").toArray();
  }

  // ---- held pushes ------------------------------------------------------------------------
  held(): Held | null {
    const v = this.meta.get("push_held");
    return v ? (JSON.parse(v) as Held) : null;
  }
  setHeld(h: Held | null): void {
    this.meta.set("push_held", h ? JSON.stringify(h) : "");
  }
}
