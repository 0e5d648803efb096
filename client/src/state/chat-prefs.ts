// What the user decided about chats on this phone: muted, archived, deleted up to a
// point, and single messages deleted for themselves. Client-side only for now (kept in
// IndexedDB, wiped on sign-out): the server still delivers and pushes as before; a
// server-side mute comes with quiet hours (issue 14).
import { signal } from "@preact/signals";
import { kv } from "./db";

export type ChatPref = {
  muted?: true;
  archived?: true;
  /** Deleted on this phone up to this time: older messages stay hidden, and the row until a newer one. */
  clearedAt?: number;
};

/** Conversation id → what the user chose for it. */
export const chatPrefs = signal<Readonly<Record<string, ChatPref>>>({});
/** Ids of messages deleted on this phone ("delete for me"). */
export const hiddenMessages = signal<ReadonlySet<string>>(new Set());

export type PrefsSnapshot = { prefs?: Record<string, ChatPref>; hidden?: string[] };

export function restorePrefs(snap: PrefsSnapshot): void {
  chatPrefs.value = snap.prefs ?? {};
  hiddenMessages.value = new Set(snap.hidden ?? []);
}

export const prefOf = (conv: string): ChatPref => chatPrefs.value[conv] ?? {};

/** A row the list hides: deleted, and nothing newer has come since. */
export function isCleared(conv: string, lastAt: number | undefined): boolean {
  const at = chatPrefs.value[conv]?.clearedAt;
  return at !== undefined && (lastAt ?? 0) <= at;
}

export async function setPref(conv: string, change: Partial<Record<keyof ChatPref, unknown>>): Promise<void> {
  const next: ChatPref = { ...prefOf(conv) };
  for (const [k, v] of Object.entries(change) as [keyof ChatPref, unknown][]) {
    if (v === undefined || v === false) delete next[k];
    else (next as Record<string, unknown>)[k] = v;
  }
  const all = { ...chatPrefs.value, [conv]: next };
  if (Object.keys(next).length === 0) delete all[conv];
  chatPrefs.value = all;
  await kv.set("chatPrefs", all);
}

export const muteChat = (conv: string, muted: boolean) => setPref(conv, { muted: muted || undefined });
export const archiveChat = (conv: string, archived: boolean) => setPref(conv, { archived: archived || undefined });
/** Deletes the chat from this phone: what is there now disappears; a new message brings the row back. */
export const deleteChat = (conv: string, upTo: number) => setPref(conv, { clearedAt: upTo, archived: undefined });

export async function hideMessage(id: string): Promise<void> {
  hiddenMessages.value = new Set([...hiddenMessages.value, id]);
  await kv.set("hiddenMessages", [...hiddenMessages.value]);
}

/** Whether a message shows in its conversation: not deleted for me, and newer than a chat deletion. */
export function isShown(conv: string, msg: { id: string; at: number }): boolean {
  if (hiddenMessages.value.has(msg.id)) return false;
  const at = chatPrefs.value[conv]?.clearedAt;
  return at === undefined || msg.at > at;
}
