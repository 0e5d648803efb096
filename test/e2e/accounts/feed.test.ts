// A feed bound through the real API and polled by Cron → Queue → its link under wrangler dev,
// against a real HTTP server whose feed the test changes: new entries arrive as `post`
// events once each, the 304 path is taken, nothing is duplicated, history pages serve them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubEvent, Post } from "../../../core/protocol";
import { bind, call, fireCron, openPhone, type Phone, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { CONTENT_TYPES, type FeedItem, FeedServer, rss } from "../../support/feed-server";

let server: DevServer;
let feeds: FeedServer;
let phone: Phone;
const meta = { title: "Unibox test blog", link: "http://127.0.0.1/blog" };
const item = (n: number): FeedItem => ({ id: `entry-${n}`, link: `http://127.0.0.1/blog/${n}`, title: `Entry ${n}`, content: `<p>Body of entry ${n}</p>`, date: new Date(Date.UTC(2026, 10, n)) });
const isPost = (ev: HubEvent): ev is Extract<HubEvent, { type: "post" }> => ev.type === "post";

beforeAll(async () => {
  feeds = await new FeedServer().start();
  feeds.set("/feed.xml", rss(meta, [3, 2, 1].map(item)), CONTENT_TYPES.rss);
  server = await startDevServer({ vars: { POLL_EVERY_MS: "200" } });
  phone = await openPhone(server.url, await signUp(server.url, "feedy"));
});

afterAll(async () => {
  phone?.close();
  await server?.stop();
  await feeds?.stop();
});

describe("a bound feed", () => {
  it("refuses a URL that is not a feed, and stores nothing", async () => {
    feeds.set("/not-a-feed.txt", "hello", "text/plain");
    const res = await bind(server.url, phone.session, "feed", { url: feeds.url("/not-a-feed.txt") });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await call(server.url, "/api/accounts", { token: phone.session.token })).accounts).toEqual([]);
  });

  it("pushes the entries, then only new ones, once each, taking the 304 path in between", async () => {
    const res = await bind(server.url, phone.session, "feed", { url: feeds.url("/feed.xml") }, "Blog");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.account).toMatchObject({ network: "feed", label: "Blog", remote: feeds.url("/feed.xml") });
    expect(JSON.stringify(res.body)).not.toContain("credentials");

    await fireCron(server.url);
    const first = await phone.waitEvents(isPost, 3, 20_000, "posts");
    expect(first.map((e) => (e as Extract<HubEvent, { type: "post" }>).post.text)).toEqual(["Entry 1\n\nBody of entry 1", "Entry 2\n\nBody of entry 2", "Entry 3\n\nBody of entry 3"].map((t) => expect.stringContaining(t.split("\n")[0]!)));

    // Nothing new: the feed answers 304 and no post is pushed.
    const before = feeds.stats("/feed.xml");
    await new Promise((r) => setTimeout(r, 300));
    await fireCron(server.url);
    await waitUntil(() => feeds.stats("/feed.xml").notModified > before.notModified);
    expect(phone.events.filter(isPost)).toHaveLength(3);

    // Two new entries: exactly those two arrive.
    feeds.set("/feed.xml", rss(meta, [5, 4, 3, 2, 1].map(item)), CONTENT_TYPES.rss);
    await new Promise((r) => setTimeout(r, 300));
    await fireCron(server.url);
    const all = await phone.waitEvents(isPost, 5, 20_000, "posts");
    const texts = all.map((e) => (e as Extract<HubEvent, { type: "post" }>).post.url);
    expect(texts).toEqual([1, 2, 3, 4, 5].map((n) => `http://127.0.0.1/blog/${n}`));
    // Another round changes nothing.
    await new Promise((r) => setTimeout(r, 300));
    await fireCron(server.url);
    await new Promise((r) => setTimeout(r, 1500));
    expect(phone.events.filter(isPost)).toHaveLength(5);

    // The feed page serves them newest first; the account shows connected.
    const page = (await call(server.url, "/api/feed", { token: phone.session.token })) as { posts: Post[] };
    expect(page.posts.map((p) => p.url)).toEqual([5, 4, 3, 2, 1].map((n) => `http://127.0.0.1/blog/${n}`));
    const [account] = (await call(server.url, "/api/accounts", { token: phone.session.token })).accounts;
    expect(account.state).toBe("connected");
  });
});

async function waitUntil(pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
