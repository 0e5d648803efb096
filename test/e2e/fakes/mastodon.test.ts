// The Mastodon fake held to docs.joinmastodon.org over real HTTP: pagination both ways with
// the Link header, Idempotency-Key, the documented 401/403/404/422/429 bodies, media
// processing, an instance that goes down, and the streaming API. The masto client library
// reads it too, as a check that the wire shapes are what real clients expect.
import { createRestAPIClient } from "masto";
import WebSocket from "ws";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeMastodon } from "../../support/fakes/mastodon";

let fake: FakeMastodon;
let alice: string;
let bob: string;
let carol: string;

beforeEach(async () => {
  fake = await new FakeMastodon({ asyncMediaMs: 60_000 }).start();
  alice = fake.addAccount("alice", "Alice").token;
  bob = fake.addAccount("bob", "Bob").token;
  carol = fake.addAccount("carol").token;
  fake.follow("alice", "bob");
});
afterEach(() => fake.stop());

async function call(path: string, token: string | null, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const res = await fetch(`${fake.origin}${path}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text };
}
const form = (fields: Record<string, string | string[]>, headers: Record<string, string> = {}): RequestInit => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
  return { method: "POST", body, headers };
};
const ids = (items: { id: string }[]) => items.map((s) => s.id);

describe("auth", () => {
  it("verify_credentials answers the account behind a token", async () => {
    const r = await call("/api/v1/accounts/verify_credentials", alice);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ username: "alice", acct: "alice", display_name: "Alice", following_count: 1, source: { privacy: "public" } });
  });

  it("refuses a missing, unknown or revoked token as Doorkeeper does", async () => {
    const none = await call("/api/v1/timelines/home", null);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: "The access token is invalid" });
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"');
    expect((await call("/api/v1/timelines/home", "nope")).body).toEqual({ error: "The access token is invalid" });
    fake.revoke(alice);
    const revoked = await call("/api/v1/accounts/verify_credentials", alice);
    expect(revoked.status).toBe(401);
    expect(revoked.body).toEqual({ error: "The access token was revoked" });
  });

  it("refuses a token without the scope a method needs", async () => {
    const reader = fake.addAccount("reader", "Reader", { scopes: ["read"] }).token;
    expect((await call("/api/v1/timelines/home", reader)).status).toBe(200);
    const r = await call("/api/v1/statuses", reader, form({ status: "hi" }));
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ error: "This action is outside the authorized scopes" });
  });

  it("serves the instance's limits without a token", async () => {
    const r = await call("/api/v2/instance", null);
    expect(r.status).toBe(200);
    expect(r.body.configuration.statuses).toEqual({ max_characters: 500, max_media_attachments: 4, characters_reserved_per_url: 23 });
    expect(r.body.configuration.media_attachments).toMatchObject({ image_size_limit: 16_777_216, video_size_limit: 103_809_024 });
  });
});

describe("home timeline pagination", () => {
  let posted: string[]; // oldest first
  beforeEach(() => {
    posted = ["one", "two", "three", "four", "five"].map((t) => fake.postAs("bob", t).id);
  });

  it("pages back with max_id and forward with min_id, following the Link header", async () => {
    const first = await call("/api/v1/timelines/home?limit=2", alice);
    expect(first.status).toBe(200);
    expect(ids(first.body)).toEqual([posted[4], posted[3]]);
    const base = `${fake.origin}/api/v1/timelines/home`;
    expect(first.headers.get("link")).toBe(`<${base}?limit=2&max_id=${posted[3]}>; rel="next", <${base}?limit=2&min_id=${posted[4]}>; rel="prev"`);

    const next = links(first.headers.get("link")!);
    const second = await call(next.next!.replace(fake.origin, ""), alice);
    expect(ids(second.body)).toEqual([posted[2], posted[1]]);
    const back = await call(links(second.headers.get("link")!).prev!.replace(fake.origin, ""), alice);
    expect(ids(back.body)).toEqual([posted[4], posted[3]]);
  });

  it("since_id gives the newest above it, min_id the ones right after it, both newest first", async () => {
    expect(ids((await call(`/api/v1/timelines/home?since_id=${posted[0]}&limit=2`, alice)).body)).toEqual([posted[4], posted[3]]);
    expect(ids((await call(`/api/v1/timelines/home?min_id=${posted[0]}&limit=2`, alice)).body)).toEqual([posted[2], posted[1]]);
    // min_id wins over since_id; max_id bounds min_id from above.
    expect(ids((await call(`/api/v1/timelines/home?min_id=${posted[1]}&since_id=${posted[3]}&max_id=${posted[4]}`, alice)).body)).toEqual([posted[3], posted[2]]);
  });

  it("an empty page has no Link header, and limit is clamped to 40", async () => {
    const empty = await call(`/api/v1/timelines/home?since_id=${posted[4]}`, alice);
    expect(empty.body).toEqual([]);
    expect(empty.headers.get("link")).toBeNull();
    for (let i = 0; i < 40; i++) fake.postAs("bob", `more ${i}`);
    expect((await call("/api/v1/timelines/home?limit=100", alice)).body).toHaveLength(40);
    expect((await call("/api/v1/timelines/home", alice)).body).toHaveLength(20);
  });

  it("only followed accounts reach the home feed; a reply to a stranger does not", async () => {
    fake.postAs("carol", "not followed");
    const carolPost = fake.postAs("carol", "root");
    fake.postAs("bob", "@carol reply to a stranger", { inReplyTo: carolPost.id });
    const r = await call("/api/v1/timelines/home?limit=40", alice);
    expect(r.body.map((s: { content: string }) => s.content)).toEqual(["five", "four", "three", "two", "one"].map((t) => `<p>${t}</p>`));
  });
});

describe("notifications", () => {
  it("filters by types[] and exclude_types[] and keeps them in the Link header", async () => {
    const mine = await call("/api/v1/statuses", alice, form({ status: "mine" }));
    fake.postAs("bob", "hello @alice");
    fake.follow("carol", "alice");
    fake.favouriteAs("bob", mine.body.id);

    const all = await call("/api/v1/notifications", alice);
    expect(all.body.map((n: { type: string }) => n.type)).toEqual(["favourite", "follow", "mention"]);
    expect(all.body[2]).toMatchObject({ type: "mention", account: { username: "bob" }, status: { mentions: [{ username: "alice" }] } });

    const mentions = await call("/api/v1/notifications?types[]=mention&limit=5", alice);
    expect(mentions.body.map((n: { type: string }) => n.type)).toEqual(["mention"]);
    const n = mentions.body[0].id;
    const base = `${fake.origin}/api/v1/notifications`;
    expect(mentions.headers.get("link")).toBe(`<${base}?limit=5&max_id=${n}&types%5B%5D=mention>; rel="next", <${base}?limit=5&min_id=${n}&types%5B%5D=mention>; rel="prev"`);

    const noFollows = await call("/api/v1/notifications?exclude_types[]=follow&exclude_types[]=favourite", alice);
    expect(noFollows.body.map((x: { type: string }) => x.type)).toEqual(["mention"]);
    expect((await call(`/api/v1/notifications?since_id=${n}`, alice)).body.map((x: { type: string }) => x.type)).toEqual(["favourite", "follow"]);
  });
});

describe("posting", () => {
  it("posts once per Idempotency-Key within the hour", async () => {
    const headers = { "Idempotency-Key": "k-1" };
    const a = await call("/api/v1/statuses", alice, form({ status: "once" }, headers));
    const b = await call("/api/v1/statuses", alice, form({ status: "once" }, headers));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
    expect(fake.statusesOf("alice")).toHaveLength(1);
    // Another account's key space is its own; after an hour the key is forgotten.
    expect((await call("/api/v1/statuses", bob, form({ status: "once" }, headers))).body.id).not.toBe(a.body.id);
    fake.advance(3600_000 + 1);
    expect((await call("/api/v1/statuses", alice, form({ status: "once" }, headers))).body.id).not.toBe(a.body.id);
    expect(fake.statusesOf("alice")).toHaveLength(2);
  });

  it("answers the documented 422s and 404", async () => {
    const long = await call("/api/v1/statuses", alice, form({ status: "x".repeat(501) }));
    expect(long.status).toBe(422);
    expect(long.body).toEqual({ error: "Validation failed: Text character limit of 500 exceeded" });
    const withCw = await call("/api/v1/statuses", alice, form({ status: "x".repeat(490), spoiler_text: "y".repeat(11) }));
    expect(withCw.body).toEqual({ error: "Validation failed: Text character limit of 500 exceeded" });
    const blank = await call("/api/v1/statuses", alice, form({ status: "  " }));
    expect([blank.status, blank.body]).toEqual([422, { error: "Validation failed: Text can't be blank" }]);
    const tooMany = await call("/api/v1/statuses", alice, form({ status: "pics", "media_ids[]": ["1", "2", "3", "4", "5"] }));
    expect([tooMany.status, tooMany.body]).toEqual([422, { error: "Cannot attach more than 4 files" }]);
    const unknownMedia = await call("/api/v1/statuses", alice, form({ status: "pic", "media_ids[]": ["77"] }));
    expect([unknownMedia.status, unknownMedia.body]).toEqual([422, { error: "Media 77 not found or already attached to another post" }]);
    const badVisibility = await call("/api/v1/statuses", alice, form({ status: "hi", visibility: "everyone" }));
    expect([badVisibility.status, badVisibility.body]).toEqual([422, { error: "Validation failed: Visibility is not included in the list" }]);
    const orphan = await call("/api/v1/statuses", alice, form({ status: "re", in_reply_to_id: "12345" }));
    expect([orphan.status, orphan.body]).toEqual([404, { error: "The post you are trying to reply to does not appear to exist." }]);
    const garbled = await call("/api/v1/statuses", alice, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{not json" });
    expect([garbled.status, garbled.body]).toEqual([400, { error: "Error occurred while parsing request parameters" }]);
    expect(fake.statusesOf("alice")).toEqual([]);
  });

  it("counts a URL as 23 characters and graphemes as one", async () => {
    const url = `https://example.com/${"p".repeat(200)}`;
    const ok = await call("/api/v1/statuses", alice, form({ status: `${"a".repeat(476)} ${url}` }));
    expect(ok.status).toBe(200);
    const emoji = await call("/api/v1/statuses", alice, form({ status: "👩‍👩‍👧‍👦".repeat(500) }));
    expect(emoji.status).toBe(200);
  });

  it("accepts JSON bodies too, and a reply with visibility and a content warning", async () => {
    const root = fake.postAs("bob", "root post");
    const r = await call("/api/v1/statuses", alice, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ status: "@bob a reply", in_reply_to_id: root.id, visibility: "unlisted", spoiler_text: "cw" }),
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ in_reply_to_id: root.id, in_reply_to_account_id: root.account.id, visibility: "unlisted", spoiler_text: "cw", sensitive: true });
    expect(r.body.content).toContain('class="u-url mention"');
    expect(fake.statusesOf("alice").map((s) => s.id)).toEqual([r.body.id]);
  });

  it("a direct status reaches only the mentioned, as a mention notification", async () => {
    fake.follow("carol", "bob");
    const dm = fake.postAs("bob", "psst", { mention: ["alice"], visibility: "direct" });
    const home = await call("/api/v1/timelines/home", alice);
    expect(ids(home.body)).toEqual([dm.id]);
    expect((await call("/api/v1/timelines/home", carol)).body).toEqual([]);
    const n = await call("/api/v1/notifications?types[]=mention", alice);
    expect(n.body[0]).toMatchObject({ type: "mention", status: { id: dm.id, visibility: "direct", content: expect.stringContaining("psst") } });
    const peek = await call(`/api/v1/statuses/${dm.id}`, carol);
    expect([peek.status, peek.body]).toEqual([404, { error: "Record not found" }]);
    const boost = await call(`/api/v1/statuses/${dm.id}/reblog`, alice, { method: "POST" });
    expect([boost.status, boost.body]).toEqual([403, { error: "This action is not allowed" }]);
  });

  it("favourites and boosts, notifying the author", async () => {
    const s = fake.postAs("bob", "nice");
    const fav = await call(`/api/v1/statuses/${s.id}/favourite`, alice, { method: "POST" });
    expect(fav.body).toMatchObject({ id: s.id, favourited: true, favourites_count: 1 });
    const boost = await call(`/api/v1/statuses/${s.id}/reblog`, alice, { method: "POST" });
    expect(boost.body).toMatchObject({ reblogged: true, reblog: { id: s.id, reblogs_count: 1 } });
    expect(boost.body.id).not.toBe(s.id);
    const types = (await call("/api/v1/notifications", bob)).body.map((n: { type: string }) => n.type);
    expect(types).toEqual(["reblog", "favourite", "follow"]);
    const open = await call(`/api/v1/statuses/${s.id}`, null);
    expect(open.status).toBe(200);
    expect(open.body.favourited).toBeUndefined();
  });
  it("favouriting a boost favourites the boosted status and notifies its author, not the booster", async () => {
    const s = fake.postAs("carol", "boost me");
    const boost = fake.reblogAs("bob", s.id);
    const fav = await call(`/api/v1/statuses/${boost.id}/favourite`, alice, { method: "POST" });
    expect(fav.status).toBe(200);
    expect(fav.body).toMatchObject({ id: boost.id, reblog: { id: s.id, favourited: true, favourites_count: 1 } });
    expect((await call("/api/v1/notifications?types[]=favourite", carol)).body).toMatchObject([{ type: "favourite", status: { id: s.id } }]);
    expect((await call("/api/v1/notifications?types[]=favourite", bob)).body).toEqual([]);
  });
});

describe("media", () => {
  const upload = (token: string, type: string, bytes = 64) => {
    const body = new FormData();
    body.append("file", new Blob([new Uint8Array(bytes)], { type }), "f.bin");
    body.append("description", "alt text");
    return call("/api/v2/media", token, { method: "POST", body });
  };

  it("processes an image at once and a video in the background", async () => {
    const image = await upload(alice, "image/png");
    expect(image.status).toBe(200);
    expect(image.body).toMatchObject({ type: "image", description: "alt text", url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/.+\.png$/) });
    const video = await upload(alice, "video/mp4");
    expect(video.status).toBe(202);
    expect(video.body).toMatchObject({ type: "video", url: null });

    const early = await call(`/api/v1/media/${video.body.id}`, alice);
    expect([early.status, early.body.url]).toEqual([206, null]);
    const notReady = await call("/api/v1/statuses", alice, form({ status: "clip", "media_ids[]": [video.body.id] }));
    expect([notReady.status, notReady.body]).toEqual([422, { error: "Cannot attach files that have not finished processing. Try again in a moment!" }]);
    const mixed = await call("/api/v1/statuses", alice, form({ status: "mix", "media_ids[]": [image.body.id, video.body.id] }));
    expect(mixed.body).toEqual({ error: "Cannot attach a video to a post that already contains images" });

    fake.advance(60_000);
    const done = await call(`/api/v1/media/${video.body.id}`, alice);
    expect(done.status).toBe(200);
    expect(done.body.url).toMatch(/\.mp4$/);
    expect((await call(`/api/v1/media/${video.body.id}`, bob)).status).toBe(404);

    const posted = await call("/api/v1/statuses", alice, form({ status: "", "media_ids[]": [image.body.id] }));
    expect(posted.status).toBe(200);
    expect(posted.body.media_attachments.map((m: { id: string }) => m.id)).toEqual([image.body.id]);
    const again = await call("/api/v1/statuses", alice, form({ status: "twice", "media_ids[]": [image.body.id] }));
    expect(again.body).toEqual({ error: `Media ${image.body.id} not found or already attached to another post` });
  });

  it("refuses a file type it cannot process and a missing file", async () => {
    const r = await upload(alice, "application/pdf");
    expect([r.status, r.body]).toEqual([422, { error: "Validation failed: File content type is invalid, File is invalid" }]);
    const none = await call("/api/v2/media", alice, { method: "POST", body: new FormData() });
    expect([none.status, none.body]).toEqual([400, { error: "param is missing or the value is empty: file" }]);
  });
});

describe("rate limits", () => {
  it("sends X-RateLimit headers on every response", async () => {
    const a = await call("/api/v1/timelines/home", alice);
    const b = await call("/api/v1/timelines/home", alice);
    expect(a.headers.get("x-ratelimit-limit")).toBe("300");
    expect(a.headers.get("x-ratelimit-remaining")).toBe("299");
    expect(b.headers.get("x-ratelimit-remaining")).toBe("298");
    expect(a.headers.get("x-ratelimit-reset")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(a.headers.get("x-ratelimit-reset")!)).toBeGreaterThan(Date.now());
    const refused = await call("/api/v1/timelines/home", "bad-token");
    expect(refused.headers.get("x-ratelimit-limit")).toBe("300");
  });

  it("answers 429 once a token's window is used up, and only for that token", async () => {
    fake.exhaust(alice);
    const r = await call("/api/v1/timelines/home", alice);
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ error: "Too many requests" });
    expect(r.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Date.parse(r.headers.get("x-ratelimit-reset")!)).toBeGreaterThan(Date.now());
    expect((await call("/api/v1/timelines/home", bob)).status).toBe(200);
    fake.advance(300_000);
    expect((await call("/api/v1/timelines/home", alice)).status).toBe(200);
  });

  it("counts requests against the limit, and limitNext forces 429s", async () => {
    const small = await new FakeMastodon({ rateLimit: { limit: 2, periodS: 60 } }).start();
    try {
      const t = small.addAccount("x").token;
      const get = () => fetch(`${small.origin}/api/v1/timelines/home`, { headers: { Authorization: `Bearer ${t}` } }).then((r) => r.status);
      expect([await get(), await get(), await get()]).toEqual([200, 200, 429]);
    } finally {
      await small.stop();
    }
    fake.limitNext(2);
    expect([(await call("/api/v2/instance", null)).status, (await call("/api/v1/timelines/home", alice)).status, (await call("/api/v1/timelines/home", alice)).status]).toEqual([429, 429, 200]);
  });
});

describe("outage", () => {
  it("answers 502 with the proxy's page while down, then works again", async () => {
    fake.down();
    const r = await call("/api/v1/timelines/home", alice);
    expect(r.status).toBe(502);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(r.body).toContain("We're sorry, but something went wrong.");
    fake.up();
    expect((await call("/api/v1/timelines/home", alice)).status).toBe(200);
  });

  it("can hang instead, until it comes back", async () => {
    fake.down({ hang: true });
    const pending = fetch(`${fake.origin}/api/v2/instance`, { signal: AbortSignal.timeout(300) });
    await expect(pending).rejects.toThrow();
    fake.up();
    expect((await call("/api/v2/instance", null)).status).toBe(200);
  });
});

describe("streaming", () => {
  const open = (query: string, headers: Record<string, string> = {}) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${fake.origin.replace("http", "ws")}/api/v1/streaming${query}`, { headers });
      ws.once("open", () => resolve(ws));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once("error", reject);
    });
  const nextEvent = (ws: WebSocket) => new Promise<{ stream: string[]; event: string; payload: string }>((resolve) => ws.once("message", (d) => resolve(JSON.parse(String(d)))));

  it("sends update and notification events on the user stream", async () => {
    const ws = await open("?stream=user", { Authorization: `Bearer ${alice}` });
    try {
      const update = nextEvent(ws);
      const s = fake.postAs("bob", "live");
      const e = await update;
      expect(e.stream).toEqual(["user"]);
      expect(e.event).toBe("update");
      expect(JSON.parse(e.payload)).toMatchObject({ id: s.id, content: "<p>live</p>" });
      const note = nextEvent(ws);
      fake.follow("carol", "alice");
      const n = await note;
      expect([n.event, JSON.parse(n.payload).type]).toEqual(["notification", "follow"]);
    } finally {
      ws.close();
    }
  });

  it("takes the token as access_token, refuses a bad one, and drops streams when down", async () => {
    const ws = await open(`?access_token=${bob}`);
    ws.send(JSON.stringify({ type: "subscribe", stream: "user:notification" }));
    const closed = new Promise((resolve) => ws.once("close", resolve));
    await expect(open("?stream=user&access_token=nope")).rejects.toThrow("HTTP 401");
    fake.down();
    await closed;
    await expect(open(`?stream=user&access_token=${bob}`)).rejects.toThrow("HTTP 502");
  });
});

describe("the masto client library", () => {
  it("reads and writes through the fake", async () => {
    fake.postAs("bob", "for masto");
    const masto = createRestAPIClient({ url: fake.origin, accessToken: alice });
    const me = await masto.v1.accounts.verifyCredentials();
    expect(me.displayName).toBe("Alice");
    const home = await masto.v1.timelines.home.list({ limit: 1 });
    expect(home.map((s) => s.content)).toEqual(["<p>for masto</p>"]);
    const posted = await masto.v1.statuses.create({ status: "from masto", visibility: "private" });
    expect(posted.visibility).toBe("private");
    expect(fake.statusesOf("alice").map((s) => s.id)).toEqual([posted.id]);
  });
});

/** RFC 8288 Link header → { next, prev }. */
function links(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.matchAll(/<([^>]+)>;\s*rel="([^"]+)"/g)) out[m[2]!] = m[1]!;
  return out;
}
