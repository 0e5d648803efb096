// Lines in a conversation on a bound account that are not messages ("IRC keeps no history…",
// "encrypted room: not supported yet"), from `notice` events; kept on this device.
import { signal } from "@preact/signals";
import { kv } from "./db";
import type { HubEvent } from "./types";

export type RemoteNotice = { at: number; key: string; text: string };

/** Conversation id → its notices, oldest first. */
export const remoteNotices = signal<Record<string, RemoteNotice[]>>({});

/** At most this many per conversation: a notice says something about now, not history. */
const KEEP = 20;

export async function loadNotices(): Promise<void> {
  remoteNotices.value = ((await kv.get("notices")) as Record<string, RemoteNotice[]> | undefined) ?? {};
}

export function applyNotice(ev: Extract<HubEvent, { type: "notice" }>): Promise<void> {
  const list = [...(remoteNotices.value[ev.conv] ?? []), { at: ev.at, key: ev.key, text: ev.text }].slice(-KEEP);
  remoteNotices.value = { ...remoteNotices.value, [ev.conv]: list };
  return kv.set("notices", remoteNotices.value).then(() => undefined);
}
