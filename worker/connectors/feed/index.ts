// Feeds (RSS 2.0, RSS 1.0, Atom, JSON Feed 1.1): bound by URL, a page's URL too (its
// announced feed is found and kept in io.store); polled with conditional GETs; each new
// entry is a post of kind "entry". Feeds are read-only: no send.
//
// The cursor carries the validators and the seen entries together, not io.store: the link
// keeps a cursor only after the hub stored the poll's events, so an ETag saved before that
// could make the next poll a 304 over entries that were never stored.
import { z } from "zod";
import { HttpError } from "../social/http";
import { clip, htmlToText } from "../social/text";
import { type Connector, type LinkIO, type RemoteEvent, RemoteError, type RemotePost, type Verified } from "../types";
import { discover, type Fetched, fetchFeed, looksLikeHtml, type Validators } from "./fetch";
import { type Entry, type Feed, hash, parse } from "./parse";

export const credentials = z.strictObject({
  url: z.string().trim().max(2048).url().refine((u) => /^https?:\/\//i.test(u), "an http or https address"),
});
export type Creds = z.infer<typeof credentials>;

/** `{"etag"?, "lastModified"?, "seen": [hash of an entry id, newest first]}` */
export type Cursor = Validators & { seen: string[] };

/** The first poll takes this many of the newest entries; the rest count as seen. */
export const FIRST_POLL_ENTRIES = 10;
const SEEN_KEPT = 1000;
const TEXT_GRAPHEMES = 1000;

type Found = { url: string; fetched: Extract<Fetched, { notModified: false }>; feed: Feed };

async function find(io: LinkIO, url: string): Promise<Found> {
  const fetched = (await fetchFeed(io, url)) as Found["fetched"];
  if (!looksLikeHtml(fetched)) return { url: fetched.url, fetched, feed: parseOrRefuse(fetched.text, url) };
  const [feedUrl] = discover(fetched.text, fetched.url);
  if (!feedUrl) throw new RemoteError("permanent", "that page announces no feed (no <link rel=\"alternate\"> to RSS, Atom or JSON Feed)");
  const feedFetched = (await fetchFeed(io, feedUrl)) as Found["fetched"];
  return { url: feedUrl, fetched: feedFetched, feed: parseOrRefuse(feedFetched.text, feedUrl) };
}

function parseOrRefuse(text: string, url: string): Feed {
  try {
    return parse(text);
  } catch {
    throw new RemoteError("permanent", `${new URL(url).host} did not answer with RSS, Atom or JSON Feed`);
  }
}

async function verify(creds: Creds, io: LinkIO): Promise<Verified> {
  try {
    const found = await find(io, creds.url);
    io.store.put("feedUrl", found.url);
    return { ok: true, remote: { id: found.url, name: found.feed.title || new URL(found.url).host } };
  } catch (err) {
    if (!(err instanceof RemoteError)) throw err;
    const nothingThere = err instanceof HttpError && err.status === 404;
    return { ok: false, code: !nothingThere && (err.kind === "transient" || err.kind === "rate_limited") ? "unreachable" : "invalid_input", message: err.message };
  }
}

async function poll(creds: Creds, io: LinkIO, cursor: string | null): Promise<{ events: RemoteEvent[]; cursor: string | null }> {
  const from = cursor ? (JSON.parse(cursor) as Cursor) : null;
  let url = io.store.get<string>("feedUrl");
  let fetched: Fetched;
  let feed: Feed;
  if (!url) {
    const found = await find(io, creds.url);
    io.store.put("feedUrl", found.url);
    ({ url, fetched, feed } = found);
  } else {
    fetched = await fetchFeed(io, url, from ?? {});
    if (fetched.notModified) return { events: [], cursor };
    feed = parseOrRefuse(fetched.text, url);
  }
  if (fetched.notModified) return { events: [], cursor };
  const entries = newestFirst(feed.entries);
  const seen = new Set(from?.seen ?? []);
  const fresh = from ? entries.filter((e) => !seen.has(hash(e.id))) : entries.slice(0, FIRST_POLL_ENTRIES);
  const events = fresh.reverse().map((e): RemoteEvent => ({ type: "post", post: toPost(e, feed, url!) }));
  const next: Cursor = { ...fetched.validators, seen: [...new Set([...entries.map((e) => hash(e.id)), ...(from?.seen ?? [])])].slice(0, SEEN_KEPT) };
  return { events, cursor: JSON.stringify(next) };
}

/** By date where entries have one; entries without keep their place in the document. */
function newestFirst(entries: Entry[]): Entry[] {
  if (entries.some((e) => e.at === undefined)) return entries;
  return [...entries].sort((a, b) => b.at! - a.at!);
}

function toPost(e: Entry, feed: Feed, url: string): RemotePost {
  const body = clip(htmlToText(e.html), TEXT_GRAPHEMES);
  return {
    remoteId: e.id,
    kind: "entry",
    author: { id: url, name: e.author || feed.title || new URL(url).host },
    text: [e.title.trim(), body].filter(Boolean).join("\n\n"),
    ...(e.url ? { url: e.url } : {}),
    at: e.at ?? Date.now(),
  };
}

export const feed = {
  network: "feed",
  credentials,
  verify,
  poll,
  // Conditional GETs cost the site a 304; most feeds change a few times a day.
  pollEvery: { online: 60_000, away: 120_000 },
} satisfies Connector<Creds>;
