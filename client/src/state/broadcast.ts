// One message to several people on several networks (issue 14): the `broadcast` frame, and
// one card per broadcast with each recipient's state. Kept in IndexedDB until the hub has
// accepted it, and sent again with the same id on every `ready`: the hub answers a repeat
// with the first `accepted`, so nobody gets it twice. Each recipient then follows its own
// message (`broadcast.status`); a failed one can be retried on its own.
import { effect, signal } from "@preact/signals";
import { connection, sendFrame } from "./connection";
import { kv } from "./db";
import { newClientId } from "./ids";
import type { Body, HubEvent, ServerFrame } from "./types";
import type { Target } from "../../../core/protocol";

export type RecipientState = "sending" | "queued" | "sent" | "delivered" | "read" | "failed";
/** Who a broadcast goes to, as the picker shows them. `source` is `unibox` or an account id. */
export type Recipient = { to: Target; name: string; source: string };
export type RecipientStatus = Recipient & { state: RecipientState; msgId?: string; conv?: string; reason?: string; code?: string };
export type ClientBroadcast = { id: string; body: Body; at: number; accepted: boolean; recipients: RecipientStatus[] };

export const broadcasts = signal<Record<string, ClientBroadcast>>({});
const KEY = "broadcasts";
/** The newest broadcasts kept on the phone (older cards are gone; their messages stay in the chats). */
const KEEP = 30;

let loaded: Promise<void> | undefined;
export function loadBroadcasts(): Promise<void> {
  loaded ??= kv.get<Record<string, ClientBroadcast>>(KEY).then((v) => {
    if (v) broadcasts.value = { ...v, ...broadcasts.value };
  });
  return loaded;
}

function put(b: ClientBroadcast): void {
  const all = { ...broadcasts.value, [b.id]: b };
  const keep = Object.values(all).sort((x, y) => y.at - x.at).slice(0, KEEP);
  broadcasts.value = Object.fromEntries(keep.map((x) => [x.id, x]));
  void kv.set(KEY, broadcasts.value);
}

/** Stored first, then sent; returns the broadcast id (the card's address). */
export async function sendBroadcast(recipients: Recipient[], body: Body, now = Date.now()): Promise<string> {
  await loadBroadcasts();
  const b: ClientBroadcast = { id: newClientId(), body, at: now, accepted: false, recipients: recipients.map((r) => ({ ...r, state: "sending" })) };
  put(b);
  transmit(b);
  return b.id;
}

function transmit(b: ClientBroadcast): void {
  sendFrame({ t: "broadcast", id: b.id, to: b.recipients.map((r) => r.to), body: b.body });
}

/** Every `ready`: what the hub has not accepted yet goes again, with its id. */
export function resendBroadcasts(): void {
  for (const b of Object.values(broadcasts.value)) if (!b.accepted) transmit(b);
}

effect(() => {
  if (connection.value === "online") void loadBroadcasts().then(resendBroadcasts);
});

/** A failed recipient goes again: the same message, the same key on its network. */
export function retryRecipient(id: string, n: number): boolean {
  const b = broadcasts.value[id];
  const r = b?.recipients[n];
  if (!b || !r?.msgId || r.state !== "failed") return false;
  if (!sendFrame({ t: "retry", msgId: r.msgId })) return false;
  put({ ...b, recipients: b.recipients.map((x, i) => (i === n ? { ...x, state: "queued", reason: undefined, code: undefined } : x)) });
  return true;
}

// ---- what the hub says ----------------------------------------------------------------

const RANK: Record<RecipientState, number> = { sending: -1, queued: 0, failed: 1, sent: 2, delivered: 3, read: 4 };

/** `accepted` for a broadcast: each target's message, or why it was refused at once. Returns whether it was one. */
export function broadcastAccepted(frame: Extract<ServerFrame, { t: "accepted" }>): boolean {
  const b = broadcasts.value[frame.id];
  if (!b || !frame.targets) return false;
  const recipients = b.recipients.map((r, i) => {
    const t = frame.targets![i];
    if (!t) return r;
    if (t.error) return { ...r, state: "failed" as const, reason: t.error.message, code: t.error.code };
    return { ...r, msgId: t.msgId, conv: t.conv, state: r.state === "sending" ? ("queued" as const) : r.state };
  });
  put({ ...b, accepted: true, recipients });
  return true;
}

/** A refused broadcast frame (offline limits, a bad body): every recipient failed with the reason. */
export function broadcastRefused(frame: Extract<ServerFrame, { t: "error" }>): boolean {
  const b = frame.id ? broadcasts.value[frame.id] : undefined;
  if (!b || frame.code === "internal" || frame.code === "rate_limited") return !!b;
  put({ ...b, accepted: true, recipients: b.recipients.map((r) => ({ ...r, state: "failed", reason: frame.message, code: frame.code })) });
  return true;
}

/** `broadcast.status`: one recipient moved. A retry is the one way down (failed → queued). */
export function applyBroadcastEvent(ev: HubEvent): boolean {
  if (ev.type !== "broadcast.status") return false;
  const b = broadcasts.value[ev.id];
  const r = b?.recipients[ev.target];
  if (!b || !r) return true;
  const retried = r.state === "failed" && ev.state === "queued";
  if (!retried && RANK[ev.state] <= RANK[r.state] && !(r.state === "queued" && ev.state === "failed")) return true;
  const next: RecipientStatus = { ...r, state: ev.state, ...(ev.msgId ? { msgId: ev.msgId } : {}), ...(ev.conv ? { conv: ev.conv } : {}), reason: ev.reason, code: ev.code };
  put({ ...b, recipients: b.recipients.map((x, i) => (i === ev.target ? next : x)) });
  return true;
}

/** For tests and sign-out. */
export function resetBroadcasts(): void {
  broadcasts.value = {};
  loaded = undefined;
}
