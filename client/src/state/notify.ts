// Quiet hours and mutes (issue 14), kept and enforced by the hub for every source; this is
// the phone's copy, kept current by `settings.notify` events from any of the user's devices.
import { signal } from "@preact/signals";
import { api, call } from "./api";
import type { HubEvent } from "./types";
import type { NotifySettings, QuietHours } from "../../../core/protocol";

export type { NotifySettings, QuietHours };

export const notifySettings = signal<NotifySettings | null>(null);

export async function loadNotifySettings(): Promise<NotifySettings> {
  const { settings } = await call(api.api.settings.notify.$get());
  return (notifySettings.value = settings);
}

export async function setQuietHours(quiet: QuietHours | null): Promise<void> {
  notifySettings.value = (await call(api.api.settings.notify.quiet.$put({ json: { quiet } }))).settings;
}

/** `until` in ms, or null to unmute everything. */
export async function muteEverything(until: number | null): Promise<void> {
  notifySettings.value = (await call(api.api.settings.notify.mute.$put({ json: { until } }))).settings;
}

/** `until` in ms, null for "until I unmute", or "unmute". */
export async function muteConversation(conv: string, until: number | null | "unmute"): Promise<void> {
  const json = until === "unmute" ? { unmute: true as const } : { until };
  notifySettings.value = (await call(api.api.settings.notify.conversations[":conv"].$put({ param: { conv }, json }))).settings;
}

export function isMuted(conv: string, now = Date.now()): boolean {
  const s = notifySettings.value;
  return !!s?.muted.some((m) => m.conv === conv && (m.until === null || m.until > now));
}

/** The phone's own zone, as the quiet hours' default. */
export const deviceTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function applyNotifyEvent(ev: HubEvent): boolean {
  if (ev.type !== "settings.notify") return false;
  notifySettings.value = ev.settings;
  return true;
}
