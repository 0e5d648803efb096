// The feed connector against a real local HTTP server whose files the tests change
// (test/support/feed-server.ts): RSS 2.0, Atom and JSON Feed 1.1, autodiscovery from a
// page, new entries once, the 304 path counted by the server, and what failures mean.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONTENT_TYPES, type FeedItem, FeedServer, atom, discoveryPage, jsonFeed, rss } from "../../../test/support/feed-server";
import { type NodeIO, nodeIO } from "../../../test/support/node-io";
import { RemoteError, type RemoteEvent } from "../types";
import { FIRST_POLL_ENTRIES, feed } from ".";

let server: FeedServer;
let io: NodeIO;
const meta = { title: "Example & Co", link: "https://example.com/", author: "Ann" };
const item = (n: number): FeedItem => ({ id: `urn:post:${n}`, link: `https://example.com/${n}`, title: `Post ${n}`, content: `<p>body ${n} &amp; more</p>`, date: new Date(Date.UTC(2026, 0, 1) + n * 3600_000) });
const items = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => item(to - i)); // newest first
const posts = (events: RemoteEvent[]) => events.flatMap((e) => (e.type === "post" ? [e.post] : []));

beforeEach(async () => {
  server = await new FeedServer().start();
  io = nodeIO("feed");
});
afterEach(() => server.stop());

async function rejection(p: Promise<unknown>): Promise<RemoteError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RemoteError);
  return err as RemoteError;
}

const formats = [
  { name: "RSS 2.0", path: "/feed.xml", build: rss, type: CONTENT_TYPES.rss },
  { name: "Atom", path: "/atom.xml", build: atom, type: CONTENT_TYPES.atom },
  { name: "JSON Feed 1.1", path: "/feed.json", build: jsonFeed, type: CONTENT_TYPES.json },
];

describe.each(formats)("$name", ({ path, build, type }) => {
  it("takes the newest entries first, then each new entry once, and 304s in between", async () => {
    server.set(path, build(meta, items(1, 15)), type);
    const creds = { url: server.url(path) };
    expect(await feed.verify(creds, io)).toEqual({ ok: true, remote: { id: server.url(path), name: "Example & Co" } });

    const first = await feed.poll(creds, io, null);
    expect(posts(first.events).map((p) => p.remoteId)).toEqual(items(15 - FIRST_POLL_ENTRIES + 1, 15).map((i) => i.id).reverse());
    expect(posts(first.events)[0]).toEqual({ remoteId: "urn:post:6", kind: "entry", author: { id: server.url(path), name: "Example & Co" }, text: "Post 6\n\nbody 6 & more", url: "https://example.com/6", at: Date.UTC(2026, 0, 1) + 6 * 3600_000 });

    const same = await feed.poll(creds, io, first.cursor);
    expect(same).toEqual({ events: [], cursor: first.cursor });
    expect(server.stats(path).notModified).toBe(1);

    server.set(path, build(meta, items(1, 17)), type);
    const next = await feed.poll(creds, io, same.cursor);
    expect(posts(next.events).map((p) => p.remoteId)).toEqual(["urn:post:16", "urn:post:17"]);
    // The same entries again, reordered and with one edited: nothing new.
    const shuffled = [...items(1, 17)].reverse().map((i) => (i.id === "urn:post:16" ? { ...i, content: "<p>edited</p>" } : i));
    server.set(path, build(meta, shuffled), type);
    const again = await feed.poll(creds, io, next.cursor);
    expect(again.events).toEqual([]);
    expect(await feed.poll(creds, io, again.cursor)).toEqual({ events: [], cursor: again.cursor });
    expect(server.stats(path)).toMatchObject({ notModified: 2 });
  });
});

describe("binding", () => {
  it("finds the feed a page announces, keeps its URL, and polls it", async () => {
    server.set("/blog/atom.xml", atom(meta, items(1, 3)), CONTENT_TYPES.atom);
    server.set("/blog/", discoveryPage("Blog", [{ kind: "atom", href: "atom.xml" }]), CONTENT_TYPES.html);
    const creds = { url: server.url("/blog/") };
    expect(await feed.verify(creds, io)).toEqual({ ok: true, remote: { id: server.url("/blog/atom.xml"), name: "Example & Co" } });
    expect(io.store.get("feedUrl")).toBe(server.url("/blog/atom.xml"));
    expect(posts((await feed.poll(creds, io, null)).events)).toHaveLength(3);
    expect(server.stats("/blog/").requests).toBe(1);
  });

  it("finds the feed again when the store lost it", async () => {
    server.set("/f.json", jsonFeed(meta, items(1, 2)), CONTENT_TYPES.json);
    server.set("/", discoveryPage("Home", [{ kind: "json", href: "/f.json" }]), CONTENT_TYPES.html);
    const r = await feed.poll({ url: server.url("/") }, io, null);
    expect(posts(r.events).map((p) => p.remoteId)).toEqual(["urn:post:1", "urn:post:2"]);
    expect(io.store.get("feedUrl")).toBe(server.url("/f.json"));
  });

  it("refuses a page without a feed, a document that is not one, and an address with nothing there", async () => {
    server.set("/plain", "<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>", CONTENT_TYPES.html);
    server.set("/data.xml", "<?xml version=\"1.0\"?><note>not a feed</note>", "application/xml");
    expect(await feed.verify({ url: server.url("/plain") }, io)).toMatchObject({ ok: false, code: "invalid_input", message: expect.stringContaining("announces no feed") });
    expect(await feed.verify({ url: server.url("/data.xml") }, io)).toMatchObject({ ok: false, code: "invalid_input", message: expect.stringContaining("did not answer with RSS, Atom or JSON Feed") });
    expect(await feed.verify({ url: server.url("/missing") }, io)).toMatchObject({ ok: false, code: "invalid_input" });
    expect(feed.credentials.safeParse({ url: "ftp://example.com/feed" }).success).toBe(false);
  });
});

describe("failures", () => {
  it("5xx and 404 are transient, 410 is permanent, and polling resumes without duplicates", async () => {
    server.set("/feed.xml", rss(meta, items(1, 3)), CONTENT_TYPES.rss);
    const creds = { url: server.url("/feed.xml") };
    await feed.verify(creds, io);
    const first = await feed.poll(creds, io, null);
    server.set("/feed.xml", rss(meta, items(1, 4)), CONTENT_TYPES.rss, { failAfter: 0 });
    expect((await rejection(feed.poll(creds, io, first.cursor))).kind).toBe("transient");
    server.configure("/feed.xml", {});
    expect(posts((await feed.poll(creds, io, first.cursor)).events).map((p) => p.remoteId)).toEqual(["urn:post:4"]);
    server.configure("/feed.xml", { failAfter: 0, failStatus: 410 });
    const gone = await rejection(feed.poll(creds, io, first.cursor));
    expect([gone.kind, gone.message]).toEqual(["permanent", `the feed is gone from ${new URL(server.origin).host} (410)`]);
    server.remove("/feed.xml");
    expect((await rejection(feed.poll(creds, io, first.cursor))).kind).toBe("transient");
  });
});
