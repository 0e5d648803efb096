// Messages of the conversations the user has opened, one signal per conversation so a
// message in one chat does not re-render another.
import { type Signal, signal } from "@preact/signals";
import { ApiFailure, api, call } from "./api";
import { cachedMessages, db } from "./db";
import type { StatusState, StoredMessage } from "./types";
import { groupOf } from "../../../core/conversation";
import { DELIVERY_RANK } from "../../../core/delivery";

export type Thread = {
  messages: StoredMessage[];
  /** Cursor for the next older page; `null` when the start of the conversation is loaded. */
  before: string | null | undefined;
  loadingOlder: boolean;
  /** True once the cache (at least) has been read. */
  loaded: boolean;
};

/**
 * The route reads `before`/`limit` with check() inside the handler rather than a
 * validator middleware, so AppType does not know the query; hc still sends it.
 */
const messagesPage = api.api.conversations[":id"].messages.$get as (args: { param: { id: string }; query: { before?: string; limit?: string } }) => ReturnType<
  typeof api.api.conversations[":id"]["messages"]["$get"]
>;

const threads = new Map<string, Signal<Thread>>();

export function threadOf(conv: string): Signal<Thread> {
  let t = threads.get(conv);
  if (!t) {
    t = signal<Thread>({ messages: [], before: undefined, loadingOlder: false, loaded: false });
    threads.set(conv, t);
  }
  return t;
}

export function loadedThreads(): Iterable<[string, Signal<Thread>]> {
  return threads.entries();
}

/** Log order where both are known (seq), else time; the id only breaks exact ties. */
const order = (a: StoredMessage, b: StoredMessage) => (groupOf(a.conv) ? groupOrder(a, b) : a.seq !== undefined && b.seq !== undefined ? a.seq - b.seq : byTime(a, b));
const byTime = (a: StoredMessage, b: StoredMessage) => a.at - b.at || a.id.localeCompare(b.id);

/**
 * A group's messages come over the room's own socket (room seqs) and over the hub (hub
 * seqs, live or on history pages), two counts that cannot be compared with each other.
 * Each follows the room's log, which senders' clocks (`at`) cannot: the room's seq where
 * both messages have one, else the hub's where both have one (the copies a hub stores
 * quietly share theirs, so an equal one says nothing), else time.
 */
function groupOrder(a: StoredMessage, b: StoredMessage): number {
  if (a.roomSeq !== undefined && b.roomSeq !== undefined) return a.roomSeq - b.roomSeq;
  if (a.seq !== undefined && b.seq !== undefined && a.seq !== b.seq) return a.seq - b.seq;
  return byTime(a, b);
}
const rank = DELIVERY_RANK;

/**
 * Merges by id; a receipt never moves backwards (read stays read even if a stale page says
 * sent), and a group message's readers only grow (pages from the server do not carry them).
 */
export function mergeMessages(current: StoredMessage[], incoming: StoredMessage[]): StoredMessage[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, mergeOne(byId.get(m.id), m));
  return [...byId.values()].sort(order);
}

export function mergeOne(prev: StoredMessage | undefined, m: StoredMessage): StoredMessage {
  if (!prev) return m;
  let out = prev.state && (!m.state || rank[prev.state] > rank[m.state]) ? { ...m, state: prev.state } : m;
  if (prev.readBy?.length) out = { ...out, readBy: [...new Set([...(prev.readBy ?? []), ...(m.readBy ?? [])])] };
  if (out.seq === undefined && prev.seq !== undefined) out = { ...out, seq: prev.seq };
  if (out.roomSeq === undefined && prev.roomSeq !== undefined) out = { ...out, roomSeq: prev.roomSeq };
  return out;
}

/** Records that `reader` (a group member) has read these own messages. */
export function addReader(conv: string, ids: string[], reader: string): void {
  const t = threads.get(conv);
  if (!t) return;
  const set = new Set(ids);
  t.value = {
    ...t.value,
    messages: t.value.messages.map((m) => (set.has(m.id) && !m.readBy?.includes(reader) ? { ...m, readBy: [...(m.readBy ?? []), reader] } : m)),
  };
}

/**
 * Receipts for own messages this device does not show as sent yet (a receipt can come
 * before the message settles here); applied when the message arrives.
 */
const earlyReceipts = new Map<string, StatusState>();

export function addToThread(conv: string, msgs: StoredMessage[]): void {
  const settled = msgs.map((m) => {
    const early = earlyReceipts.get(m.id);
    if (!early || !m.state) return m;
    earlyReceipts.delete(m.id);
    return rank[m.state] < rank[early] ? { ...m, state: early } : m;
  });
  const t = threads.get(conv);
  if (t) t.value = { ...t.value, messages: mergeMessages(t.value.messages, settled) };
}

export function raiseInThread(conv: string, ids: string[], state: StatusState, extra: Outcome = {}): void {
  const t = threads.get(conv);
  const shown = new Set(t?.value.messages.filter((m) => m.state && m.state in rank).map((m) => m.id));
  for (const id of ids) if (!shown.has(id) && rank[state] > rank[earlyReceipts.get(id) ?? "sent"]) earlyReceipts.set(id, state);
  if (!t) return;
  const set = new Set(ids);
  t.value = { ...t.value, messages: t.value.messages.map((m) => (set.has(m.id) && m.state && moves(m.state, state) ? withOutcome(m, state, extra) : m)) };
}

/** What a `status` adds besides the state: a failure's reason, a post's URL. */
export type Outcome = { failure?: StoredMessage["failure"]; url?: string };

/** A state only rises, except the one step down a retry takes: failed → queued. */
export function moves(from: NonNullable<StoredMessage["state"]>, to: StatusState): boolean {
  return rank[from] < rank[to] || (from === "failed" && to === "queued");
}

export function withOutcome(m: StoredMessage, state: StatusState, extra: Outcome): StoredMessage {
  const { failure: _, ...rest } = m;
  return { ...(state === "failed" ? m : rest), state, ...(extra.failure ? { failure: extra.failure } : {}), ...(extra.url ? { url: extra.url } : {}) };
}

/** Shows the cached messages at once, then the server's newest page on top of them. */
export async function openThread(conv: string): Promise<void> {
  const t = threadOf(conv);
  if (!t.value.loaded) t.value = { ...t.value, messages: mergeMessages(t.value.messages, await cachedMessages(conv)), loaded: true };
  await fetchPage(conv, undefined);
}

/**
 * The device missed part of this conversation (a room that could not replay): paging starts
 * again from the server's newest page, so scrolling up fills the gap. What is shown stays.
 */
export async function reloadThread(conv: string): Promise<void> {
  const t = threads.get(conv);
  if (!t) return;
  t.value = { ...t.value, before: undefined };
  if (t.value.loaded) await fetchPage(conv, undefined);
}

export async function loadOlder(conv: string): Promise<void> {
  const t = threadOf(conv);
  if (t.value.loadingOlder || t.value.before === null) return;
  await fetchPage(conv, t.value.before);
}

async function fetchPage(conv: string, before: string | undefined): Promise<void> {
  const t = threadOf(conv);
  t.value = { ...t.value, loadingOlder: before !== undefined };
  try {
    const page = await call(messagesPage({ param: { id: conv }, query: before ? { before } : {} }));
    const msgs = page.messages.map((m): StoredMessage => ({
      id: m.id, from: m.from, source: m.source, body: m.body, at: m.at, conv, seq: m.seq,
      ...(m.state ? { state: m.state } : {}),
      ...(m.readBy?.length ? { readBy: m.readBy } : {}),
    }));
    // Stored merged with what the device knew (receipts, group readers), never over it.
    const tx = (await db()).transaction("messages", "readwrite");
    await Promise.all([...msgs.map(async (m) => tx.store.put(mergeOne((await tx.store.get(m.id)) as StoredMessage | undefined, m))), tx.done]);
    // The newest page only sets the cursor the first time; later refreshes keep the one scrolling has reached.
    const cursor = page.before ?? null;
    t.value = {
      ...t.value,
      messages: mergeMessages(t.value.messages, msgs),
      before: before === undefined && t.value.before !== undefined ? t.value.before : cursor,
      loadingOlder: false,
    };
  } catch (err) {
    // A conversation with a new friend has no history on the server until the first message.
    if (err instanceof ApiFailure && err.code === "conversation_not_found") t.value = { ...t.value, before: null, loadingOlder: false };
    else t.value = { ...t.value, loadingOlder: false };
    if (!(err instanceof ApiFailure)) throw err;
  }
}
