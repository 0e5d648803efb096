// Mastodon and Bluesky bound through the real API and polled by Cron → Queue → their links
// under wrangler dev, against the spec fakes on 127.0.0.1: timeline and notifications paged
// (more than a page since the last poll), mentions and DMs also in Chats, a 429 obeyed (no
// request before the server's reset), an expired Bluesky session refreshed, and one network
// down while the other is still polled and the first catches up when it is back. The user
// has no socket open, so every poll here comes from Cron (the links' own online timers do not run).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationSummary, Post } from "../../../core/protocol";
import { bind, call, fireCron, type Session, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { FakeBluesky } from "../../support/fakes/bluesky";
import { FakeMastodon } from "../../support/fakes/mastodon";

let server: DevServer;
let masto: FakeMastodon;
let sky: FakeBluesky;
let me: Session;
let mastoAccount: string;
let skyAccount: string;

beforeAll(async () => {
  // A short throttle window, so the 429's reset comes within the test.
  masto = await new FakeMastodon({ rateLimit: { limit: 300, periodS: 4 } }).start();
  sky = await new FakeBluesky().start();
  server = await startDevServer({ vars: { POLL_EVERY_MS: "300" } });
  me = await signUp(server.url, "social");
});

afterAll(async () => {
  await server?.stop();
  await masto?.stop();
  await sky?.stop();
});

const feed = async (): Promise<Post[]> => {
  const posts: Post[] = [];
  let before: string | undefined;
  do {
    const page = (await call(server.url, `/api/feed?limit=200${before ? `&before=${before}` : ""}`, { token: me.token })) as { posts: Post[]; before?: string };
    posts.push(...page.posts);
    before = page.before;
  } while (before);
  return posts;
};
const textsOf = async (account: string) => (await feed()).filter((p) => p.account === account).map((p) => p.text);
const conversations = async () => (await call(server.url, "/api/conversations", { token: me.token })).conversations as ConversationSummary[];

/** Fires Cron every 400 ms until `check` holds. */
async function pollUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await fireCron(server.url);
    await sleep(400);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Mastodon and Bluesky polled under wrangler dev", () => {
  it("binds both over the API; each account carries its post limit, the networks list says what posts can have done", async () => {
    masto.addAccount("bob", "Bob");
    const alice = masto.addAccount("alice", "Alice");
    masto.follow("alice", "bob");
    sky.addAccount("alice.test", "alic-eapp-pass-word");
    sky.addAccount("bob.test", "bobb-bapp-pass-word");
    sky.follow("alice.test", "bob.test");
    for (let i = 1; i <= 3; i++) masto.postAs("bob", `old toot ${i}`);
    for (let i = 1; i <= 3; i++) sky.postAs("bob.test", `old skeet ${i}`);

    const m = await bind(server.url, me, "mastodon", { instance: masto.origin, accessToken: alice.token });
    expect(m.status, JSON.stringify(m.body)).toBe(201);
    expect(m.body.account).toMatchObject({ network: "mastodon", remote: `@alice@${new URL(masto.origin).host}`, limits: { max: 500, urlChars: 23, mentionDomainsFree: true } });
    const b = await bind(server.url, me, "bluesky", { identifier: "alice.test", appPassword: "alic-eapp-pass-word", service: sky.origin });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect(b.body.account).toMatchObject({ network: "bluesky", remote: "@alice.test", limits: { max: 300 } });
    mastoAccount = m.body.account.id;
    skyAccount = b.body.account.id;

    const { networks } = (await call(server.url, "/api/accounts/networks", { token: me.token })) as { networks: { network: string; limits?: unknown; actions?: string[] }[] };
    const by = Object.fromEntries(networks.map((n) => [n.network, n]));
    expect(by.mastodon).toMatchObject({ limits: { max: 500, urlChars: 23 }, actions: ["reply", "boost", "like"] });
    expect(by.bluesky).toMatchObject({ limits: { max: 300 }, actions: ["reply", "boost", "like"] });
    expect(by.feed!.actions).toBeUndefined();

    await pollUntil(async () => (await textsOf(mastoAccount)).length === 3 && (await textsOf(skyAccount)).length === 3, "the first polls");
    expect(await textsOf(mastoAccount)).toEqual(["old toot 3", "old toot 2", "old toot 1"]);
  });

  it("pages forward through more than a page of timeline, and a mention and a DM land in Chats too", async () => {
    for (let i = 1; i <= 45; i++) masto.postAs("bob", `toot ${i}`);
    masto.postAs("bob", "hey @alice, look", { mention: ["alice"] });
    masto.postAs("bob", "psst @alice", { visibility: "direct", mention: ["alice"] });
    for (let i = 1; i <= 60; i++) sky.postAs("bob.test", `skeet ${i}`);
    sky.postAs("bob.test", "hi", { mention: ["alice.test"] });

    await pollUntil(async () => (await textsOf(mastoAccount)).length >= 3 + 47 && (await textsOf(skyAccount)).length >= 3 + 61, "two pages of each");
    const toots = await textsOf(mastoAccount);
    expect(toots.filter((t) => /^toot \d+$/.test(t)).sort()).toEqual(Array.from({ length: 45 }, (_, i) => `toot ${i + 1}`).sort());
    expect(toots).toHaveLength(50); // each once
    const skeets = await textsOf(skyAccount);
    expect(skeets.filter((t) => /^skeet \d+$/.test(t))).toHaveLength(60);
    expect(skeets).toHaveLength(64);
    // More than one page was read from each: Mastodon followed its Link header, Bluesky its cursor.
    expect(masto.requests.filter((r) => r.path.startsWith("/api/v1/timelines/home") && r.path.includes("min_id")).length).toBeGreaterThanOrEqual(2);
    expect(sky.requests.filter((r) => r.nsid === "app.bsky.feed.getTimeline").length).toBeGreaterThanOrEqual(3);

    const posts = await feed();
    expect(posts.find((p) => p.text.includes("hey @alice"))).toMatchObject({ kind: "mention", network: "mastodon" });
    expect(posts.find((p) => p.text.includes("psst"))).toMatchObject({ kind: "dm" });
    const convs = await conversations();
    const mentions = convs.find((c) => c.source === mastoAccount && c.title === "Mastodon mentions");
    expect(mentions?.last?.body).toMatchObject({ type: "text", text: expect.stringContaining("hey @alice") });
    const dm = convs.find((c) => c.source === mastoAccount && c.last?.body.type === "text" && c.last.body.text.includes("psst"));
    expect(dm).toMatchObject({ kind: "remote", title: "Bob" });
    expect(convs.find((c) => c.source === skyAccount && c.title === "Bluesky mentions")?.last?.body).toMatchObject({ text: expect.stringContaining("hi") });
  });

  it("obeys a 429: no request to the instance before the reset it named, then polls again", async () => {
    masto.postAs("bob", "after the limit");
    masto.limitNext(1);
    await pollUntil(async () => masto.requests.some((r) => r.status === 429), "a 429");
    const limited = masto.requests.findLast((r) => r.status === 429)!;
    const after = () => masto.requests.filter((r) => r.at > limited.at);
    // Cron keeps ticking; the account is not due until the window resets (at most 4 s here).
    for (let i = 0; i < 3; i++) {
      await fireCron(server.url);
      await sleep(300);
    }
    const early = after().filter((r) => r.at < limited.at + 1000);
    expect(early).toEqual([]);
    await pollUntil(async () => (await textsOf(mastoAccount)).includes("after the limit"), "the poll after the reset", 20_000);
    const next = after()[0]!;
    // X-RateLimit-Reset is the end of the 4 s window the 429 fell in (at least 1 s is waited anyway).
    const nowS = Math.floor(limited.at / 1000);
    const reset = (nowS + (4 - (nowS % 4))) * 1000;
    expect(next.at).toBeGreaterThanOrEqual(Math.max(reset, limited.at + 1000) - 50);
    expect(next.at - limited.at).toBeGreaterThanOrEqual(1000);
    expect(next.status).toBe(200);
  });

  it("refreshes an expired Bluesky session and goes on polling", async () => {
    sky.expireAccessTokens();
    sky.postAs("bob.test", "after the expiry");
    await pollUntil(async () => (await textsOf(skyAccount)).includes("after the expiry"), "a post after the expiry");
    expect(sky.requests.some((r) => r.error === "ExpiredToken")).toBe(true);
    expect(sky.requests.some((r) => r.nsid === "com.atproto.server.refreshSession" && r.status === 200)).toBe(true);
    const account = ((await call(server.url, "/api/accounts", { token: me.token })).accounts as { id: string; state: string }[]).find((a) => a.id === skyAccount)!;
    expect(account.state).toBe("connected");
  });

  it("polls Bluesky while Mastodon is down, and Mastodon catches up when it is back", async () => {
    masto.down();
    masto.postAs("bob", "while the instance was down"); // written before the crash reached the proxy
    sky.postAs("bob.test", "while the other is down");
    await pollUntil(async () => (await textsOf(skyAccount)).includes("while the other is down"), "Bluesky while Mastodon is down");
    expect(masto.requests.filter((r) => r.status === 502).length).toBeGreaterThan(0);
    expect(await textsOf(mastoAccount)).not.toContain("while the instance was down");
    masto.up();
    await pollUntil(async () => (await textsOf(mastoAccount)).includes("while the instance was down"), "Mastodon after it is back");
    const all = await feed();
    expect(all.filter((p) => p.text === "while the instance was down")).toHaveLength(1);
    expect(new Set(all.map((p) => `${p.account}:${p.remoteId}`)).size).toBe(all.length); // nothing doubled anywhere
  });
});
