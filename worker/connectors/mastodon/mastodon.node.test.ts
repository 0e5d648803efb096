// The Mastodon connector against the Mastodon fake (test/support/fakes/mastodon.ts) over
// real HTTP: verify, polling with pagination and no duplicates, mentions and DMs as chat
// messages, rate limits, a revoked token, an instance that is down, posting with
// Idempotency-Key and media, and reply / boost / favourite.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeMastodon } from "../../../test/support/fakes/mastodon";
import { type NodeIO, nodeIO } from "../../../test/support/node-io";
import { MENTIONS_CHAT, TIMELINE_CHAT } from "../social";
import { RemoteError, type RemoteEvent } from "../types";
import { actions, type Creds, mastodon } from ".";

let fake: FakeMastodon;
let creds: Creds;
let io: NodeIO;
let host: string;

beforeEach(async () => {
  fake = await new FakeMastodon({ asyncMediaMs: 300 }).start();
  creds = { instance: fake.origin, accessToken: fake.addAccount("alice", "Alice").token };
  fake.addAccount("bob", "Bob");
  fake.addAccount("carol", "Carol");
  fake.follow("alice", "bob");
  host = new URL(fake.origin).host;
  io = nodeIO("mastodon");
});
afterEach(() => fake.stop());

const posts = (events: RemoteEvent[]) => events.flatMap((e) => (e.type === "post" ? [e.post] : []));
const messages = (events: RemoteEvent[]) => events.flatMap((e) => (e.type === "message" ? [e] : []));
const poll = (cursor: string | null) => mastodon.poll(creds, io, cursor);
const text = (t: string, key: string = crypto.randomUUID()) => ({ key, chat: TIMELINE_CHAT, body: { type: "text" as const, text: t } });

async function rejection(p: Promise<unknown>): Promise<RemoteError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RemoteError);
  return err as RemoteError;
}

describe("verify", () => {
  it("answers who the token is and keeps the instance's limits", async () => {
    const r = await mastodon.verify(mastodon.credentials.parse({ instance: fake.origin, accessToken: creds.accessToken }), io);
    expect(r).toEqual({ ok: true, remote: { id: `@alice@${host}`, name: "Alice" } });
    expect(io.store.get("instance")).toEqual({ maxChars: 500, urlChars: 23, maxMedia: 4, host });
  });

  it("refuses a bad or revoked token with Mastodon's reason, and says when the instance is down", async () => {
    expect(await mastodon.verify({ ...creds, accessToken: "not-a-token" }, nodeIO("mastodon"))).toEqual({ ok: false, code: "bad_credentials", message: "Mastodon: The access token is invalid" });
    fake.revoke(creds.accessToken);
    expect(await mastodon.verify(creds, nodeIO("mastodon"))).toEqual({ ok: false, code: "bad_credentials", message: "Mastodon: The access token was revoked" });
    fake.down();
    expect(await mastodon.verify(creds, nodeIO("mastodon"))).toMatchObject({ ok: false, code: "unreachable" });
  });

  it("takes a bare domain, refuses http to anywhere but this machine and a path", () => {
    expect(mastodon.credentials.safeParse({ instance: "mastodon.social", accessToken: "x".repeat(20) }).success).toBe(true);
    expect(mastodon.credentials.safeParse({ instance: "http://mastodon.social", accessToken: "x".repeat(20) }).success).toBe(false);
    expect(mastodon.credentials.safeParse({ instance: "https://mastodon.social/@me", accessToken: "x".repeat(20) }).success).toBe(false);
  });
});

describe("poll", () => {
  it("takes only the newest page first, then pages forward to catch up, never twice", async () => {
    const early = Array.from({ length: 45 }, (_, i) => fake.postAs("bob", `early ${i}`).id);
    const first = await poll(null);
    expect(posts(first.events).map((p) => p.remoteId)).toEqual(early.slice(5));
    expect(first.nextInMs).toBeUndefined();

    const later = Array.from({ length: 100 }, (_, i) => fake.postAs("bob", `later ${i}`).id);
    const before = fake.requests.length;
    const second = await poll(first.cursor);
    expect(posts(second.events).map((p) => p.remoteId)).toEqual(later);
    // 3 pages of home (40 + 40 + 20) and one of notifications.
    expect(fake.requests.slice(before).map((r) => r.path.split("?")[0])).toEqual(["/api/v1/notifications", ...Array(3).fill("/api/v1/timelines/home")]);
    const third = await poll(second.cursor);
    expect(third.events).toEqual([]);
    expect(JSON.parse(third.cursor)).toEqual(JSON.parse(second.cursor));
  });

  it("bounds a poll to 5 pages and asks to come back soon for the rest", async () => {
    const { cursor } = await poll(null);
    const ids = Array.from({ length: 230 }, (_, i) => fake.postAs("bob", `p${i}`).id);
    const a = await poll(cursor);
    expect(posts(a.events)).toHaveLength(200);
    expect(a.nextInMs).toBe(1000);
    const b = await poll(a.cursor);
    expect([...posts(a.events), ...posts(b.events)].map((p) => p.remoteId)).toEqual(ids);
    expect(b.nextInMs).toBeUndefined();
  });

  it("turns statuses into posts: text from HTML, boosts by the booster, replies", async () => {
    const { cursor } = await poll(null);
    const root = fake.postAs("carol", "carol's root");
    const boost = fake.reblogAs("bob", root.id);
    const plain = fake.postAs("bob", "line one\nline two & more");
    const got = posts((await poll(cursor)).events);
    expect(got).toEqual([
      { remoteId: boost.id, kind: "boost", author: { id: `@bob@${host}`, name: "Bob" }, text: "carol's root", url: root.url, at: Date.parse(boost.created_at) },
      { remoteId: plain.id, kind: "status", author: { id: `@bob@${host}`, name: "Bob" }, text: "line one\nline two & more", url: plain.url, at: Date.parse(plain.created_at) },
    ]);
  });

  it("puts mentions and replies in the mentions chat and DMs in their own chat, as messages and posts", async () => {
    const { cursor } = await poll(null);
    const mine = await mastodon.send!(creds, io, text("my post"));
    expect(mine.ok).toBe(true);
    const mention = fake.postAs("carol", "hi @alice");
    const reply = fake.postAs("carol", "@alice answering", { inReplyTo: mine.ok ? mine.remoteId : "" });
    const dm = fake.postAs("bob", "secret", { mention: ["alice"], visibility: "direct" });
    const r = await poll(cursor);
    const kinds = Object.fromEntries(posts(r.events).map((p) => [p.remoteId, p.kind]));
    expect(kinds).toEqual({ [mine.ok ? mine.remoteId : ""]: "status", [mention.id]: "mention", [reply.id]: "reply", [dm.id]: "dm" });
    expect(messages(r.events).map((m) => [m.remoteId, m.chat, m.sender.id, m.fromMe, m.body])).toEqual([
      [mention.id, { id: MENTIONS_CHAT, kind: "group", title: "Mastodon mentions" }, `@carol@${host}`, false, { type: "text", text: "hi @alice" }],
      [reply.id, { id: MENTIONS_CHAT, kind: "group", title: "Mastodon mentions" }, `@carol@${host}`, false, { type: "text", text: "@alice answering" }],
      [dm.id, { id: `@bob@${host}`, kind: "direct", title: "Bob" }, `@bob@${host}`, false, { type: "text", text: "@alice secret" }],
    ]);
    // A stranger's DM arrives through notifications only, and polls after it bring nothing twice.
    const stranger = fake.postAs("carol", "psst", { mention: ["alice"], visibility: "direct" });
    const again = await poll(r.cursor);
    expect(messages(again.events).map((m) => [m.remoteId, m.chat.id])).toEqual([[stranger.id, `@carol@${host}`]]);
    expect((await poll(again.cursor)).events).toEqual([]);
  });

  it("answers a 429 with rate_limited and the wait, and waits for the reset when the window is used up", async () => {
    fake.limitNext(1);
    const err = await rejection(poll(null));
    expect(err.kind).toBe("rate_limited");
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.retryAfterMs).toBeLessThanOrEqual(300_000);

    const small = await new FakeMastodon({ rateLimit: { limit: 3, periodS: 60 } }).start();
    try {
      const c = { instance: small.origin, accessToken: small.addAccount("dan").token };
      const r = await mastodon.poll(c, nodeIO("mastodon"), null); // verify_credentials, notifications, home: the 3rd leaves 0
      expect(r.nextInMs).toBeGreaterThan(0);
      expect(r.nextInMs).toBeLessThanOrEqual(60_000);
    } finally {
      await small.stop();
    }
  });

  it("a revoked token is auth, an instance that is down or hangs is transient", async () => {
    const { cursor } = await poll(null);
    fake.down();
    expect((await rejection(poll(cursor))).kind).toBe("transient");
    fake.up();
    fake.down({ hang: true });
    const hung = await rejection(mastodon.poll(creds, { ...io, fetch: (u, init) => io.fetch(u, { ...init, timeoutMs: 300 }) }, cursor));
    expect(hung.kind).toBe("transient");
    fake.up();
    fake.revoke(creds.accessToken);
    const auth = await rejection(poll(cursor));
    expect([auth.kind, auth.message]).toEqual(["auth", "Mastodon: The access token was revoked"]);
  });
});

describe("send", () => {
  it("posts once per key, with its web URL, and its echo comes back as our own post", async () => {
    const { cursor } = await poll(null);
    const out = text("hello fediverse", "key-1");
    const a = await mastodon.send!(creds, io, out);
    const b = await mastodon.send!(creds, io, out); // a retry after a lost answer
    expect(a).toMatchObject({ ok: true, url: expect.stringMatching(new RegExp(`^${fake.origin}/@alice/\\d+$`)) });
    expect(b).toEqual(a);
    expect(fake.statusesOf("alice").map((s) => s.content)).toEqual(["<p>hello fediverse</p>"]);
    expect(fake.requests.filter((r) => r.path === "/api/v1/statuses").map((r) => r.idempotencyKey)).toEqual(["key-1", "key-1"]);
    const echo = posts((await poll(cursor)).events);
    expect(echo).toMatchObject([{ remoteId: a.ok ? a.remoteId : "", author: { id: `@alice@${host}` }, kind: "status" }]);
  });

  it("refuses text over the instance's limit as too_long without asking, counting a URL as 23", async () => {
    const over = await mastodon.send!(creds, io, text("x".repeat(501)));
    expect(over).toEqual({ ok: false, code: "too_long", message: "501 characters; this instance takes 500", retryable: false });
    expect(fake.requests.some((r) => r.path === "/api/v1/statuses")).toBe(false);
    const withUrl = await mastodon.send!(creds, io, text(`${"a".repeat(476)} https://example.com/${"p".repeat(100)}`));
    expect(withUrl.ok).toBe(true);
  });

  it("uploads a picture, waits for a video to be processed, and attaches each", async () => {
    const png = { bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), mime: "image/png", filename: "a.png" };
    const pic = await mastodon.send!(creds, io, { key: "pic", chat: TIMELINE_CHAT, body: { type: "image", media: "md_1", caption: "a pixel" }, media: png });
    expect(pic).toMatchObject({ ok: true });
    const video = await mastodon.send!(creds, io, { key: "vid", chat: TIMELINE_CHAT, body: { type: "video", media: "md_2" }, media: { bytes: new Uint8Array(64), mime: "video/mp4", filename: "v.mp4" } });
    expect(video).toMatchObject({ ok: true });
    expect(fake.requests.filter((r) => r.path.startsWith("/api/v1/media/")).map((r) => r.status)).toContain(206);
    expect(fake.statusesOf("alice").map((s) => [s.content, s.media_attachments.map((m) => m.type)])).toEqual([
      ["<p>a pixel</p>", ["image"]],
      ["<p></p>", ["video"]],
    ]);
  });

  it("answers in the mentions chat as a reply mentioning the author, and in a DM chat as a direct status", async () => {
    const mention = fake.postAs("carol", "hey @alice", { visibility: "unlisted" });
    const r = await mastodon.send!(creds, io, { key: "re-1", chat: MENTIONS_CHAT, body: { type: "text", text: "hello back" }, replyTo: mention.id });
    expect(r.ok).toBe(true);
    const dm = await mastodon.send!(creds, io, { key: "dm-1", chat: `@bob@${host}`, body: { type: "text", text: "just you" } });
    expect(dm.ok).toBe(true);
    expect(fake.statusesOf("alice").map((s) => [s.content.replace(/<[^>]+>/g, ""), s.visibility, s.in_reply_to_id])).toEqual([
      ["@carol hello back", "unlisted", mention.id],
      ["@bob just you", "direct", null],
    ]);
    const orphan = await mastodon.send!(creds, io, { key: "re-2", chat: MENTIONS_CHAT, body: { type: "text", text: "to whom?" } });
    expect(orphan).toMatchObject({ ok: false, code: "invalid_target", retryable: false });
  });

  it("says why a post failed: rate limited with the wait, down as retryable, revoked as bad credentials", async () => {
    fake.limitNext(1);
    const limited = await mastodon.send!(creds, io, text("one"));
    expect(limited).toMatchObject({ ok: false, code: "rate_limited", retryable: true, retryAfterMs: expect.any(Number) });
    fake.down();
    expect(await mastodon.send!(creds, io, text("two"))).toMatchObject({ ok: false, code: "remote_unavailable", retryable: true });
    fake.up();
    fake.revoke(creds.accessToken);
    expect(await mastodon.send!(creds, io, text("three"))).toMatchObject({ ok: false, code: "bad_credentials", retryable: false });
    expect(fake.statusesOf("alice")).toEqual([]);
  });
});

describe("actions", () => {
  it("replies, boosts and favourites, each once however often it is asked", async () => {
    const s = fake.postAs("bob", "nice one");
    const reply = await actions.reply(creds, io, { key: "r1", remoteId: s.id, text: "agreed" });
    await actions.reply(creds, io, { key: "r1", remoteId: s.id, text: "agreed" });
    expect(reply.ok).toBe(true);
    const boost = await actions.boost(creds, io, s.id);
    const boostAgain = await actions.boost(creds, io, s.id);
    expect(boost).toMatchObject({ ok: true, url: s.url });
    expect(boostAgain.ok && boost.ok && boostAgain.remoteId === boost.remoteId).toBe(true);
    expect((await actions.like(creds, io, s.id)).ok).toBe(true);
    expect((await actions.like(creds, io, s.id)).ok).toBe(true);
    const mine = fake.statusesOf("alice");
    expect(mine.map((m) => [m.in_reply_to_id, m.reblog?.id ?? null])).toEqual([[s.id, null], [null, s.id]]);
    const bobs = fake.statusesOf("bob")[0]!;
    expect([bobs.favourites_count, bobs.reblogs_count]).toEqual([1, 1]);
  });

  it("favouriting a boost favourites the boosted status, as Mastodon does", async () => {
    const root = fake.postAs("carol", "original");
    const wrapper = fake.reblogAs("bob", root.id);
    const liked = await actions.like(creds, io, wrapper.id);
    expect(liked).toMatchObject({ ok: true, remoteId: root.id });
    expect(fake.statusesOf("carol")[0]!.favourites_count).toBe(1);
  });

  it("a reply to a status that is gone is not_found", async () => {
    expect(await actions.reply(creds, io, { key: "r9", remoteId: "999999", text: "hm" })).toMatchObject({ ok: false, code: "not_found", retryable: false });
  });
});
