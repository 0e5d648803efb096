// Quiet hours and mute (issue 14), enforced where every push is decided (web-push.ts), so
// they cover every source: native, groups, bound networks, mail, social. A muted conversation
// (or everything, while muted globally) is never pushed; during quiet hours pushes are held
// and one summary goes when they end. Nothing else changes: messages still arrive in the app.
//
// The clock: `now()` is the real time plus an offset that only a server started with
// CLOCK_CONTROL=1 lets a test set (PUT /api/settings/clock), so a test can stand at 23:00 in
// Berlin and then at 07:00 without waiting. Timers stay in real time: due = local end − offset.
import type { NotifySettings, PushNotice, QuietHours } from "../../core/protocol";
import type { Hub } from "./context";
import { Refused } from "./context";
import type { Held } from "./store/notify";

export type Verdict = "push" | "hold" | "drop";

const MAX_HELD_CONVS = 20;
const MAX_TITLES = 5;

export class Quiet {
  private summaryHook: (notice: Extract<PushNotice, { type: "summary" }>) => void = () => undefined;

  constructor(private hub: Hub) {
    hub.timers.register("quiet-end", () => this.ended());
  }

  onSummary(hook: (notice: Extract<PushNotice, { type: "summary" }>) => void): void {
    this.summaryHook = hook;
  }

  now(): number {
    return Date.now() + this.hub.store.meta.number("clock_offset");
  }

  settings(): NotifySettings {
    const { notify } = this.hub.store;
    const now = this.now();
    const all = notify.muteAllUntil();
    return { quiet: notify.quiet(), muteAllUntil: all !== null && all > now ? all : null, muted: notify.mutes(now) };
  }

  // ---- changes (each told to every device) ---------------------------------------------------

  setQuiet(quiet: QuietHours | null): NotifySettings {
    this.hub.store.notify.setQuiet(quiet);
    this.recheck();
    return this.changed();
  }

  muteAll(until: number | null): NotifySettings {
    this.hub.store.notify.setMuteAll(until);
    return this.changed();
  }

  mute(conv: string, until: number | null | "unmute"): NotifySettings {
    const { store } = this.hub;
    if (!store.conversations.has(conv)) throw new Refused("conversation_not_found", "no such conversation");
    if (until === "unmute") store.notify.unmute(conv);
    else store.notify.mute(conv, until);
    return this.changed();
  }

  /** Tests only (CLOCK_CONTROL=1, checked by the route): the hub's notion of now. */
  setClock(now: number): void {
    this.hub.store.meta.set("clock_offset", now - Date.now());
    this.recheck();
  }

  // ---- the decision, for each push ---------------------------------------------------------

  verdict(notice: PushNotice): Verdict {
    const { notify } = this.hub.store;
    const now = this.now();
    const all = notify.muteAllUntil();
    if (all !== null && all > now) return "drop";
    if ("conv" in notice && notify.muted(notice.conv, now)) return "drop";
    const quiet = notify.quiet();
    return quiet && inQuietHours(quiet, now) ? "hold" : "push";
  }

  /** A push held for the summary; the first of a night arms the timer for the end of it. */
  hold(notice: PushNotice): void {
    const { notify } = this.hub.store;
    const held: Held = notify.held() ?? { count: 0, convs: [], titles: [], since: this.now() };
    held.count++;
    if ("conv" in notice && !held.convs.includes(notice.conv) && held.convs.length < MAX_HELD_CONVS) held.convs.push(notice.conv);
    if ("title" in notice && !held.titles.includes(notice.title) && held.titles.length < MAX_TITLES) held.titles.push(notice.title);
    notify.setHeld(held);
    this.arm();
  }

  /** The user opened the app: what was held has been seen there. */
  seen(): void {
    this.hub.store.notify.setHeld(null);
  }

  private arm(): void {
    const quiet = this.hub.store.notify.quiet();
    if (!quiet) return;
    const end = quietEnd(quiet, this.now());
    this.hub.timers.set("quiet-end", end - this.hub.store.meta.number("clock_offset"));
    void this.hub.timers.schedule();
  }

  /** The clock or the hours moved: end the night now if it is over, else keep the timer right. */
  private recheck(): void {
    if (!this.hub.store.notify.held()) return;
    const quiet = this.hub.store.notify.quiet();
    if (quiet && inQuietHours(quiet, this.now())) return this.arm();
    this.hub.timers.set("quiet-end", Date.now());
    void this.hub.timers.schedule();
  }

  private ended(): void {
    const { notify } = this.hub.store;
    const quiet = notify.quiet();
    if (quiet && inQuietHours(quiet, this.now())) return this.arm(); // an alarm early, or the hours changed
    const held = notify.held();
    notify.setHeld(null);
    if (held && held.count > 0) this.summaryHook({ v: 1, type: "summary", count: held.count, convs: held.convs, titles: held.titles, at: this.now() });
  }

  private changed(): NotifySettings {
    const settings = this.settings();
    this.hub.events.append({ type: "settings.notify", settings });
    return settings;
  }
}

// ---- local time ------------------------------------------------------------------------------

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Minutes since local midnight in `tz` at `t` (with seconds as a fraction). */
export function localMinutes(t: number, tz: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).formatToParts(t);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get("hour") * 60 + get("minute") + get("second") / 60;
}

/** Whether `t` falls in the quiet hours; a window may cross midnight (22:00–07:00). Equal ends: off. */
export function inQuietHours(q: QuietHours, t: number): boolean {
  const [start, end, m] = [minutesOf(q.start), minutesOf(q.end), localMinutes(t, q.tz)];
  if (start === end) return false;
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/**
 * When the quiet hours that hold at `t` end. Counted in local minutes, then checked against
 * the zone once more: on a night the clocks change, the end moves by the hour it gained or lost.
 */
export function quietEnd(q: QuietHours, t: number): number {
  const end = minutesOf(q.end);
  const wait = (end - localMinutes(t, q.tz) + 1440) % 1440;
  let at = t + Math.round(wait * 60_000);
  const off = ((end - localMinutes(at, q.tz) + 720 + 1440) % 1440) - 720;
  if (Math.abs(off) >= 1) at += Math.round(off * 60_000);
  return at;
}
