// Polling the home timeline and the mention notifications. The cursor is the newest id
// seen in each; the next poll pages forward from it with min_id (the results right after
// it, docs api/guidelines#pagination), following the Link header's rel="prev" until a
// page comes back short. A poll reads at most MAX_PAGES pages per stream and then asks to
// be called again soon, so a long absence catches up in steps with no gap. The first poll
// (no cursor) takes the newest page only.
import { Throttle } from "../social/http";
import type { LinkIO, RemoteEvent } from "../types";
import { me } from "./account";
import { api, apiUrl, type Creds, failed, linkRel, type Notification, raw, type Status } from "./api";
import { toMessage, toPost } from "./convert";

/** `{"home": "<status id>" | null, "notes": "<notification id>" | null}` */
export type Cursor = { home: string | null; notes: string | null };

const PAGE = 40; // the most Mastodon serves per page of home (notifications allow 80)
const MAX_PAGES = 5;
const MORE_SOON_MS = 1_000;

export async function poll(creds: Creds, io: LinkIO, cursor: string | null): Promise<{ events: RemoteEvent[]; cursor: string; nextInMs?: number }> {
  const from = parseCursor(cursor);
  const throttle = new Throttle();
  const self = await me(creds, io);
  const notes = await stream<Notification>(creds, io, "/api/v1/notifications", from.notes, { types: ["mention"] }, throttle);
  const home = await stream<Status>(creds, io, "/api/v1/timelines/home", from.home, {}, throttle);

  const statuses = new Map<string, Status>();
  for (const n of notes.items) if (n.status) statuses.set(n.status.id, n.status);
  for (const s of home.items) statuses.set(s.id, s);
  const events: RemoteEvent[] = [];
  for (const s of [...statuses.values()].sort((a, b) => compareIds(a.id, b.id))) {
    events.push({ type: "post", post: toPost(s, self, creds) });
    const message = toMessage(s, self, creds);
    if (message) events.push(message);
  }
  const next: Cursor = { home: home.newest, notes: notes.newest };
  const more = notes.more || home.more;
  const wait = throttle.nextInMs;
  return { events, cursor: JSON.stringify(next), ...(wait !== undefined || more ? { nextInMs: Math.max(wait ?? 0, more ? MORE_SOON_MS : 0) } : {}) };
}

export function parseCursor(cursor: string | null): Cursor {
  if (!cursor) return { home: null, notes: null };
  const c = JSON.parse(cursor) as Partial<Cursor>;
  return { home: c.home ?? null, notes: c.notes ?? null };
}

async function stream<T extends { id: string }>(
  creds: Creds,
  io: LinkIO,
  path: string,
  since: string | null,
  query: Record<string, string | string[]>,
  throttle: Throttle,
): Promise<{ items: T[]; newest: string | null; more: boolean }> {
  if (!since) {
    const { body } = await api<T[]>(creds, io, path, { query: { ...query, limit: String(PAGE) }, throttle });
    // Nothing yet is a cursor too: everything after "0" is new.
    return { items: body, newest: body[0]?.id ?? "0", more: false };
  }
  let url = apiUrl(creds, path, { ...query, limit: String(PAGE), min_id: since });
  const items: T[] = [];
  let newest = since;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await raw(creds, io, url, { throttle });
    if (!res.ok) throw await failed(res);
    const body = (await res.json()) as T[];
    if (body.length === 0) return { items, newest, more: false };
    items.push(...body);
    // With min_id the page is the run right after it, still newest first.
    newest = body.reduce((max, s) => (compareIds(s.id, max) > 0 ? s.id : max), newest);
    if (body.length < PAGE) return { items, newest, more: false };
    url = linkRel(res, "prev") ?? apiUrl(creds, path, { ...query, limit: String(PAGE), min_id: newest });
  }
  return { items, newest, more: true };
}

/** Mastodon ids are decimal snowflakes: a longer one is newer, then by characters. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
