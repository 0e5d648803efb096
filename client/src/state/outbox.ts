// Messages the user wrote, kept in IndexedDB until the hub accepts them. Every retry
// reuses the item's client id, and the hub dedupes by it: each goes out exactly once.
import { computed, signal } from "@preact/signals";
import type { ClientFrame } from "../../../core/protocol";
import { connection, sendFrame } from "./connection";
import { db } from "./db";
import { newClientId } from "./ids";
import { roomReady, sendToRoom } from "./rooms";
import type { Body, OutboxItem, ServerFrame, StoredMessage } from "./types";
import { groupOf, NATIVE_SOURCE, remoteOf } from "../../../core/conversation";

export const outbox = signal<OutboxItem[]>([]);
/**
 * Client id → message id, for items whose own `message` event arrived before their
 * `accepted` frame (the hub logs the message first). The UI hides those items so the
 * message never shows twice.
 */
export const echoes = signal<ReadonlyMap<string, string>>(new Map());
/**
 * Client id → the socket it was written on: the hub's (`HUB`), or a group's room (its group
 * id). An echo can only belong to one of these.
 */
const inFlight = new Map<string, string>();
const HUB = "hub";

/** Errors that a later retry can cure; anything else is final and shown on the message. */
const TRANSIENT = new Set(["internal", "rate_limited", "overloaded"]);

/**
 * Refusals that the same message will get again however often it is tried: the file or
 * the body is what it is, and an ended group stays ended. A failed message with one of
 * these offers Delete only; others (not friends any more, signed out, unknown codes) may
 * be cured by something the user does, so Retry stays.
 */
const FINAL = new Set([
  "media_too_large", "unsupported_media_type", "media_type_mismatch", "invalid_media", "media_not_found",
  "group_ended", "group_not_found", "unsupported_body", "unsupported_target", "invalid_target",
  "invalid_input", "invalid_frame", "frame_too_large", "body_too_large",
]);

export const canRetry = (code: string): boolean => !FINAL.has(code);

export const pendingByConv = computed(() => {
  const hidden = echoes.value;
  const map = new Map<string, OutboxItem[]>();
  for (const item of outbox.value) {
    if (hidden.has(item.id)) continue;
    const list = map.get(item.conv) ?? [];
    list.push(item);
    map.set(item.conv, list);
  }
  return map;
});

export async function queueMessage(conv: string, to: string, body: Body, now = Date.now()): Promise<OutboxItem> {
  const item: OutboxItem = { id: newClientId(), conv, to, body, createdAt: now };
  await storeItem(item);
  transmit(item);
  return item;
}

/** Stored before it is shown or sent: a crash after this cannot lose it. */
export async function storeItem(item: OutboxItem): Promise<void> {
  await (await db()).put("outbox", item);
  outbox.value = [...outbox.value.filter((i) => i.id !== item.id), item];
}

/** Replaces an item in place (same client id, same place in line), in IndexedDB first. */
export async function replaceItem(item: OutboxItem): Promise<void> {
  await (await db()).put("outbox", item);
  outbox.value = outbox.value.map((i) => (i.id === item.id ? item : i));
}

/** Sends every unaccepted item, oldest first (the hub keeps per-conversation order). */
export function flushOutbox(): void {
  // A new hub socket: what went out on the old one may never have arrived.
  forget(HUB);
  for (const item of outbox.value) if (!item.error) transmit(item);
}

/** A group's room socket said `ready`: its conversation's waiting sends may take it. */
export function flushRoom(group: string): void {
  forget(group);
  for (const item of outbox.value) if (!item.error && groupOf(item.conv) === group) transmit(item);
}

/** A socket went away (a room's, or the hub's): group sends in flight on it go again on one that is up. */
export function rerouteGroupSends(): void {
  for (const item of outbox.value) {
    const path = inFlight.get(item.id);
    if (path !== undefined && !live(path) && groupOf(item.conv)) transmit(item);
  }
}

function forget(path: string): void {
  for (const [id, p] of inFlight) if (p === path) inFlight.delete(id);
}

const live = (path: string) => (path === HUB ? connection.value === "online" : roomReady(path));

/** A group conversation's items go to the group; the rest to the peer. */
/** Where an item goes: its group, a contact on a bound account (the conversation names both), or the friend. */
function targetOf(item: OutboxItem) {
  const remote = remoteOf(item.conv);
  if (remote) return { account: remote.account, contact: remote.chat };
  return groupOf(item.conv) ? { group: item.to } : { user: item.to };
}

/** Sends the item if its socket is ready; a picture or clip waits until its upload is done. */
export function transmit(item: OutboxItem): void {
  if (item.upload || item.error || isLive(item.id)) return;
  const group = groupOf(item.conv);
  if (group) return transmitGroup(item.conv, group);
  if (sendFrame(sendOf(item))) inFlight.set(item.id, HUB);
}

const sendOf = (item: OutboxItem): ClientFrame => ({ t: "send", id: item.id, to: targetOf(item), body: item.body });

function isLive(id: string): boolean {
  const path = inFlight.get(id);
  return path !== undefined && live(path);
}

/**
 * A group's sends take its room socket once that is ready, else the hub's, with the same
 * frame and id (the server dedupes across both). Order holds only within one socket, so a
 * conversation's sends go on one path at a time: the one its sends still in flight took,
 * and the rest after them, oldest first, stopping at the first that cannot go.
 */
function transmitGroup(conv: string, group: string): void {
  const items = outbox.value.filter((i) => i.conv === conv && !i.upload && !i.error);
  const busy = items.map((i) => inFlight.get(i.id)).find((p) => p !== undefined && live(p));
  const path = busy ?? (roomReady(group) ? group : HUB);
  for (const item of items) {
    if (isLive(item.id)) continue;
    const sent = path === HUB ? sendFrame(sendOf(item)) : sendToRoom(path, sendOf(item));
    if (!sent) return;
    inFlight.set(item.id, path);
  }
}

/** An own message event: if it is the echo of an item in flight, link them. */
export function noteEcho(msg: StoredMessage): void {
  if (hasEchoFor(msg.id)) return;
  const same = JSON.stringify(msg.body);
  const item = outbox.value.find((i) => i.conv === msg.conv && inFlight.has(i.id) && !echoes.value.has(i.id) && JSON.stringify(i.body) === same);
  if (item) echoes.value = new Map(echoes.value).set(item.id, msg.id);
}

function hasEchoFor(msgId: string): boolean {
  for (const id of echoes.value.values()) if (id === msgId) return true;
  return false;
}

/** The hub holds the message: it leaves the outbox and becomes a stored message in state "sent". */
export function accepted(frame: Extract<ServerFrame, { t: "accepted" }>, me: string): { item: OutboxItem; msg: StoredMessage } | undefined {
  const item = outbox.value.find((i) => i.id === frame.id);
  inFlight.delete(frame.id);
  if (!item) return undefined;
  outbox.value = outbox.value.filter((i) => i.id !== frame.id);
  if (echoes.value.has(frame.id)) {
    const next = new Map(echoes.value);
    next.delete(frame.id);
    echoes.value = next;
  }
  // A message to another network is queued in the hub until its status says it went.
  const remote = remoteOf(frame.conv);
  return { item, msg: { id: frame.msgId, conv: frame.conv, from: me, source: remote?.account ?? NATIVE_SOURCE, body: item.body, at: frame.at, state: remote ? "queued" : "sent" } };
}

/** The hub refused a send. Transient refusals wait for the next flush; others mark the item failed. */
export function refused(frame: Extract<ServerFrame, { t: "error" }>): OutboxItem | undefined {
  const item = frame.id ? outbox.value.find((i) => i.id === frame.id) : undefined;
  if (!item) return undefined;
  inFlight.delete(item.id);
  if (TRANSIENT.has(frame.code)) return undefined;
  const failed = { ...item, error: { code: frame.code, message: frame.message } };
  outbox.value = outbox.value.map((i) => (i.id === item.id ? failed : i));
  return failed;
}

export async function discard(id: string): Promise<void> {
  await (await db()).delete("outbox", id);
  outbox.value = outbox.value.filter((i) => i.id !== id);
}

export async function retry(id: string): Promise<OutboxItem | undefined> {
  const item = outbox.value.find((i) => i.id === id);
  if (!item) return undefined;
  const { error: _, ...again } = item;
  await replaceItem(again);
  transmit(again);
  return again;
}

/** Marks an item failed for good (shown with Retry / Delete). */
export async function markFailed(id: string, error: { code: string; message: string }): Promise<void> {
  const item = outbox.value.find((i) => i.id === id);
  if (item) await replaceItem({ ...item, error });
}

/** For tests and sign-out. */
export function resetOutboxState(items: OutboxItem[] = []): void {
  outbox.value = items;
  echoes.value = new Map();
  inFlight.clear();
}
