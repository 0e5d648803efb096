// A real HTTP server on 127.0.0.1 whose files the tests change between polls: feeds built
// here as RSS 2.0 (rssboard.org/rss-specification), Atom (RFC 4287) and JSON Feed 1.1
// (jsonfeed.org/version/1.1), and an HTML page that announces them for autodiscovery.
// Every file answers with an ETag and a Last-Modified, and conditional requests get 304 as
// RFC 9110 §13 says (If-None-Match decides when present; If-Modified-Since only otherwise).
// A path can fail after some requests, answer slowly, hang, or redirect.
import { createHash } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { Socket } from "node:net";

export type FeedItem = { id: string; link: string; title: string; content: string; date: Date | string };
export type FeedMeta = { title: string; link: string; feedUrl?: string; description?: string; author?: string };
export type PathOptions = {
  /** Serve this many requests normally, then answer `failStatus` (503) to every one. */
  failAfter?: number;
  failStatus?: number;
  /** Send `Retry-After: <seconds>` with the failures. */
  retryAfterS?: number;
  /** Wait this long before answering. */
  slowMs?: number;
  /** Never answer (until the options change or the server stops). */
  hang?: boolean;
};
export type PathStats = { requests: number; notModified: number; failed: number };

type File = { body: Buffer; type: string; etag: string; lastModified: string; opts: PathOptions; served: number };

export const CONTENT_TYPES = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
  json: "application/feed+json; charset=utf-8",
  html: "text/html; charset=utf-8",
};

export class FeedServer {
  origin = "";
  private server!: Server;
  private files = new Map<string, File>();
  private redirects = new Map<string, { to: string; status: number }>();
  private counts = new Map<string, PathStats>();
  private held = new Set<ServerResponse>();
  private sockets = new Set<Socket>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /**
   * Puts a file at `path`; a changed body gets a new ETag and a later Last-Modified (a
   * second later than the last one at least, since HTTP dates have no finer grain), an
   * unchanged one keeps both.
   */
  set(path: string, body: string, contentType: string, opts: PathOptions = {}): void {
    const bytes = Buffer.from(body, "utf8");
    const etag = `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"`;
    const old = this.files.get(path);
    const next = Math.max(Math.floor(Date.now() / 1000) * 1000, old ? Date.parse(old.lastModified) + 1000 : 0);
    const lastModified = old && old.etag === etag ? old.lastModified : new Date(next).toUTCString();
    this.files.set(path, { body: bytes, type: contentType, etag, lastModified, opts, served: old?.served ?? 0 });
  }

  /** Changes how a path behaves without changing what it serves. */
  configure(path: string, opts: PathOptions): void {
    const file = this.files.get(path);
    if (!file) throw new Error(`no file at ${path}`);
    file.opts = opts;
    file.served = 0;
    if (!opts.hang) for (const res of this.held) res.destroy();
  }

  remove(path: string): void {
    this.files.delete(path);
  }

  redirect(from: string, to: string, status = 301): void {
    this.redirects.set(from, { to, status });
  }

  stats(path: string): PathStats {
    return { ...(this.counts.get(path) ?? { requests: 0, notModified: 0, failed: 0 }) };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", this.origin).pathname;
    const stats = this.counts.get(path) ?? { requests: 0, notModified: 0, failed: 0 };
    this.counts.set(path, stats);
    stats.requests++;
    const redirect = this.redirects.get(path);
    if (redirect) return void res.writeHead(redirect.status, { Location: redirect.to }).end();
    const file = this.files.get(path);
    if (!file) return void res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
    if (file.opts.hang) return void this.held.add(res);
    if (file.opts.slowMs) await new Promise((r) => setTimeout(r, file.opts.slowMs));
    file.served++;
    if (file.opts.failAfter !== undefined && file.served > file.opts.failAfter) {
      stats.failed++;
      const wait = file.opts.retryAfterS !== undefined ? { "Retry-After": String(file.opts.retryAfterS) } : {};
      return void res.writeHead(file.opts.failStatus ?? 503, { "Content-Type": "text/plain", ...wait }).end("Service Unavailable");
    }
    const validators = { ETag: file.etag, "Last-Modified": file.lastModified };
    if (notModified(req, file)) {
      stats.notModified++;
      return void res.writeHead(304, validators).end();
    }
    res.writeHead(200, { ...validators, "Content-Type": file.type, "Content-Length": file.body.length });
    res.end(req.method === "HEAD" ? undefined : file.body);
  }
}

/** RFC 9110 §13.1.2 (weak comparison for If-None-Match) and §13.1.3, in §13.2.2's order. */
function notModified(req: IncomingMessage, file: File): boolean {
  const inm = req.headers["if-none-match"];
  if (inm !== undefined) {
    const tags = inm.split(",").map((t) => t.trim().replace(/^W\//, ""));
    return tags.includes("*") || tags.includes(file.etag);
  }
  const ims = req.headers["if-modified-since"];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && Date.parse(file.lastModified) <= since;
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const when = (d: Date | string) => (typeof d === "string" ? new Date(d) : d);

/** RSS 2.0: pubDate in RFC 822 form, the HTML content escaped in <description>. */
export function rss(meta: FeedMeta, items: FeedItem[]): string {
  const self = meta.feedUrl ? `\n    <atom:link href="${xml(meta.feedUrl)}" rel="self" type="application/rss+xml"/>` : "";
  const entries = items
    .map(
      (i) => `    <item>
      <title>${xml(i.title)}</title>
      <link>${xml(i.link)}</link>
      <guid isPermaLink="false">${xml(i.id)}</guid>
      <pubDate>${when(i.date).toUTCString()}</pubDate>
      <description>${xml(i.content)}</description>
    </item>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>${xml(meta.title)}</title>
    <link>${xml(meta.link)}</link>
    <description>${xml(meta.description ?? meta.title)}</description>${self}
${entries}
  </channel>
</rss>
`;
}

/** Atom (RFC 4287): feed id, updated and author are required; content is escaped HTML. */
export function atom(meta: FeedMeta, items: FeedItem[]): string {
  const updated = items.length ? new Date(Math.max(...items.map((i) => when(i.date).getTime()))) : new Date(0);
  const self = meta.feedUrl ? `\n  <link rel="self" type="application/atom+xml" href="${xml(meta.feedUrl)}"/>` : "";
  const entries = items
    .map(
      (i) => `  <entry>
    <title>${xml(i.title)}</title>
    <id>${xml(i.id)}</id>
    <link rel="alternate" href="${xml(i.link)}"/>
    <updated>${when(i.date).toISOString()}</updated>
    <published>${when(i.date).toISOString()}</published>
    <content type="html">${xml(i.content)}</content>
  </entry>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>${xml(meta.title)}</title>
  <id>${xml(meta.feedUrl ?? meta.link)}</id>
  <updated>${updated.toISOString()}</updated>
  <link rel="alternate" type="text/html" href="${xml(meta.link)}"/>${self}
  <author><name>${xml(meta.author ?? meta.title)}</name></author>
${entries}
</feed>
`;
}

/** JSON Feed 1.1: `version` and `title` required, each item an `id` and content. */
export function jsonFeed(meta: FeedMeta, items: FeedItem[]): string {
  return `${JSON.stringify(
    {
      version: "https://jsonfeed.org/version/1.1",
      title: meta.title,
      home_page_url: meta.link,
      ...(meta.feedUrl ? { feed_url: meta.feedUrl } : {}),
      ...(meta.description ? { description: meta.description } : {}),
      ...(meta.author ? { authors: [{ name: meta.author }] } : {}),
      items: items.map((i) => ({ id: i.id, url: i.link, title: i.title, content_html: i.content, date_published: when(i.date).toISOString() })),
    },
    null,
    2,
  )}\n`;
}

/** An HTML page with <link rel="alternate"> for each feed, as feed autodiscovery reads it. */
export function discoveryPage(title: string, feeds: { kind: "rss" | "atom" | "json"; href: string; title?: string }[]): string {
  const type = { rss: "application/rss+xml", atom: "application/atom+xml", json: "application/feed+json" };
  const links = feeds.map((f) => `  <link rel="alternate" type="${type[f.kind]}" href="${xml(f.href)}" title="${xml(f.title ?? title)}">`).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${xml(title)}</title>
${links}
</head>
<body><h1>${xml(title)}</h1></body>
</html>
`;
}
