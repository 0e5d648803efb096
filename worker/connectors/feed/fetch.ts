// Fetching a feed: conditional GET (RFC 9110 §13: If-None-Match with the last ETag, else
// If-Modified-Since with the last Last-Modified) and, for a page rather than a feed, the
// feeds it announces with <link rel="alternate" type="..."> (the autodiscovery convention
// of RSS and Atom, and JSON Feed's application/feed+json).
import { HttpError, retryAfterMs, send } from "../social/http";
import type { LinkIO } from "../types";

export type Validators = { etag?: string; lastModified?: string };
export type Fetched = { notModified: true } | { notModified: false; text: string; type: string; url: string; validators: Validators };

const ACCEPT = "application/feed+json, application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1";
const MAX_BYTES = 5 * 1024 * 1024;
const FEED_TYPES = ["application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml", "application/json"];

export async function fetchFeed(io: LinkIO, url: string, since: Validators = {}): Promise<Fetched> {
  const headers: Record<string, string> = { Accept: ACCEPT };
  if (since.etag) headers["If-None-Match"] = since.etag;
  else if (since.lastModified) headers["If-Modified-Since"] = since.lastModified;
  const res = await send(io, url, { headers, timeoutMs: 20_000 });
  if (res.status === 304) {
    await res.body?.cancel();
    return { notModified: true };
  }
  if (!res.ok) throw failed(res, url);
  if (Number(res.headers.get("content-length") ?? 0) > MAX_BYTES) throw new HttpError("permanent", `the feed is over ${MAX_BYTES} bytes`, res.status);
  const text = await res.text();
  const validators = { ...(res.headers.get("etag") ? { etag: res.headers.get("etag")! } : {}), ...(res.headers.get("last-modified") ? { lastModified: res.headers.get("last-modified")! } : {}) };
  return { notModified: false, text, type: (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase(), url: res.url || url, validators };
}

/**
 * What a failed answer means for a feed: 5xx and 404 are worth retrying later (a site
 * being rebuilt answers 404 for a while); 410 Gone is permanent, as RFC 9110 §15.5.11 says;
 * 401/403 mean the feed wants a login Unibox does not have.
 */
function failed(res: Response, url: string): HttpError {
  void res.body?.cancel();
  const host = new URL(url).host;
  if (res.status === 429) return new HttpError("rate_limited", `${host} asks to wait (429)`, 429, retryAfterMs(res));
  if (res.status >= 500 || res.status === 404 || res.status === 408) return new HttpError("transient", `${host} answered ${res.status}`, res.status, res.headers.has("retry-after") ? retryAfterMs(res) : undefined);
  if (res.status === 401 || res.status === 403) return new HttpError("auth", `${host} asks for a login to read this feed (${res.status})`, res.status);
  return new HttpError("permanent", res.status === 410 ? `the feed is gone from ${host} (410)` : `${host} answered ${res.status}`, res.status);
}

export const looksLikeHtml = (f: { text: string; type: string }) => f.type === "text/html" || f.type === "application/xhtml+xml" || /^\s*(<!doctype html|<html)/i.test(f.text);

/** The feeds a page announces, in its order, as absolute URLs. */
export function discover(html: string, base: string): string[] {
  const out: string[] = [];
  for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
    const attr = (name: string) => new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tag)?.slice(1).find((v) => v !== undefined);
    const rel = (attr("rel") ?? "").toLowerCase().split(/\s+/);
    const type = (attr("type") ?? "").toLowerCase().split(";")[0]!.trim();
    const href = attr("href");
    if (!rel.includes("alternate") || !FEED_TYPES.includes(type) || !href) continue;
    try {
      out.push(new URL(decodeHtml(href), base).href);
    } catch {
      // an href that is not a URL: skip it
    }
  }
  return out;
}

const decodeHtml = (s: string) => s.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
