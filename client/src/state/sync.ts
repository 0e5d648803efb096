// Turns hub frames into state. Each burst of events is applied to the signals at once,
// written to IndexedDB in one transaction together with the new cursor, and only then
// acknowledged: an acked seq is always on the device.
import { batch, signal } from "@preact/signals";
import { api, call } from "./api";
import { sendFrame, startConnection } from "./connection";
import { conversationById, conversations, mergeServerList, upsertConversation, withLast } from "./conversations";
import { type Stores, db, kv } from "./db";
import { addFriend, friendById, friends, incoming, outgoing, refreshFriends, setPresence } from "./friends";
import { applyGroupEvent, groupByConv, groupSummary, groups, refreshGroups } from "./groups";
import { deviceId } from "./ids";
import { accepted, flushOutbox, noteEcho, refused } from "./outbox";
import { confirmSession, me } from "./session";
import { addReader, addToThread, loadedThreads, mergeOne, moves, type Outcome, openThread, raiseInThread, threadOf, withOutcome } from "./threads";
import { type TypingIn, applyTyping, clearTyping, resetTyping } from "./typing";
import { resumeUploads } from "./uploads";
import type { ConversationSummary, HubEvent, ServerFrame, StatusState, StoredMessage } from "./types";
import type { IDBPTransaction } from "idb";
import { directPeer, groupOf, isNativeSource, remoteOf } from "../../../core/conversation";
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
const queue: ServerFrame[] = [];
let draining: Promise<void> | undefined;
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

/** Connects the socket for the signed-in user. The resume point is read fresh at every dial. */
export function startSync(url = defaultSocketUrl()): void {
  startConnection({ url, device: deviceId(), resume: () => cursor, onFrame: handleFrame, onSignedOut: () => void confirmSession() });
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
  queue.push(frame);
  draining ??= drain().finally(() => (draining = undefined));
  return draining;
}

/** Resolves once every frame received so far is applied and stored (used by tests). */
export function settled(): Promise<void> {
  return draining ?? Promise.resolve();
}

async function drain(): Promise<void> {
  while (queue.length > 0) {
    const frames = queue.splice(0);
    let writes: Write[] = [];
    let seq = cursor;
    // An ack tells senders their messages reached this device; it is only worth a frame
    // when the burst holds someone else's message (the hub's next ack covers the rest).
    let theirs = false;
    const flush = async () => {
      if (writes.length === 0 && seq === cursor) return;
      await commit(writes, seq);
      writes = [];
      if (seq > cursor) {
        cursor = seq;
        if (theirs) sendFrame({ t: "ack", seq });
        theirs = false;
      }
    };
    for (const frame of frames) {
      if (frame.t === "ev") {
        if (frame.seq <= seq) continue; // already stored: a replay overlapping what we had
        batch(() => writes.push(...applyEvent(frame.ev, frame.seq)));
        seq = frame.seq;
        theirs ||= frame.ev.type === "message" && frame.ev.msg.from !== me.value?.id;
      } else if (frame.t === "accepted") {
        writes.push(...onAccepted(frame));
      } else if (frame.t === "error") {
        writes.push(...onError(frame));
      } else if (frame.t === "ready") {
        await flush();
        await onReady(frame);
        seq = cursor; // a reset moves the cursor back to the server's head
      }
    }
    await flush();
  }
}

async function commit(writes: Write[], seq: number): Promise<void> {
  const tx = (await db()).transaction(["kv", "conversations", "messages", "outbox"], "readwrite") as unknown as Tx;
  const ops = writes.map((w) => w(tx));
  if (seq > cursor) ops.push(tx.objectStore("kv").put(seq, "seq"));
  await Promise.all([...ops, tx.done]);
}

const putConv = (c: ConversationSummary): Write => (tx) => tx.objectStore("conversations").put(c);
/** Stored merged with what the device already has for that id (receipts, readers, seq), never over it. */
const putMsg = (m: StoredMessage): Write => async (tx) => {
  const store = tx.objectStore("messages");
  await store.put(mergeOne((await store.get(m.id)) as StoredMessage | undefined, m));
};

// ---- events ------------------------------------------------------------------------

export function applyEvent(ev: HubEvent, seq?: number): Write[] {
  const self = me.value?.id;
  switch (ev.type) {
    case "message": {
      // An own message to another network is queued until its `status` says sent.
      const ownState = isNativeSource(ev.msg.source) ? ("sent" as const) : ("queued" as const);
      const msg: StoredMessage = { ...ev.msg, conv: ev.conv, ...(seq !== undefined ? { seq } : {}), ...(ev.msg.from === self ? { state: ownState } : {}) };
      if (msg.from === self) noteEcho(msg);
      else clearTyping(ev.conv, msg.from);
      addToThread(ev.conv, [msg]);
      const theirs = msg.from !== self;
      const conv = withLast(conversationById(ev.conv) ?? newConversation(ev.conv, msg), msg, theirs ? 1 : 0);
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
  queue.length = 0;
  readSent.clear();
  pushResynced = false;
  activeConv.value = null;
  resetTyping();
  conversations.value = [];
  groups.value = {};
}
