// Turns hub frames, and those of the group rooms' own sockets, into state. Each burst of
// events is applied to the signals at once, written to IndexedDB in one transaction
// together with the new cursors (the hub's and each room's), and only then acknowledged:
// an acked seq is always on the device.
import { batch, effect, signal, untracked } from "@preact/signals";
import { ackPacer } from "./ack-pace";
import { api, call } from "./api";
import { connection, sendFrame, startConnection, stopConnection } from "./connection";
import { conversationById, conversations, mergeServerList, upsertConversation, withLast } from "./conversations";
import { type Stores, db, kv } from "./db";
import { addFriend, friendById, friends, incoming, outgoing, refreshFriends, setPresence } from "./friends";
import { applyGroupEvent, groupByConv, groupSummary, groups, refreshGroups } from "./groups";
import { deviceId } from "./ids";
import { accepted, flushOutbox, flushRoom, noteEcho, refused, rerouteGroupSends } from "./outbox";
import { type RoomOptions, sendToRoom, startRooms, stopRooms } from "./rooms";
import { confirmSession, me } from "./session";
import { addReader, addToThread, loadedThreads, mergeOne, moves, type Outcome, openThread, raiseInThread, reloadThread, threadOf, withOutcome } from "./threads";
import { type TypingIn, applyTyping, clearTyping, resetTyping } from "./typing";
import { resumeUploads } from "./uploads";
import type { ConversationSummary, HubEvent, ServerFrame, StatusState, StoredMessage } from "./types";
import type { IDBPTransaction } from "idb";
import { directPeer, groupConversationId, groupOf, isNativeSource, remoteOf } from "../../../core/conversation";
import { applyAccountEvent, refreshAccounts } from "./accounts";
import { applyNotice } from "./notices";
import { acceptedPost, applySocialEvent, refusedPost } from "./social";
import { observeMailFrame } from "./mail";
import { DELIVERY_RANK } from "../../../core/delivery";
import { applyBroadcastEvent, broadcastAccepted, broadcastRefused } from "./broadcast";
import { applyNotifyEvent } from "./notify";
import { applyPeopleEvent } from "./people";

/** The conversation on screen, if the page is visible: its messages count as read. */
export const activeConv = signal<string | null>(null);

type Tx = IDBPTransaction<any, Stores[], "readwrite">;
type Write = (tx: Tx) => Promise<unknown>;

let cursor = 0;
/** Group id → the newest room seq stored on this device (kv `room:<id>`), once read. */
const roomCursors = new Map<string, number>();
/** A frame and the socket it came on: the hub's, or a group's room (`room`, its group id). */
type Received = { frame: ServerFrame; room?: string };
const queue: Received[] = [];
let draining: Promise<void> | undefined;
let stopRerouting: (() => void) | undefined;
/** This page load has told the server its push subscription again (onReady). */
let pushResynced = false;
/** Ids already sent in a `read` frame, so re-renders do not repeat them. */
const readSent = new Set<string>();

export function setCursor(seq: number): void {
  cursor = seq;
}
export function currentCursor(): number {
  return cursor;
}

/** Connects the sockets for the signed-in user. The resume point is read fresh at every dial. */
export function startSync(url = defaultSocketUrl()): void {
  startConnection({ url, device: deviceId(), resume: () => cursor, onFrame: handleFrame, onSignedOut: () => void confirmSession() });
  startRoomSync();
}

/**
 * The active groups' room sockets (rooms.ts), feeding the same queue as the hub's. When the
 * hub's socket goes, group sends in flight on it go again on their room if that is up.
 */
export function startRoomSync(transport: Pick<RoomOptions, "url" | "WebSocketImpl" | "random"> = {}): void {
  startRooms({ resume: roomCursor, onFrame: (group, frame) => void handleRoomFrame(group, frame), onClosed: rerouteGroupSends, onSignedOut: () => void confirmSession(), ...transport });
  stopRerouting?.();
  stopRerouting = effect(() => {
    if (connection.value !== "online") untracked(rerouteGroupSends);
  });
}

export function stopSync(): void {
  acks.reset();
  stopRerouting?.();
  stopRerouting = undefined;
  stopRooms();
  stopConnection();
}

// `as`: who this page thinks is signed in. If the cookie is someone else's by now, the
// server refuses the socket rather than send this page's queue as them (session.ts).
function defaultSocketUrl(): string {
  const as = me.value ? `?as=${encodeURIComponent(me.value.id)}` : "";
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/ws${as}`;
}

export function handleFrame(frame: ServerFrame): Promise<void> {
  // Typing is ephemeral: no seq, nothing stored, so it skips the queue.
  if ((frame as { t: string }).t === "typing") {
    applyTyping(frame as unknown as TypingIn);
    return draining ?? Promise.resolve();
  }
  observeMailFrame(frame);
  return enqueue({ frame });
}

/** A frame from a group's room socket: applied like the hub's, counted against that room's cursor. */
export function handleRoomFrame(group: string, frame: ServerFrame): Promise<void> {
  return enqueue({ frame, room: group });
}

function enqueue(received: Received): Promise<void> {
  queue.push(received);
  draining ??= drain().finally(() => (draining = undefined));
  return draining;
}

const roomKey = (group: string) => `room:${group}`;

/** The room seq this device stored for the group (0: none yet, `hello {fresh}`). */
export async function roomCursor(group: string): Promise<number> {
  if (!roomCursors.has(group)) {
    const stored = (await kv.get<number>(roomKey(group))) ?? 0;
    if (!roomCursors.has(group)) roomCursors.set(group, stored);
  }
  return roomCursors.get(group)!;
}

/** Resolves once every frame received so far is applied and stored (used by tests). */
export function settled(): Promise<void> {
  return draining ?? Promise.resolve();
}

/** Acks on the hub's socket (key HUB) and each room's (key: the group id), paced (ack-pace.ts). */
const HUB = "";
const acks = ackPacer((key, seq) => (key === HUB ? sendFrame({ t: "ack", seq }) : sendToRoom(key, { t: "ack", seq })));

/** How far one burst took a socket's cursor, and whether it held someone else's message (only those need an ack). */
type Progress = { seq: number; theirs: boolean };

async function drain(): Promise<void> {
  while (queue.length > 0) {
    const burst = queue.splice(0);
    // Only a burst with room frames or group messages reads IndexedDB first; the rest goes straight on.
    const loading = prepare(burst);
    if (loading) await loading;
    let writes: Write[] = [];
    const hub: Progress = { seq: cursor, theirs: false };
    const rooms = new Map<string, Progress>();
    const progressOf = (room: string | undefined): Progress => {
      if (!room) return hub;
      let p = rooms.get(room);
      if (!p) rooms.set(room, (p = { seq: roomCursors.get(room)!, theirs: false }));
      return p;
    };
    const flush = async () => {
      const moved = [...rooms].filter(([group, p]) => p.seq > roomCursors.get(group)!);
      if (writes.length === 0 && hub.seq === cursor && moved.length === 0) return;
      await commit(writes, hub.seq, moved);
      writes = [];
      // An ack tells senders their messages reached this device; it is only worth a frame
      // when the burst holds someone else's message (the next ack covers the rest).
      if (hub.seq > cursor) {
        cursor = hub.seq;
        if (hub.theirs) acks.ack(HUB, hub.seq);
        hub.theirs = false;
      }
      for (const [group, p] of moved) {
        roomCursors.set(group, p.seq);
        if (p.theirs) acks.ack(group, p.seq);
        p.theirs = false;
      }
    };
    for (const { frame, room } of burst) {
      const p = progressOf(room);
      if (frame.t === "ev") {
        // Already stored: a replay overlapping what we had. Room seqs have gaps: never +1.
        if (frame.seq <= p.seq) continue;
        batch(() => writes.push(...applyEvent(frame.ev, frame.seq, room !== undefined)));
        p.seq = frame.seq;
        // A room socket acks every burst: up to the ack the member's hub stores quietly, and
        // what is not acked it also pushes on the hub's socket (docs/protocol.md).
        p.theirs ||= room !== undefined || (frame.ev.type === "message" && frame.ev.msg.from !== me.value?.id);
      } else if (frame.t === "accepted") {
        writes.push(...onAccepted(frame));
      } else if (frame.t === "error") {
        writes.push(...onError(frame));
      } else if (frame.t === "ready") {
        await flush();
        if (room) await onRoomReady(room, frame);
        else await onReady(frame);
        p.seq = room ? roomCursors.get(room)! : cursor; // a reset moves the cursor back to the server's head
      }
    }
    await flush();
  }
}

async function commit(writes: Write[], seq: number, rooms: [string, Progress][] = []): Promise<void> {
  const tx = (await db()).transaction(["kv", "conversations", "messages", "outbox"], "readwrite") as unknown as Tx;
  const ops = writes.map((w) => w(tx));
  if (seq > cursor) ops.push(tx.objectStore("kv").put(seq, "seq"));
  for (const [group, p] of rooms) ops.push(tx.objectStore("kv").put(p.seq, roomKey(group)));
  await Promise.all([...ops, tx.done]);
}

// ---- the same group message twice -----------------------------------------------------

/**
 * Ids of group messages this device has applied or stored, newest last. A group message
 * can come twice, once over the hub and once over the room's socket (around reconnects,
 * or a room replaying from an older cursor): the second copy must not count as unread
 * again, nor be taken for the echo of another queued send.
 */
const knownGroupMessages = new Set<string>();
const KNOWN_KEPT = 5_000;

/** True if the id was known already; remembers it either way. */
function knownBefore(id: string): boolean {
  if (knownGroupMessages.has(id)) return true;
  knownGroupMessages.add(id);
  if (knownGroupMessages.size > KNOWN_KEPT) knownGroupMessages.delete(knownGroupMessages.values().next().value!);
  return false;
}

/**
 * What a burst needs read before it is applied: the cursors of the rooms it came from, and
 * which of its group messages are stored already (from before a reload, or a history page).
 */
function prepare(burst: Received[]): Promise<unknown> | undefined {
  const rooms = [...new Set(burst.flatMap((r) => (r.room ? [r.room] : [])))];
  const ids = burst.flatMap(({ frame: f }) => (f.t === "ev" && f.ev.type === "message" && groupOf(f.ev.conv) && !knownGroupMessages.has(f.ev.msg.id) ? [f.ev.msg.id] : []));
  if (rooms.length === 0 && ids.length === 0) return undefined;
  return Promise.all([...rooms.map(roomCursor), recallStored(ids)]);
}

async function recallStored(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const store = (await db()).transaction("messages").store;
  const found = await Promise.all(ids.map((id) => store.getKey(id)));
  for (const key of found) if (key !== undefined) knownBefore(String(key));
}

const putConv = (c: ConversationSummary): Write => (tx) => tx.objectStore("conversations").put(c);
/** Stored merged with what the device already has for that id (receipts, readers, seq), never over it. */
const putMsg = (m: StoredMessage): Write => async (tx) => {
  const store = tx.objectStore("messages");
  await store.put(mergeOne((await store.get(m.id)) as StoredMessage | undefined, m));
};

// ---- events ------------------------------------------------------------------------

/** `seq` is the event's hub seq, or with `fromRoom` its seq in the group room's log. */
export function applyEvent(ev: HubEvent, seq?: number, fromRoom = false): Write[] {
  const self = me.value?.id;
  switch (ev.type) {
    case "message": {
      // An own message to another network is queued until its `status` says sent.
      const ownState = isNativeSource(ev.msg.source) ? ("sent" as const) : ("queued" as const);
      const place = seq === undefined ? {} : fromRoom ? { roomSeq: seq } : { seq };
      const msg: StoredMessage = { ...ev.msg, conv: ev.conv, ...place, ...(ev.msg.from === self ? { state: ownState } : {}) };
      // A group message seen before (hub and room both brought it) is merged, never counted again.
      const again = groupOf(ev.conv) !== null && knownBefore(msg.id);
      if (msg.from === self) {
        if (!again) noteEcho(msg);
      } else clearTyping(ev.conv, msg.from);
      addToThread(ev.conv, [msg]);
      const theirs = msg.from !== self;
      const conv = withLast(conversationById(ev.conv) ?? newConversation(ev.conv, msg), msg, theirs && !again ? 1 : 0);
      upsertConversation(conv);
      if (theirs && activeConv.value === ev.conv) queueMicrotask(() => markRead(ev.conv));
      return [putMsg(msg), putConv(conversationById(ev.conv)!)];
    }
    case "status": {
      applySocialEvent(ev); // a posted card's target: sent with its link, or failed
      if (ev.by === self) {
        // One of our devices (this one, or another) read this conversation up to these ids.
        // The hub says how many are unread after that: messages that reached it after the
        // ids that device saw are still unread, and the open chat must go on to read them.
        const c = conversationById(ev.conv);
        if (!c) return [];
        const read = upsertConversation({ ...c, unread: ev.unread ?? 0 });
        if (read.unread > 0 && activeConv.value === ev.conv) queueMicrotask(() => markRead(ev.conv));
        return [putConv(read)];
      }
      const outcome = { ...(ev.state === "failed" ? { failure: { code: ev.code ?? "remote_failed", reason: ev.reason ?? "" } } : {}), ...(ev.url ? { url: ev.url } : {}) };
      raiseInThread(ev.conv, ev.msgIds, ev.state, outcome);
      // In a group, each member's read comes back on its own: remember who.
      const reader = ev.state === "read" && groupOf(ev.conv) ? ev.by : undefined;
      if (reader) addReader(ev.conv, ev.msgIds, reader);
      const c = conversationById(ev.conv);
      const lastRaised = c?.last && ev.msgIds.includes(c.last.id) ? upsertConversation({ ...c, last: withReceipt(c.last, ev.state, reader) }) : undefined;
      return [raiseStored(ev.msgIds, ev.state, reader, outcome), ...(lastRaised ? [putConv(lastRaised)] : [])];
    }
    case "friend.request":
      incoming.value = [ev.request, ...incoming.value.filter((r) => r.id !== ev.request.id)];
      return [saveFriends()];
    case "friend.accepted":
      addFriend({ user: ev.user, since: Date.now(), online: friends.value.find((f) => f.user.id === ev.user.id)?.online ?? false });
      return [saveFriends()];
    case "friend.removed":
      friends.value = friends.value.filter((f) => f.user.id !== ev.user);
      return [saveFriends()];
    case "presence":
      setPresence(ev.user, ev.online);
      return [saveFriends()];
    case "friend.request.cancelled":
      incoming.value = incoming.value.filter((r) => r.id !== ev.request);
      outgoing.value = outgoing.value.filter((r) => r.id !== ev.request);
      return [saveFriends()];
    case "phone.moved":
      // Someone proved they hold our number: the profile now says it is not verified.
      void confirmSession();
      return [];
    case "group.invited":
    case "group.member.joined":
    case "group.member.left":
    case "group.expired": {
      if (!self) return [];
      const g = applyGroupEvent(ev, self);
      // An event for a group this device never heard of (e.g. a fresh install replaying): the list fills it in.
      if (!g) void refreshGroups(self).catch(() => undefined);
      const c = conversationById(ev.conv);
      return [saveGroupsWrite(), ...(c ? [putConv(c)] : [])];
    }
    case "notice":
      void applyNotice(ev);
      return [];
    default:
      applySocialEvent(ev); // post, post.acted, broadcast.status
      // Issue 14: broadcast cards, people, notification settings.
      if (!applyAccountEvent(ev) && !applyBroadcastEvent(ev) && !applyPeopleEvent(ev)) applyNotifyEvent(ev);
      return [];
  }
}

function saveGroupsWrite(): Write {
  const snapshot = groups.value;
  return (tx) => tx.objectStore("kv").put(snapshot, "groups");
}

function newConversation(id: string, msg: StoredMessage): ConversationSummary {
  const self = me.value?.id;
  const group = groupByConv(id);
  if (group) return groupSummary(group, self);
  const remote = remoteOf(id);
  if (remote) return { id, kind: "remote", source: remote.account, title: msg.name ?? remote.chat, last: null, unread: 0 };
  const groupId = groupOf(id);
  if (groupId) {
    void refreshLists().catch(() => undefined);
    return { id, kind: "group", source: msg.source, title: "…", group: groupId, last: null, unread: 0 };
  }
  // Our own first message (from this device or another) names the peer only in the id.
  const peerId = msg.from === self ? (self ? directPeer(id, self) : null) : msg.from;
  const peer = peerId ? friendById(peerId) : undefined;
  // Unknown details (e.g. our own first message from another device): the next list refresh fills them in.
  if (!peer) void refreshConversations().catch(() => undefined);
  return { id, kind: "direct", source: msg.source, title: peer?.displayName ?? "…", ...(peer ? { peer } : {}), last: null, unread: 0 };
}

const rank = DELIVERY_RANK;

type Last = NonNullable<ConversationSummary["last"]>;

/** The list's last message after a receipt: its state only moves up, and a group reader is remembered. */
function withReceipt(last: Last, state: StatusState, reader: string | undefined): Last {
  const raised = !last.state || rank[last.state] < rank[state] ? { ...last, state } : last;
  if (!reader || raised.readBy?.includes(reader)) return raised;
  return { ...raised, readBy: [...(raised.readBy ?? []), reader] };
}

function raiseStored(ids: string[], state: StatusState, reader?: string, outcome: Outcome = {}): Write {
  return async (tx) => {
    const store = tx.objectStore("messages");
    for (const id of ids) {
      const m = (await store.get(id)) as StoredMessage | undefined;
      if (!m?.state) continue;
      const raise = moves(m.state, state);
      const addReader = reader !== undefined && !m.readBy?.includes(reader);
      if (!raise && !addReader) continue;
      const raised = raise ? withOutcome(m, state, outcome) : m;
      await store.put(addReader ? { ...raised, readBy: [...(m.readBy ?? []), reader] } : raised);
    }
  };
}

function saveFriends(): Write {
  const snapshot = { friends: friends.value, incoming: incoming.value, outgoing: outgoing.value };
  return (tx) => tx.objectStore("kv").put(snapshot, "friends");
}

// ---- replies to our frames ------------------------------------------------------------

function onAccepted(frame: Extract<ServerFrame, { t: "accepted" }>): Write[] {
  if (broadcastAccepted(frame)) return [];
  const self = me.value?.id;
  if (!self) return [];
  const done = accepted(frame, self);
  if (!done) {
    acceptedPost(frame);
    return [];
  }
  if (groupOf(frame.conv)) knownBefore(done.msg.id);
  addToThread(frame.conv, [done.msg]);
  const c = conversationById(frame.conv);
  const conv = upsertConversation(withLast(c ?? newConversation(frame.conv, done.msg), done.msg, 0));
  return [(tx) => tx.objectStore("outbox").delete(frame.id), putMsg(done.msg), putConv(conv)];
}

function onError(frame: Extract<ServerFrame, { t: "error" }>): Write[] {
  if (broadcastRefused(frame)) return [];
  const failed = refused(frame);
  if (!failed && refusedPost(frame)) return [];
  if (!failed) {
    if (!frame.id) console.warn(`unibox: hub error ${frame.code}: ${frame.message}`);
    return [];
  }
  return [(tx) => tx.objectStore("outbox").put(failed)];
}

async function onReady(frame: Extract<ServerFrame, { t: "ready" }>): Promise<void> {
  // Read by bench/client-load.ts: time from navigation to the first `ready`.
  if (typeof performance !== "undefined" && performance.getEntriesByName("unibox:ready").length === 0) performance.mark("unibox:ready");
  if (frame.reset || (cursor === 0 && frame.head > 0)) {
    // A fresh device (it said hello without a cursor and got nothing replayed), or the
    // server lost events newer than our cursor: start from its head; the lists below refetch.
    const fresh = !frame.reset;
    cursor = frame.head;
    await kv.set("seq", frame.head);
    // What waited for this user now reaches a device: senders see it delivered.
    if (fresh) sendFrame({ t: "ack", seq: frame.head });
    // Nothing up to the head was replayed: a chat already on screen takes its newest page again.
    for (const [conv, thread] of loadedThreads()) if (thread.value.loaded) void openThread(conv).catch(() => undefined);
  }
  flushOutbox();
  resumeUploads();
  if (!pushResynced) {
    pushResynced = true;
    // Loaded on demand, like the Me screen's switch: push code stays out of the first route.
    void import("./push").then((p) => p.resyncPush());
  }
  if (activeConv.value) markRead(activeConv.value);
  await refreshLists().catch(() => undefined);
}

/**
 * A group's room socket finished its replay. With `reset` it could not replay from our
 * cursor: the group's history comes over HTTP again, like the hub's reset does for every
 * conversation. A first `ready` (no cursor yet) is acked, so what waited shows delivered.
 */
async function onRoomReady(group: string, frame: Extract<ServerFrame, { t: "ready" }>): Promise<void> {
  const had = roomCursors.get(group) ?? 0;
  if (frame.reset || frame.head > had) {
    roomCursors.set(group, frame.head);
    await kv.set(roomKey(group), frame.head);
  }
  if (frame.reset) {
    void reloadThread(groupConversationId(group)).catch(() => undefined);
    void refreshConversations().catch(() => undefined);
  } else if (had === 0 && frame.head > 0) sendToRoom(group, { t: "ack", seq: frame.head });
  flushRoom(group);
}

// ---- read receipts --------------------------------------------------------------------

/** Sends `read` for the other side's messages on screen, if any are unread. */
export function markRead(conv: string): void {
  const c = conversationById(conv);
  if (!c || c.unread === 0 || activeConv.value !== conv) return;
  if (typeof document !== "undefined" && document.visibilityState === "hidden") return;
  const self = me.value?.id;
  const theirs = threadOf(conv).value.messages.filter((m) => m.from !== self);
  if (theirs.length === 0) return;
  let ids = theirs.filter((m) => !readSent.has(m.id)).map((m) => m.id);
  if (ids.length === 0) ids = [theirs[theirs.length - 1]!.id];
  ids = ids.slice(-500);
  if (!sendFrame({ t: "read", conv, msgIds: ids })) return;
  for (const id of ids) readSent.add(id);
  const cleared = upsertConversation({ ...c, unread: 0 });
  void db().then((d) => d.put("conversations", cleared));
}

// ---- lists over HTTP --------------------------------------------------------------------

export async function refreshConversations(): Promise<void> {
  const { conversations: list } = await call(api.api.conversations.$get());
  const merged = mergeServerList(list as ConversationSummary[]);
  const tx = (await db()).transaction("conversations", "readwrite");
  await Promise.all([tx.store.clear(), ...merged.map((c) => tx.store.put(c)), tx.done]);
  await kv.set("listed", true);
  const open = activeConv.value;
  if (open) markRead(open);
}

export async function refreshLists(): Promise<void> {
  const self = me.value?.id;
  await Promise.all([
    // Groups after the list, so a group without messages yet still gets its entry.
    refreshConversations().then(() => refreshGroups(self).catch(() => undefined)),
    refreshFriends().then(() => kv.set("friends", { friends: friends.value, incoming: incoming.value, outgoing: outgoing.value })),
    refreshAccounts().catch(() => undefined),
  ]);
}

/** For tests: forget module state between cases. */
export function resetSyncState(): void {
  cursor = 0;
  roomCursors.clear();
  knownGroupMessages.clear();
  queue.length = 0;
  readSent.clear();
  pushResynced = false;
  activeConv.value = null;
  resetTyping();
  conversations.value = [];
  groups.value = {};
}
