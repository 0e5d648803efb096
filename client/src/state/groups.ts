// Temporary groups the user is in (or was: ended and left groups stay, read-only). The
// reducers are pure so the group.* events can be tested without a socket; sync.ts applies
// them in the same transaction as the event's seq.
import { signal } from "@preact/signals";
import { api, call, callJson } from "./api";
import { conversationById, upsertConversation } from "./conversations";
import { db } from "./db";
import type { ClientGroup, ConversationSummary, DeliveryState, Group, GroupNotice, HubEvent, User } from "./types";
import { groupOf, NATIVE_SOURCE } from "../../../core/conversation";

export type { ClientGroup, GroupNotice };

export type GroupEvent = Extract<HubEvent, { type: `group.${string}` }>;

/** Group id → group. */
export const groups = signal<Record<string, ClientGroup>>({});

export const groupIdOf = groupOf;

export function groupByConv(conv: string): ClientGroup | undefined {
  const id = groupIdOf(conv);
  return id ? groups.value[id] : undefined;
}

/** A name for anyone who is or was in the group. */
export function memberName(g: ClientGroup | undefined, userId: string): string | undefined {
  return (g?.members.find((u) => u.id === userId) ?? g?.past.find((u) => u.id === userId))?.displayName;
}

/** What the list calls a group: its name, or its other members' names. */
export function groupTitle(g: Group, self: string | undefined): string {
  if (g.name) return g.name;
  const others = g.members.filter((u) => u.id !== self).map((u) => u.displayName);
  return others.join(", ") || "…";
}

/**
 * How many have read an own group message, of how many could: the other members now, plus
 * anyone who read it and has left since (they did read it). Client-side, from the
 * message's `readBy` and the member list.
 */
export function readCount(g: Pick<Group, "members">, readBy: readonly string[] | undefined, self: string): { read: number; of: number } {
  const readers = new Set((readBy ?? []).filter((id) => id !== self));
  const audience = new Set(g.members.map((u) => u.id).filter((id) => id !== self));
  for (const id of readers) audience.add(id);
  return { read: readers.size, of: audience.size };
}

/**
 * The ticks an own group message shows. The hub raises a group message to "read" at the
 * first reader; a group shows read only once every member has, and delivered until then.
 */
export function groupTicks(state: DeliveryState, g: Pick<Group, "members"> | undefined, readBy: readonly string[] | undefined, self: string): DeliveryState {
  if (state !== "read" || !g) return state;
  const { read, of } = readCount(g, readBy, self);
  return read >= of && of > 0 ? "read" : "delivered";
}

export const isEnded = (g: Pick<Group, "endedAt"> | undefined): boolean => !!g?.endedAt;

// ---- reducers ---------------------------------------------------------------------------

const fromServer = (g: Group, prev?: ClientGroup): ClientGroup => ({ ...g, left: prev?.left, past: prev?.past ?? [], notices: prev?.notices ?? [] });

/** The next state of one group after a group.* event; `now` stamps notices whose event has no time. */
export function reduceGroup(prev: ClientGroup | undefined, ev: GroupEvent, self: string, now: number): ClientGroup | undefined {
  switch (ev.type) {
    case "group.invited": {
      // Invited again after leaving: a member once more.
      const next = fromServer(ev.group, prev);
      return { ...next, left: ev.group.members.some((u) => u.id === self) ? undefined : prev?.left };
    }
    case "group.member.joined": {
      if (!prev) return undefined;
      if (prev.members.some((u) => u.id === ev.user.id)) return prev;
      return {
        ...prev,
        members: [...prev.members, ev.user],
        past: prev.past.filter((u) => u.id !== ev.user.id),
        notices: [...prev.notices, { at: now, kind: "joined", user: ev.user.id, by: ev.by }],
      };
    }
    case "group.member.left": {
      if (!prev) return undefined;
      const leaving = prev.members.find((u) => u.id === ev.user);
      if (!leaving && !(ev.user === self && !prev.left)) return prev; // a replayed event
      return {
        ...prev,
        members: prev.members.filter((u) => u.id !== ev.user),
        past: leaving ? [...prev.past.filter((u) => u.id !== ev.user), leaving] : prev.past,
        left: ev.user === self ? true : prev.left,
        notices: [...prev.notices, { at: now, kind: "left", user: ev.user }],
      };
    }
    case "group.expired": {
      if (!prev) return undefined;
      if (prev.endedAt) return prev; // expiry is at-least-once on the server; once here
      return { ...prev, endedAt: ev.at, endReason: ev.reason, notices: [...prev.notices, { at: ev.at, kind: ev.reason }] };
    }
  }
}

/** The chat-list entry a group implies, keeping what the list already knew (last message, unread). */
export function groupSummary(g: ClientGroup, self: string | undefined, known?: ConversationSummary): ConversationSummary {
  const base: ConversationSummary = known ?? { id: g.conv, kind: "group", source: NATIVE_SOURCE, title: "", last: null, unread: 0 };
  const { ended: _e, left: _l, ...rest } = base;
  return {
    ...rest,
    kind: "group",
    group: g.id,
    title: groupTitle(g, self),
    ...(g.endReason ? { ended: g.endReason } : g.endedAt ? { ended: "ended" as const } : {}),
    ...(g.left ? { left: true as const } : {}),
  };
}

/** Applies a group.* event to the signals; returns the changed group, for the caller to store. */
export function applyGroupEvent(ev: GroupEvent, self: string, now = Date.now()): ClientGroup | undefined {
  const id = ev.type === "group.invited" ? ev.group.id : ev.group;
  const next = reduceGroup(groups.value[id], ev, self, now);
  if (!next) return undefined;
  groups.value = { ...groups.value, [id]: next };
  upsertConversation(groupSummary(next, self, conversationById(next.conv)));
  return next;
}

// ---- HTTP -----------------------------------------------------------------------------

// The group routes read their JSON body inside the handler (jsonBody), so AppType knows
// the responses but not the inputs; hc still sends what it is given.
type WithJson<T> = { json: T };
const groupsApi = api.api.groups;
const postGroup = groupsApi.$post as unknown as (args: WithJson<{ name?: string; members: string[]; ttlHours?: number }>) => ReturnType<typeof groupsApi.$post>;
const postMembers = groupsApi[":id"].members.$post as unknown as (args: { param: { id: string } } & WithJson<{ members: string[] }>) => ReturnType<typeof groupsApi[":id"]["members"]["$post"]>;

/** The server's list wins for every group it knows; groups it no longer lists (left) keep their local state. */
export async function refreshGroups(self: string | undefined): Promise<ClientGroup[]> {
  const { groups: list } = await call(groupsApi.$get());
  const next = { ...groups.value };
  for (const g of list) next[g.id] = fromServer(g, next[g.id]);
  groups.value = next;
  // A group with no message yet may not be in the conversation list: make sure it shows.
  for (const g of list) {
    const known = conversationById(g.conv);
    if (!known || known.title === "" || known.kind !== "group") upsertConversation(groupSummary(next[g.id]!, self, known));
  }
  await saveGroups(list.map((g) => g.conv));
  return Object.values(next);
}

/** Writes the groups and the named conversations' list entries to IndexedDB. */
export async function saveGroups(convs: string[] = []): Promise<void> {
  const tx = (await db()).transaction(["kv", "conversations"], "readwrite");
  const entries = convs.map(conversationById).filter((c): c is ConversationSummary => !!c);
  await Promise.all([tx.objectStore("kv").put(groups.value, "groups"), ...entries.map((c) => tx.objectStore("conversations").put(c)), tx.done]);
}

export async function createGroup(input: { name?: string; members: string[]; ttlHours?: number }, self: string | undefined): Promise<ClientGroup> {
  const { group } = await call(postGroup({ json: input }));
  return putGroup(group, self);
}

export async function addMembers(groupId: string, members: string[], self: string | undefined): Promise<ClientGroup> {
  const { group } = await call(postMembers({ param: { id: groupId }, json: { members } }));
  return putGroup(group, self);
}

export async function leaveGroup(groupId: string, self: string): Promise<void> {
  await call(groupsApi[":id"].members.me.$delete({ param: { id: groupId } }));
  const g = groups.value[groupId];
  // The group.member.left event will say the same; showing it now makes the tap feel instant.
  if (g) applyGroupEvent({ type: "group.member.left", conv: g.conv, group: groupId, user: self }, self);
  if (g) await saveGroups([g.conv]);
}

export async function endGroup(groupId: string, self: string): Promise<void> {
  await call(groupsApi[":id"].$delete({ param: { id: groupId } }));
  const g = groups.value[groupId];
  if (g) applyGroupEvent({ type: "group.expired", conv: g.conv, group: groupId, reason: "ended", at: Date.now() }, self);
  if (g) await saveGroups([g.conv]);
}

/**
 * PATCH /api/groups/:id {name} → {group}. (A route of the groups API to come with this
 * client; until the server has it, the answer is its 404 and the form says so.)
 */
export async function renameGroup(groupId: string, name: string, self: string | undefined): Promise<ClientGroup> {
  const { group } = await callJson<{ group: Group }>("PATCH", `/api/groups/${encodeURIComponent(groupId)}`, { name: name.trim() });
  return putGroup(group, self);
}

/**
 * When a group ends by itself: its lifetime after the last message (or its creation, if
 * none yet). A message resets the clock, so this moves with every message.
 */
export function expiresAt(g: Pick<Group, "createdAt" | "ttlHours">, lastMessageAt: number | undefined): number {
  return Math.max(g.createdAt, lastMessageAt ?? 0) + g.ttlHours * 3_600_000;
}

async function putGroup(group: Group, self: string | undefined): Promise<ClientGroup> {
  const next = fromServer(group, groups.value[group.id]);
  groups.value = { ...groups.value, [group.id]: next };
  upsertConversation(groupSummary(next, self, conversationById(group.conv)));
  await saveGroups([group.conv]);
  return next;
}
