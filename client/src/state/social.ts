// The Social tab's state: one feed across the bound networks (newest first, in the order the
// hub stored them), new posts held behind an "N new posts" pill so the list never jumps, and
// the cards of what the user posted: each target's way (queued → sent with its link, or
// failed with the reason, retried alone). Kept small and free of the counting code, because
// sync.ts (first route) imports it; the composer's counting lives in the lazy Social chunk.
import { effect, signal } from "@preact/signals";
import { api, call } from "./api";
import { connection, sendFrame } from "./connection";
import { kv } from "./db";
import { newClientId } from "./ids";
import type { Body, HubEvent, ServerFrame } from "./types";
import type { Post, PostAction, TextLimits } from "../../../core/protocol";

export type { Post, PostAction, TextLimits };

/** What each network can do, from GET /api/accounts/networks. */
export type NetworkInfo = { network: string; limits?: TextLimits; actions?: PostAction[] };

export const posts = signal<Post[]>([]);
/** Arrived while the list was on screen: shown when the user taps the pill. */
export const newPosts = signal<Post[]>([]);
export const feedState = signal<{ loaded: boolean; loading: boolean; before: string | null; error?: string }>({ loaded: false, loading: false, before: null });
export const networkInfo = signal<Record<string, NetworkInfo>>({});

// ---- the feed ---------------------------------------------------------------------------

export async function loadFeed(): Promise<void> {
  if (feedState.value.loading) return;
  feedState.value = { ...feedState.value, loading: true };
  try {
    const page = await call(api.api.feed.$get({ query: { limit: 30 } }));
    const fresh = page.posts as Post[];
    const known = new Set(fresh.map((p) => p.id));
    // Posts that arrived live while the page loaded are in it or newer than it.
    posts.value = [...newPosts.value.filter((p) => !known.has(p.id)), ...fresh];
    newPosts.value = [];
    feedState.value = { loaded: true, loading: false, before: page.before ?? null };
  } catch (err) {
    feedState.value = { ...feedState.value, loading: false, error: (err as Error).message };
  }
}

export async function loadOlderPosts(): Promise<void> {
  const { before, loading, loaded } = feedState.value;
  if (!loaded || loading || before === null) return;
  feedState.value = { ...feedState.value, loading: true };
  try {
    const page = await call(api.api.feed.$get({ query: { limit: 30, before } }));
    const known = new Set(posts.value.map((p) => p.id));
    posts.value = [...posts.value, ...(page.posts as Post[]).filter((p) => !known.has(p.id))];
    feedState.value = { loaded: true, loading: false, before: page.before ?? null };
  } catch (err) {
    feedState.value = { ...feedState.value, loading: false, error: (err as Error).message };
  }
}

/** The pill: the held posts go to the top. */
export function showNewPosts(): void {
  posts.value = [...newPosts.value, ...posts.value];
  newPosts.value = [];
}

function addLive(post: Post): void {
  if (!feedState.value.loaded) return; // the first page will bring it
  if (posts.value.some((p) => p.id === post.id) || newPosts.value.some((p) => p.id === post.id)) return;
  // The user's own post goes straight in (they just wrote it); others wait behind the pill,
  // unless there is nothing on screen to push down.
  if (post.kind === "own" || posts.value.length === 0) posts.value = [post, ...posts.value];
  else newPosts.value = [post, ...newPosts.value];
}

function markActed(postId: string, action: "boost" | "like"): void {
  const mark = (list: Post[]) => list.map((p) => (p.id === postId ? { ...p, ...(action === "boost" ? { boosted: true as const } : { liked: true as const }) } : p));
  posts.value = mark(posts.value);
  newPosts.value = mark(newPosts.value);
}

export async function loadNetworkInfo(): Promise<void> {
  if (Object.keys(networkInfo.value).length > 0) return;
  const { networks } = await call(api.api.accounts.networks.$get());
  networkInfo.value = Object.fromEntries((networks as NetworkInfo[]).map((n) => [n.network, { network: n.network, ...(n.limits ? { limits: n.limits } : {}), ...(n.actions ? { actions: n.actions } : {}) }]));
}

/** Boost or like: the server asks the network at once and answers with the outcome. */
export async function actOn(post: Post, action: "boost" | "like"): Promise<void> {
  const param = { param: { id: post.id } };
  await call(action === "boost" ? api.api.feed[":id"].boost.$post(param) : api.api.feed[":id"].like.$post(param));
  markActed(post.id, action);
}

// ---- what the user posted -------------------------------------------------------------------

export type TargetState = "sending" | "queued" | "sent" | "failed";
export type CardTarget = { name: string; network?: string; split?: boolean; msgId?: string; state: TargetState; url?: string; reason?: string; code?: string };
/** One post to one or more networks, or a reply to a post of the feed (`replyTo`, the post id). */
export type PostCard = { id: string; at: number; body: Body; targets: CardTarget[]; replyTo?: string; accepted: boolean; error?: { code: string; message: string } };

export const cards = signal<PostCard[]>([]);
const CARDS_KEPT = 20;
let restored = false;

/** Cards survive a reload: those not yet accepted are sent again with the same id. */
export async function restoreCards(): Promise<void> {
  if (restored) return;
  restored = true;
  const saved = (await kv.get<PostCard[]>("socialCards")) ?? [];
  const known = new Set(cards.value.map((c) => c.id));
  cards.value = [...cards.value, ...saved.filter((c) => !known.has(c.id))];
  resend();
}

function save(): void {
  void kv.set("socialCards", cards.value.slice(0, CARDS_KEPT)).catch(() => undefined);
}

function update(id: string, change: (c: PostCard) => PostCard): void {
  cards.value = cards.value.map((c) => (c.id === id ? change(c) : c));
  save();
}

/** Posts `body` to the named networks or accounts: one `send` for one, one `broadcast` for several. */
export function publish(targets: { name: string; network?: string; split?: boolean }[], body: Body, replyTo?: string): PostCard {
  const card: PostCard = { id: newClientId(), at: Date.now(), body, targets: targets.map((t) => ({ ...t, state: "sending" })), ...(replyTo ? { replyTo } : {}), accepted: false };
  cards.value = [card, ...cards.value].slice(0, CARDS_KEPT);
  save();
  transmit(card);
  return card;
}

function transmit(card: PostCard): boolean {
  if (card.accepted || card.error) return true;
  if (card.replyTo) return sendFrame({ t: "send", id: card.id, to: { post: card.replyTo, ...(card.targets[0]?.split ? { split: true } : {}) }, body: card.body });
  const to = card.targets.map((t) => ({ network: t.name, ...(t.split ? { split: true } : {}) }));
  return sendFrame(to.length === 1 ? { t: "send", id: card.id, to: to[0]!, body: card.body } : { t: "broadcast", id: card.id, to, body: card.body });
}

function resend(): void {
  for (const c of cards.value) if (!c.accepted && !c.error) transmit(c);
}

// Whenever the socket is (back) online, cards the hub has not accepted go again, same id.
if (typeof window !== "undefined") {
  effect(() => {
    if (connection.value === "online") queueMicrotask(resend);
  });
}

/** Sends a failed target again (`retry {msgId}`): same message, same idempotency key. */
export function retryTarget(cardId: string, index: number): boolean {
  const target = cards.value.find((c) => c.id === cardId)?.targets[index];
  if (!target?.msgId || target.state !== "failed") return false;
  if (!sendFrame({ t: "retry", msgId: target.msgId })) return false;
  update(cardId, (c) => ({ ...c, targets: c.targets.map((t, i) => (i === index ? { ...t, state: "queued", reason: undefined, code: undefined } : t)) }));
  return true;
}

export function dismissCard(id: string): void {
  cards.value = cards.value.filter((c) => c.id !== id);
  save();
}

/** An `accepted` frame that no outbox item claimed: is it one of ours? */
export function acceptedPost(frame: Extract<ServerFrame, { t: "accepted" }>): boolean {
  const card = cards.value.find((c) => c.id === frame.id);
  if (!card) return false;
  const per = frame.targets ?? [{ msgId: frame.msgId, conv: frame.conv }];
  update(card.id, (c) => ({
    ...c,
    accepted: true,
    targets: c.targets.map((t, i) => {
      const r = per[i];
      if (r?.error) return { ...t, state: "failed", reason: r.error.message, code: r.error.code };
      return { ...t, msgId: r?.msgId ?? t.msgId, state: t.state === "sending" ? "queued" : t.state };
    }),
  }));
  return true;
}

/** An `error` frame for a card (e.g. unknown_network): the whole card failed before any target went. */
export function refusedPost(frame: Extract<ServerFrame, { t: "error" }>): boolean {
  const card = frame.id ? cards.value.find((c) => c.id === frame.id) : undefined;
  if (!card) return false;
  // A busy hub: the next flush sends it again.
  if (frame.code === "internal" || frame.code === "rate_limited") return true;
  update(card.id, (c) => ({ ...c, error: { code: frame.code, message: frame.message }, targets: c.targets.map((t) => ({ ...t, state: "failed", reason: frame.message, code: frame.code })) }));
  return true;
}

function follow(msgIds: string[], change: Partial<CardTarget>): void {
  const hit = cards.value.some((c) => c.targets.some((t) => t.msgId && msgIds.includes(t.msgId)));
  if (!hit) return;
  cards.value = cards.value.map((c) => ({ ...c, targets: c.targets.map((t) => (t.msgId && msgIds.includes(t.msgId) ? { ...t, ...change } : t)) }));
  save();
}

/** `post`, `post.acted`, and the `status` / `broadcast.status` of a card's messages. */
export function applySocialEvent(ev: HubEvent): void {
  switch (ev.type) {
    case "post":
      return addLive(ev.post);
    case "post.acted":
      return markActed(ev.post, ev.action);
    case "status":
      if (ev.state === "sent") return follow(ev.msgIds, { state: "sent", ...(ev.url ? { url: ev.url } : {}) });
      if (ev.state === "failed") return follow(ev.msgIds, { state: "failed", ...(ev.reason ? { reason: ev.reason } : {}), ...(ev.code ? { code: ev.code } : {}) });
      if (ev.state === "queued") return follow(ev.msgIds, { state: "queued", reason: undefined, code: undefined });
      return;
    case "broadcast.status": {
      // The same facts as the message's own status, by target: covers a card whose accepted was lost.
      const card = cards.value.find((c) => c.id === ev.id);
      const t = card?.targets[ev.target];
      if (!card || !t || t.state === ev.state || (t.state === "sent" && ev.state !== "failed" && ev.state !== "queued")) return;
      const state: TargetState = ev.state === "delivered" || ev.state === "read" ? "sent" : ev.state;
      update(card.id, (c) => ({ ...c, accepted: true, targets: c.targets.map((x, i) => (i === ev.target ? { ...x, state, ...(ev.msgId ? { msgId: ev.msgId } : {}), ...(ev.url ? { url: ev.url } : {}), ...(ev.reason ? { reason: ev.reason } : {}), ...(ev.code ? { code: ev.code } : {}) } : x)) }));
      return;
    }
    default:
      return;
  }
}

/** For tests and sign-out. */
export function resetSocialState(): void {
  posts.value = [];
  newPosts.value = [];
  cards.value = [];
  networkInfo.value = {};
  feedState.value = { loaded: false, loading: false, before: null };
  restored = false;
}
