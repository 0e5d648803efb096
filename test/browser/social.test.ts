// The Social tab in a real Chromium against a real wrangler dev and, on 127.0.0.1, a feed
// server and the Mastodon and Bluesky fakes: accounts bound through Me → Accounts, the feed
// updating by itself (an "N new posts" pill, nothing on screen moving), and "To: mastodon,
// bluesky" posting to both with a card per network: a link, or the reason and Retry.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../support/dev-server";
import { CONTENT_TYPES, type FeedItem, FeedServer, rss } from "../support/feed-server";
import { FakeBluesky } from "../support/fakes/bluesky";
import { FakeMastodon } from "../support/fakes/mastodon";
import { launchChromium, newPhone, person, seriousViolations, shoot, signUp, smallTargets, waitConnected } from "./support";

let server: DevServer;
let browser: Browser;
let page: Page;
let feeds: FeedServer;
let masto: FakeMastodon;
let sky: FakeBluesky;
let mastoToken: string;

const entry = (n: number): FeedItem => ({ id: `e${n}`, link: `http://127.0.0.1/blog/${n}`, title: `Blog entry ${n}`, content: `<p>About ${n}</p>`, date: new Date(Date.UTC(2026, 10, n)) });
const setFeed = (ns: number[]) => feeds.set("/blog.xml", rss({ title: "A blog", link: feeds.url("/") }, ns.map(entry)), CONTENT_TYPES.rss);

beforeAll(async () => {
  feeds = await new FeedServer().start();
  masto = await new FakeMastodon().start();
  sky = await new FakeBluesky().start();
  setFeed([2, 1]);
  masto.addAccount("bob", "Bob");
  mastoToken = masto.addAccount("alice", "Alice").token;
  masto.follow("alice", "bob");
  masto.postAs("bob", "Good morning from Mastodon");
  sky.addAccount("alice.test", "alic-eapp-pass-word");
  [server, browser] = await Promise.all([startDevServer({ vars: { POLL_EVERY_MS: "500" } }), launchChromium()]);
  page = (await newPhone(browser, server.url)).page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await feeds?.stop();
  await masto?.stop();
  await sky?.stop();
});

/** Me → Accounts → Add account, the form built from the network's schema. */
async function bindThroughForm(network: string, fields: Record<string, string>) {
  await page.goto("/accounts/new");
  await page.getByRole("radio", { name: network }).check();
  for (const [field, value] of Object.entries(fields)) await page.fill(`#cred-${network.toLowerCase()}-${field}`, value);
  await page.getByRole("button", { name: "Connect" }).click();
  await page.locator("#accounts-title").waitFor();
}

const postTexts = (p: Page) => p.locator(".feed .post .post-text").allTextContents();

describe("the Social tab", () => {
  it("binds a feed, Mastodon and Bluesky, shows one feed, and updates it by itself", async () => {
    await signUp(page, person("Sol"));
    await bindThroughForm("Feed", { url: feeds.url("/blog.xml") });
    await bindThroughForm("Mastodon", { instance: masto.origin, accessToken: mastoToken });
    await bindThroughForm("Bluesky", { identifier: "alice.test", appPassword: "alic-eapp-pass-word", service: sky.origin });
    await waitConnected(page);

    await page.locator("nav.tabbar a:has-text('Social')").click();
    await page.locator("#social-title").waitFor();
    await expect.poll(async () => (await postTexts(page)).join("|"), { timeout: 30_000 }).toMatch(/Good morning from Mastodon/);
    await expect.poll(async () => (await postTexts(page)).filter((t) => t.startsWith("Blog entry")).length, { timeout: 30_000 }).toBe(2);
    const mastoPost = page.locator(".post[data-network=mastodon]").first();
    expect(await mastoPost.locator(".source-badge").textContent()).toBe("Masto");
    expect(await mastoPost.getByRole("link", { name: "Open on Mastodon" }).getAttribute("href")).toMatch(new RegExp(`^${masto.origin}/@bob/\\d+$`));
    expect(await page.locator(".post[data-network=feed] button").count()).toBe(0); // a feed entry: read only
    expect(await seriousViolations(page)).toEqual([]);
    expect(await smallTargets(page)).toEqual([]);
    await shoot(page, "social-feed");

    // New posts arrive by themselves, behind the pill; what is on screen stays put.
    const firstBefore = await page.locator(".feed .post").first().getAttribute("data-post");
    setFeed([3, 2, 1]);
    masto.postAs("bob", "A second toot, while you read");
    const pill = page.locator("button.new-posts");
    await expect.poll(async () => (await pill.count()) > 0 && (await pill.textContent()), { timeout: 30_000 }).toMatch(/^(2 new posts|1 new post)$/);
    await expect.poll(() => pill.textContent(), { timeout: 30_000 }).toBe("2 new posts");
    expect(await page.locator(".feed .post").first().getAttribute("data-post")).toBe(firstBefore);
    await pill.click();
    await expect.poll(async () => (await postTexts(page)).slice(0, 2).sort().join("|")).toBe(["A second toot, while you read", "Blog entry 3\n\nAbout 3"].sort().join("|"));
  });

  it("posts To: mastodon, bluesky with a card per network: a link, or the reason and Retry", async () => {
    sky.down({ status: 400 });
    const to = page.getByLabel("To:");
    await to.fill("myspace,");
    await expect.poll(() => page.locator("[data-to-error]").textContent()).toBe("You have no account called “myspace”. Your networks: mastodon, bluesky.");
    await to.fill("mastodon, bluesky,");
    await page.getByPlaceholder("What's new?").fill("Hello from Unibox, to both at once");
    expect(await page.locator(".to-chip[data-target=bluesky] .count").textContent()).toBe("34 / 300");
    await page.getByRole("button", { name: "Post", exact: true }).click();

    const card = page.locator(".post-card").first();
    const m = card.locator("li[data-target=mastodon]");
    const b = card.locator("li[data-target=bluesky]");
    await expect.poll(() => m.getAttribute("data-state"), { timeout: 20_000 }).toBe("sent");
    expect(await m.getByRole("link", { name: "View post" }).getAttribute("href")).toMatch(new RegExp(`^${masto.origin}/@alice/\\d+$`));
    await expect.poll(() => b.getAttribute("data-state"), { timeout: 20_000 }).toBe("failed");
    expect(await b.textContent()).toContain("That network refused it.");
    await shoot(page, "social-card-failed");

    sky.up();
    await b.getByRole("button", { name: "Retry" }).click();
    await expect.poll(() => b.getAttribute("data-state"), { timeout: 20_000 }).toBe("sent");
    expect(await b.getByRole("link", { name: "View post" }).getAttribute("href")).toMatch(/^https:\/\/bsky\.app\/profile\/alice\.test\/post\//);
    expect(masto.statusesOf("alice").map((s) => s.content)).toEqual([expect.stringContaining("Hello from Unibox, to both at once")]);
    expect(sky.records("alice.test", "app.bsky.feed.post").map((r) => r.value.text)).toEqual(["Hello from Unibox, to both at once"]);
    // The user's own posts go straight into the feed, no pill.
    await expect.poll(async () => (await postTexts(page)).filter((t) => t === "Hello from Unibox, to both at once").length, { timeout: 20_000 }).toBe(2);
  });

  it("offers a thread when a target is over its limit", async () => {
    await page.getByLabel("To:").fill("bluesky,");
    await page.getByPlaceholder("What's new?").fill(Array.from({ length: 60 }, (_, i) => `word${i}`).join(" "));
    await page.locator("[data-over-target=bluesky]").waitFor();
    expect(await page.getByRole("button", { name: "Post", exact: true }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Post as a thread of 2" }).click();
    await page.getByRole("button", { name: "Post", exact: true }).click();
    await expect.poll(() => page.locator(".post-card").first().locator("li[data-target=bluesky]").getAttribute("data-state"), { timeout: 20_000 }).toBe("sent");
    expect(sky.records("alice.test", "app.bsky.feed.post").slice(1).map((r) => (r.value.text as string).slice(-4))).toEqual([" 1/2", " 2/2"]);
  });

  it("posts from Chats: New post opens the same composer", async () => {
    await page.locator("nav.tabbar a:has-text('Chats')").click();
    await page.getByRole("link", { name: "New post" }).click();
    await page.locator("#compose-title").waitFor();
    expect(await page.getByLabel("To:").isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
  });
});
