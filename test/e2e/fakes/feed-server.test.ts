// The feed server over real HTTP: validators on every response, 304 for If-None-Match and
// If-Modified-Since (If-None-Match deciding when both are sent), counts per path, a feed that
// fails or hangs, and feed documents that parse as what they claim to be.
import { JSDOM } from "jsdom";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONTENT_TYPES, type FeedItem, FeedServer, atom, discoveryPage, jsonFeed, rss } from "../../support/feed-server";

let server: FeedServer;
const meta = { title: "Example & Co", link: "https://example.com/", feedUrl: "https://example.com/feed.xml", author: "Ann" };
const items: FeedItem[] = [
  { id: "urn:post:2", link: "https://example.com/2", title: "Second <b>", content: "<p>two &amp; more</p>", date: "2026-11-02T10:00:00Z" },
  { id: "urn:post:1", link: "https://example.com/1", title: "First", content: "<p>one</p>", date: "2026-11-01T10:00:00Z" },
];
const { DOMParser } = new JSDOM().window;
const parseXml = (text: string) => {
  const doc = new DOMParser().parseFromString(text, "application/xml");
  expect(doc.getElementsByTagName("parsererror")).toHaveLength(0);
  return doc;
};

beforeEach(async () => {
  server = await new FeedServer().start();
});
afterEach(() => server.stop());

describe("conditional requests", () => {
  beforeEach(() => server.set("/feed.xml", rss(meta, items), CONTENT_TYPES.rss));

  it("sends ETag and Last-Modified, and 304 for a matching If-None-Match", async () => {
    const first = await fetch(server.url("/feed.xml"));
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("application/rss+xml; charset=utf-8");
    const etag = first.headers.get("etag")!;
    const lastModified = first.headers.get("last-modified")!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(Date.parse(lastModified)).not.toBeNaN();
    await first.text();

    const again = await fetch(server.url("/feed.xml"), { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect([again.headers.get("etag"), again.headers.get("last-modified")]).toEqual([etag, lastModified]);
    expect((await fetch(server.url("/feed.xml"), { headers: { "If-None-Match": `"other", W/${etag}` } })).status).toBe(304);
    expect(server.stats("/feed.xml")).toEqual({ requests: 3, notModified: 2, failed: 0 });
  });

  it("answers 304 for If-Modified-Since, unless If-None-Match is sent and differs", async () => {
    const first = await fetch(server.url("/feed.xml"));
    const lastModified = first.headers.get("last-modified")!;
    expect((await fetch(server.url("/feed.xml"), { headers: { "If-Modified-Since": lastModified } })).status).toBe(304);
    const older = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    expect((await fetch(server.url("/feed.xml"), { headers: { "If-Modified-Since": older } })).status).toBe(200);
    expect((await fetch(server.url("/feed.xml"), { headers: { "If-Modified-Since": lastModified, "If-None-Match": '"stale"' } })).status).toBe(200);
  });

  it("a new item changes both validators at once; the same body keeps them", async () => {
    const first = await fetch(server.url("/feed.xml"));
    const etag = first.headers.get("etag")!;
    const lastModified = first.headers.get("last-modified")!;
    server.set("/feed.xml", rss(meta, items), CONTENT_TYPES.rss);
    expect((await fetch(server.url("/feed.xml"), { headers: { "If-None-Match": etag } })).status).toBe(304);

    const newer: FeedItem = { id: "urn:post:3", link: "https://example.com/3", title: "Third", content: "<p>three</p>", date: "2026-11-03T10:00:00Z" };
    server.set("/feed.xml", rss(meta, [newer, ...items]), CONTENT_TYPES.rss);
    const byTag = await fetch(server.url("/feed.xml"), { headers: { "If-None-Match": etag } });
    expect(byTag.status).toBe(200);
    expect(await byTag.text()).toContain("urn:post:3");
    const byDate = await fetch(server.url("/feed.xml"), { headers: { "If-Modified-Since": lastModified } });
    expect(byDate.status).toBe(200);
    expect(Date.parse(byDate.headers.get("last-modified")!)).toBeGreaterThan(Date.parse(lastModified));
  });

  it("a removed file is 404, a redirect points at its new home", async () => {
    server.remove("/feed.xml");
    expect((await fetch(server.url("/feed.xml"))).status).toBe(404);
    server.set("/new.xml", rss(meta, items), CONTENT_TYPES.rss);
    server.redirect("/old.xml", server.url("/new.xml"));
    const r = await fetch(server.url("/old.xml"), { redirect: "manual" });
    expect([r.status, r.headers.get("location")]).toEqual([301, server.url("/new.xml")]);
    expect((await fetch(server.url("/old.xml"))).status).toBe(200);
  });
});

describe("a feed that is down or hangs", () => {
  it("fails after some requests with 503, and can come back", async () => {
    server.set("/f.json", jsonFeed(meta, items), CONTENT_TYPES.json, { failAfter: 1 });
    expect((await fetch(server.url("/f.json"))).status).toBe(200);
    const down = await fetch(server.url("/f.json"));
    expect([down.status, await down.text()]).toEqual([503, "Service Unavailable"]);
    expect(server.stats("/f.json")).toEqual({ requests: 2, notModified: 0, failed: 1 });
    server.configure("/f.json", {});
    expect((await fetch(server.url("/f.json"))).status).toBe(200);
  });

  it("answers slowly, or not at all", async () => {
    server.set("/slow.xml", atom(meta, items), CONTENT_TYPES.atom, { slowMs: 300 });
    const started = Date.now();
    expect((await fetch(server.url("/slow.xml"))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    server.configure("/slow.xml", { hang: true });
    await expect(fetch(server.url("/slow.xml"), { signal: AbortSignal.timeout(200) })).rejects.toThrow();
  });
});

describe("documents", () => {
  it("builds RSS 2.0 with escaped titles and HTML content", () => {
    const doc = parseXml(rss(meta, items));
    expect(doc.documentElement.getAttribute("version")).toBe("2.0");
    const item = doc.getElementsByTagName("item")[0]!;
    expect(item.getElementsByTagName("title")[0]!.textContent).toBe("Second <b>");
    expect(item.getElementsByTagName("guid")[0]!.textContent).toBe("urn:post:2");
    expect(item.getElementsByTagName("description")[0]!.textContent).toBe("<p>two &amp; more</p>");
    expect(item.getElementsByTagName("pubDate")[0]!.textContent).toBe("Mon, 02 Nov 2026 10:00:00 GMT");
    expect(doc.getElementsByTagName("channel")[0]!.getElementsByTagName("title")[0]!.textContent).toBe("Example & Co");
  });

  it("builds Atom with the required feed elements", () => {
    const doc = parseXml(atom(meta, items));
    expect(doc.documentElement.namespaceURI).toBe("http://www.w3.org/2005/Atom");
    const direct = (name: string) => [...doc.documentElement.children].filter((c) => c.localName === name);
    expect(direct("id")[0]!.textContent).toBe(meta.feedUrl);
    expect(direct("updated")[0]!.textContent).toBe("2026-11-02T10:00:00.000Z");
    expect(direct("author")).toHaveLength(1);
    const entries = doc.getElementsByTagName("entry");
    expect([...entries].map((e) => e.getElementsByTagName("id")[0]!.textContent)).toEqual(["urn:post:2", "urn:post:1"]);
    expect(entries[0]!.getElementsByTagName("content")[0]!.getAttribute("type")).toBe("html");
    expect(entries[0]!.getElementsByTagName("link")[0]!.getAttribute("href")).toBe("https://example.com/2");
  });

  it("builds JSON Feed 1.1", () => {
    const feed = JSON.parse(jsonFeed(meta, items));
    expect(feed).toMatchObject({ version: "https://jsonfeed.org/version/1.1", title: "Example & Co", home_page_url: meta.link, feed_url: meta.feedUrl, authors: [{ name: "Ann" }] });
    expect(feed.items[0]).toEqual({ id: "urn:post:2", url: "https://example.com/2", title: "Second <b>", content_html: "<p>two &amp; more</p>", date_published: "2026-11-02T10:00:00.000Z" });
  });

  it("serves a page whose <link rel=alternate> tags lead to each feed", async () => {
    server.set("/rss.xml", rss(meta, items), CONTENT_TYPES.rss);
    server.set("/atom.xml", atom(meta, items), CONTENT_TYPES.atom);
    server.set("/feed.json", jsonFeed(meta, items), CONTENT_TYPES.json);
    const page = discoveryPage("Blog", [
      { kind: "rss", href: "/rss.xml" },
      { kind: "atom", href: server.url("/atom.xml") },
      { kind: "json", href: "feed.json", title: "JSON" },
    ]);
    server.set("/", page, CONTENT_TYPES.html);
    const html = await (await fetch(server.url("/"))).text();
    const doc = new JSDOM(html, { url: server.url("/") }).window.document;
    const links = [...doc.querySelectorAll('link[rel="alternate"]')] as HTMLLinkElement[];
    expect(links.map((l) => [l.type, l.href])).toEqual([
      ["application/rss+xml", server.url("/rss.xml")],
      ["application/atom+xml", server.url("/atom.xml")],
      ["application/feed+json", server.url("/feed.json")],
    ]);
    for (const l of links) {
      const r = await fetch(l.href);
      expect([r.status, r.headers.get("content-type")?.split(";")[0]]).toEqual([200, l.type]);
    }
  });
});
