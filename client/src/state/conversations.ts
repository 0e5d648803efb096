// The chat list: one list across every source, newest first, with a filter per source.
import { computed, signal } from "@preact/signals";
import { NATIVE_SOURCE } from "../../../core/conversation";
import { accounts } from "./accounts";
import { chatPrefs, isCleared } from "./chat-prefs";
import type { ConversationSummary, Message } from "./types";

export const conversations = signal<ConversationSummary[]>([]);
/** `null` shows every source. */
export const sourceFilter = signal<string | null>(null);
/** True once the list came from the cache or the server, so the UI can tell "loading" from "empty". */
export const conversationsLoaded = signal(false);

const lastAt = (c: ConversationSummary) => c.last?.at ?? 0;

export const sortedConversations = computed(() => [...conversations.value].sort((a, b) => lastAt(b) - lastAt(a) || a.id.localeCompare(b.id)));

/** Every source present, for the filter chips; built from the data, so bound networks appear by themselves. */
/** Filter chips: Unibox, each bound account (even before its first chat), and any other source a chat has. */
export const sources = computed(() => {
  const own = [NATIVE_SOURCE, ...accounts.value.map((a) => a.id)];
  const seen = conversations.value.map((c) => c.source).filter((s) => !own.includes(s));
  return accounts.value.length > 0 || seen.length > 0 ? [...own, ...new Set(seen)] : [...new Set(conversations.value.map((c) => c.source))];
});

/** The rows the list can show at all: a chat deleted on this phone stays away until a newer message. */
const listed = computed(() => {
  void chatPrefs.value;
  return sortedConversations.value.filter((c) => !isCleared(c.id, c.last?.at));
});

export const visibleConversations = computed(() => {
  const only = sourceFilter.value;
  const prefs = chatPrefs.value;
  return listed.value.filter((c) => !prefs[c.id]?.archived && (!only || c.source === only));
});

/** Archived chats, shown behind one row at the end of the list. */
export const archivedConversations = computed(() => listed.value.filter((c) => chatPrefs.value[c.id]?.archived));

/** The tab's badge: muted and archived chats keep their own count but do not call for attention. */
export const totalUnread = computed(() => {
  const prefs = chatPrefs.value;
  return listed.value.reduce((n, c) => n + (prefs[c.id]?.muted || prefs[c.id]?.archived ? 0 : c.unread), 0);
});

export function conversationById(id: string): ConversationSummary | undefined {
  return conversations.value.find((c) => c.id === id);
}

export function upsertConversation(next: ConversationSummary): ConversationSummary {
  const list = conversations.value;
  const i = list.findIndex((c) => c.id === next.id);
  conversations.value = i < 0 ? [...list, next] : list.map((c, j) => (j === i ? next : c));
  return next;
}

/** A server list replaces ours, except where a live event already gave us a newer last message. */
export function mergeServerList(server: ConversationSummary[]): ConversationSummary[] {
  const local = new Map(conversations.value.map((c) => [c.id, c]));
  const merged = server.map((s) => {
    const l = local.get(s.id);
    if (l && lastAt(l) > lastAt(s)) return { ...s, last: l.last };
    // The list does not carry a group message's readers; the ones this device heard of stay.
    if (l?.last?.readBy && s.last && l.last.id === s.last.id) return { ...s, last: { ...s.last, readBy: [...new Set([...(s.last.readBy ?? []), ...l.last.readBy])] } };
    return s;
  });
  conversations.value = merged;
  conversationsLoaded.value = true;
  return merged;
}

export function withLast(c: ConversationSummary, msg: Message, unreadDelta: number): ConversationSummary {
  const newer = !c.last || msg.at >= c.last.at;
  return { ...c, last: newer ? msg : c.last, unread: Math.max(0, c.unread + unreadDelta) };
}
