// Friends with presence, and friend requests both ways.
import { computed, signal } from "@preact/signals";
import { api, call, callJson } from "./api";
import { connection } from "./connection";
import { kv } from "./db";
import type { Friend, IncomingRequest, OutgoingRequest, User } from "./types";

export const friends = signal<Friend[]>([]);
export const incoming = signal<IncomingRequest[]>([]);
export const outgoing = signal<OutgoingRequest[]>([]);
export const friendsLoaded = signal(false);

export const sortedFriends = computed(() =>
  [...friends.value].sort((a, b) => Number(b.online) - Number(a.online) || a.user.displayName.localeCompare(b.user.displayName)),
);

/**
 * A friend's presence as far as this phone can know it: only while its own socket is up.
 * Offline (or still connecting) the last answer may be long stale, so none is shown.
 */
export function presenceOf(f: Friend): boolean | undefined {
  return connection.value === "online" ? f.online : undefined;
}

export function friendById(id: string): User | undefined {
  return friends.value.find((f) => f.user.id === id)?.user;
}

export async function refreshFriends(): Promise<void> {
  const [f, r] = await Promise.all([call(api.api.friends.$get()), call(api.api.friends.requests.$get())]);
  friends.value = f.friends;
  incoming.value = r.incoming;
  outgoing.value = r.outgoing;
  friendsLoaded.value = true;
}

export async function requestFriend(to: string, message: string): Promise<OutgoingRequest> {
  const { request } = await call(api.api.friends.requests.$post({ json: { to: to.trim(), ...(message.trim() ? { message: message.trim() } : {}) } }));
  outgoing.value = [request, ...outgoing.value.filter((r) => r.id !== request.id)];
  return request;
}

/** Takes back a request this user sent (DELETE /api/friends/requests/:id). */
export async function cancelRequest(id: string): Promise<void> {
  await callJson<{ ok: true }>("DELETE", `/api/friends/requests/${encodeURIComponent(id)}`);
  outgoing.value = outgoing.value.filter((r) => r.id !== id);
  await kv.set("friends", { friends: friends.value, incoming: incoming.value, outgoing: outgoing.value });
}

export async function answerRequest(id: string, decision: "accept" | "decline"): Promise<void> {
  const res = await call(api.api.friends.requests[":id"][":decision{accept|decline}"].$post({ param: { id, decision } }));
  incoming.value = incoming.value.filter((r) => r.id !== id);
  if ("friend" in res && res.friend) addFriend(res.friend);
}

export async function removeFriend(userId: string): Promise<void> {
  await call(api.api.friends[":userId"].$delete({ param: { userId } }));
  friends.value = friends.value.filter((f) => f.user.id !== userId);
}

export function addFriend(friend: Friend): void {
  friends.value = [...friends.value.filter((f) => f.user.id !== friend.user.id), friend];
  outgoing.value = outgoing.value.filter((r) => r.to.id !== friend.user.id);
  incoming.value = incoming.value.filter((r) => r.from.id !== friend.user.id);
}

export function setPresence(userId: string, online: boolean): void {
  friends.value = friends.value.map((f) => (f.user.id === userId ? { ...f, online } : f));
}
