// RSS 2.0, RSS 1.0 (RDF), Atom and JSON Feed 1.1 documents, parsed by feedsmith, in one
// shape: the feed's title and its entries with a stable id (guid / id, else the link,
// else a hash of title and date), title, text, link, date and author.
import { parseFeed } from "feedsmith";

export type Entry = { id: string; title: string; html: string; url?: string; at?: number; author?: string };
export type Feed = { title: string; entries: Entry[] };

type Loose = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : v && typeof v === "object" && typeof (v as Loose).value === "string" ? ((v as Loose).value as string) : undefined);
const list = (v: unknown): Loose[] => (Array.isArray(v) ? (v as Loose[]) : []);
const date = (...vs: unknown[]): number | undefined => {
  for (const v of vs) {
    const t = typeof v === "string" ? Date.parse(v) : v instanceof Date ? v.getTime() : Number.NaN;
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
};

/** Throws when the text is not a feed of a kind feedsmith knows. */
export function parse(text: string): Feed {
  const trimmed = text.trimStart();
  const { format, feed } = parseFeed(trimmed.startsWith("{") ? JSON.parse(trimmed) : trimmed) as { format: string; feed: Loose };
  const items = format === "atom" ? list(feed.entries) : list(feed.items);
  const entries = items.map((item) => (format === "atom" ? atomEntry(item) : format === "json" ? jsonEntry(item) : rssEntry(item)));
  return { title: str(feed.title)?.trim() ?? "", entries: entries.filter((e): e is Entry => e !== undefined) };
}

function finish(e: Omit<Entry, "id"> & { id?: string }): Entry | undefined {
  const id = e.id?.trim() || e.url?.trim() || (e.title || e.html ? `h:${hash(`${e.title}\n${e.at ?? ""}\n${e.html.slice(0, 200)}`)}` : undefined);
  return id ? { ...e, id } : undefined;
}

function rssEntry(i: Loose): Entry | undefined {
  const content = (i.content as Loose | undefined)?.encoded;
  const dc = i.dc as Loose | undefined;
  return finish({
    id: str((i.guid as Loose | undefined)?.value) ?? str(i.guid),
    title: str(i.title) ?? "",
    html: str(content) ?? str(i.description) ?? "",
    url: str(i.link),
    at: date(i.pubDate, dc?.date),
    author: str(dc?.creator) ?? str(list(i.authors)[0]?.name) ?? (typeof (i.authors as unknown[] | undefined)?.[0] === "string" ? ((i.authors as string[])[0] as string) : undefined),
  });
}

function atomEntry(i: Loose): Entry | undefined {
  const links = list(i.links);
  const link = links.find((l) => !l.rel || l.rel === "alternate") ?? links[0];
  return finish({
    id: str(i.id),
    title: str(i.title) ?? "",
    html: str(i.content) ?? str(i.summary) ?? "",
    url: str(link?.href),
    at: date(i.published, i.updated),
    author: str(list(i.authors)[0]?.name),
  });
}

function jsonEntry(i: Loose): Entry | undefined {
  const text = str(i.content_text);
  return finish({
    id: str(i.id) ?? (typeof i.id === "number" ? String(i.id) : undefined),
    title: str(i.title) ?? "",
    html: str(i.content_html) ?? (text ? escapeHtml(text) : (str(i.summary) ?? "")),
    url: str(i.url) ?? str(i.external_url),
    at: date(i.date_published, i.date_modified),
    author: str(list(i.authors)[0]?.name) ?? str((i.author as Loose | undefined)?.name),
  });
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** FNV-1a, 32 bits, base 36: short keys for the cursor's set of seen entries. */
export function hash(s: string): string {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}
