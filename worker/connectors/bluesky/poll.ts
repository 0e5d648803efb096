// Polling getTimeline and listNotifications. Their cursors only page back in time, so the
// poll's own cursor is a mark per list: the newest time seen and the keys seen at that
// time. A poll reads pages from the newest until a page meets the mark (an item older
// than it, or a key seen at it), skipping keys it has seen, at most MAX_PAGES pages (250 items) per list; more than that
// since the last poll leaves a gap, which is logged (a feed, not an archive; at the 30 s
// online / 2 min away pace it takes over 250 new posts in between). The first poll takes
// the newest page only.
import { Throttle } from "../social/http";
import type { LinkIO, RemoteEvent } from "../types";
import { type FeedItem, feedPost, itemKey, NOTIFICATION_REASONS, type Notification, notificationEvents, timeOf } from "./convert";
import { authed, session } from "./session";
import type { Creds } from "./xrpc";

type Mark = { at: number; keys: string[] };
/** `{"timeline": Mark | null, "notifications": Mark | null}` */
export type Cursor = { timeline: Mark | null; notifications: Mark | null };

const PAGE = 50;
const MAX_PAGES = 5;

export async function poll(creds: Creds, io: LinkIO, cursor: string | null): Promise<{ events: RemoteEvent[]; cursor: string; nextInMs?: number }> {
  const from: Cursor = cursor ? (JSON.parse(cursor) as Cursor) : { timeline: null, notifications: null };
  const throttle = new Throttle();
  const me = (await session(creds, io)).did;
  const notes = await catchUp<Notification>(
    (c) => authed<{ notifications: Notification[]; cursor?: string }>(creds, io, "app.bsky.notification.listNotifications", { params: { limit: PAGE, cursor: c, reasons: NOTIFICATION_REASONS }, throttle }).then((r) => ({ items: r.notifications, cursor: r.cursor })),
    (n) => n.uri,
    (n) => Date.parse(n.indexedAt),
    from.notifications,
  );
  const timeline = await catchUp<FeedItem>(
    (c) => authed<{ feed: FeedItem[]; cursor?: string }>(creds, io, "app.bsky.feed.getTimeline", { params: { limit: PAGE, cursor: c }, throttle }).then((r) => ({ items: r.feed, cursor: r.cursor })),
    itemKey,
    timeOf,
    from.timeline,
  );
  if (notes.gap || timeline.gap) io.log("bluesky.poll_gap", { notifications: notes.gap, timeline: timeline.gap });

  // Oldest first; a post both in the timeline and in notifications is the notification's.
  const byKey = new Map<string, { at: number; events: RemoteEvent[] }>();
  for (const n of notes.items) byKey.set(n.uri, { at: Date.parse(n.indexedAt), events: notificationEvents(io, n) });
  for (const item of timeline.items) if (!byKey.has(itemKey(item))) byKey.set(itemKey(item), { at: timeOf(item), events: [{ type: "post", post: feedPost(io, item, me) }] });
  const events = [...byKey.values()].sort((a, b) => a.at - b.at).flatMap((x) => x.events);
  const next: Cursor = { timeline: timeline.mark, notifications: notes.mark };
  const wait = throttle.nextInMs;
  return { events, cursor: JSON.stringify(next), ...(wait !== undefined ? { nextInMs: wait } : {}) };
}

type Page<T> = { items: T[]; cursor?: string };

async function catchUp<T>(page: (cursor?: string) => Promise<Page<T>>, key: (t: T) => string, time: (t: T) => number, mark: Mark | null): Promise<{ items: T[]; mark: Mark; gap: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let reached = false;
  for (let n = 0; n < MAX_PAGES && !reached; n++) {
    const r = await page(cursor);
    for (const item of r.items) {
      if (mark && time(item) < mark.at) {
        reached = true;
        break;
      }
      // A key seen last time: this page reaches back to the mark (its rest is still read,
      // for items indexed in the same millisecond), so no further page is needed.
      if (mark?.keys.includes(key(item))) reached = true;
      else items.push(item);
    }
    if (!mark || !r.cursor || r.items.length === 0) reached = true;
    cursor = r.cursor;
  }
  return { items, mark: advance(mark, items, key, time), gap: !reached };
}

/** The newest time among what was seen, with every key seen at exactly that time. */
function advance<T>(mark: Mark | null, items: T[], key: (t: T) => string, time: (t: T) => number): Mark {
  const at = Math.max(mark?.at ?? 0, ...items.map(time));
  const keys = items.filter((i) => time(i) === at).map(key);
  return { at, keys: mark?.at === at ? [...new Set([...mark.keys, ...keys])] : keys };
}
