// The Bluesky connector against the Bluesky fake (test/support/fakes/bluesky.ts: records
// checked by @atproto/api's Lexicon validators) over real HTTP: sessions kept, refreshed
// before expiry and after ExpiredToken, renewed with the app password when the refresh
// token is dead; timeline and notification polling with cursors and no duplicates; rate
// limits; an outage; posts with byte-offset facets, never twice; reply, repost and like.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeBluesky, facetProblems } from "../../../test/support/fakes/bluesky";
import { type NodeIO, nodeIO } from "../../../test/support/node-io";
import { MENTIONS_CHAT, TIMELINE_CHAT } from "../social";
import { RemoteError, type RemoteEvent } from "../types";
import { actions, bluesky, type Creds } from ".";
import { isTid } from "./tid";

const PASSWORD = "alic-eapp-pass-word";
let fake: FakeBluesky;
let creds: Creds;
let io: NodeIO;
let alice: string;

beforeEach(async () => {
  fake = await new FakeBluesky().start();
  alice = fake.addAccount("alice.test", PASSWORD, { displayName: "Alice" }).did;
  fake.addAccount("bob.test", "bobb-bapp-pass-word", { displayName: "Bob" });
  fake.addAccount("carol.test", "caro-lapp-pass-word");
  fake.follow("alice.test", "bob.test");
  creds = { identifier: "alice.test", appPassword: PASSWORD, service: fake.origin };
  io = nodeIO("bluesky");
});
afterEach(() => fake.stop());

const posts = (events: RemoteEvent[]) => events.flatMap((e) => (e.type === "post" ? [e.post] : []));
const messages = (events: RemoteEvent[]) => events.flatMap((e) => (e.type === "message" ? [e] : []));
const poll = (cursor: string | null) => bluesky.poll(creds, io, cursor);
const nsids = (from: number) => fake.requests.slice(from).map((r) => `${r.nsid} ${r.status}${r.error ? ` ${r.error}` : ""}`);
const text = (t: string, key: string = crypto.randomUUID()) => ({ key, chat: TIMELINE_CHAT, body: { type: "text" as const, text: t } });
const myPosts = () => fake.records("alice.test", "app.bsky.feed.post");

async function rejection(p: Promise<unknown>): Promise<RemoteError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RemoteError);
  return err as RemoteError;
}

describe("verify and the session", () => {
  it("logs in, answers the handle and display name, and keeps the tokens but not the app password", async () => {
    expect(await bluesky.verify(bluesky.credentials.parse(creds), io)).toEqual({ ok: true, remote: { id: "@alice.test", name: "Alice" } });
    const stored = JSON.stringify(io.store.entries());
    expect(stored).toContain("accessJwt");
    expect(stored).not.toContain(PASSWORD);
  });

  it("refuses a wrong app password with the PDS's reason, and says when it is down", async () => {
    expect(await bluesky.verify({ ...creds, appPassword: "wrong-pass" }, nodeIO("bluesky"))).toEqual({ ok: false, code: "bad_credentials", message: "Bluesky com.atproto.server.createSession: Invalid identifier or password" });
    fake.down();
    expect(await bluesky.verify(creds, nodeIO("bluesky"))).toMatchObject({ ok: false, code: "unreachable" });
  });

  it("refreshes after ExpiredToken and keeps the new tokens, without logging in again", async () => {
    fake.postAs("bob.test", "before");
    const { cursor } = await poll(null);
    fake.postAs("bob.test", "after expiry");
    fake.expireAccessTokens();
    const from = fake.requests.length;
    const r = await poll(cursor);
    expect(posts(r.events).map((p) => p.text)).toEqual(["after expiry"]);
    expect(nsids(from)).toEqual([
      "app.bsky.notification.listNotifications 400 ExpiredToken",
      "com.atproto.server.refreshSession 200",
      "app.bsky.notification.listNotifications 200",
      "app.bsky.feed.getTimeline 200",
    ]);
    const again = fake.requests.length;
    await poll(r.cursor);
    expect(nsids(again)).toEqual(["app.bsky.notification.listNotifications 200", "app.bsky.feed.getTimeline 200"]);
  });

  it("refreshes before the access token's exp, read from the JWT", async () => {
    const short = await new FakeBluesky({ accessTtlMs: 3_000 }).start();
    try {
      short.addAccount("dan.test", "dann-dapp-pass-word");
      const c = { identifier: "dan.test", appPassword: "dann-dapp-pass-word", service: short.origin };
      const dio = nodeIO("bluesky");
      await bluesky.poll(c, dio, null);
      await new Promise((r) => setTimeout(r, 2_000)); // under half of its lifetime left
      const from = short.requests.length;
      await bluesky.poll(c, dio, null);
      expect(short.requests.slice(from).map((r) => `${r.nsid} ${r.status}`)).toEqual(["com.atproto.server.refreshSession 200", "app.bsky.notification.listNotifications 200", "app.bsky.feed.getTimeline 200"]);
    } finally {
      await short.stop();
    }
  });

  it("logs in again with the app password when the refresh token is dead, and is auth once that fails too", async () => {
    const graceless = await new FakeBluesky({ refreshGraceMs: 0 }).start();
    try {
      graceless.addAccount("dan.test", "dann-dapp-pass-word");
      const c = { identifier: "dan.test", appPassword: "dann-dapp-pass-word", service: graceless.origin };
      const dio = nodeIO("bluesky");
      await bluesky.poll(c, dio, null);
      const stale = dio.store.get("session");
      graceless.expireAccessTokens();
      await bluesky.poll(c, dio, null); // refreshes: the stale refresh token is spent
      dio.store.put("session", stale);
      graceless.expireAccessTokens();
      const from = graceless.requests.length;
      await bluesky.poll(c, dio, null);
      expect(graceless.requests.slice(from).map((r) => `${r.nsid} ${r.status}`)).toEqual([
        "app.bsky.notification.listNotifications 400",
        "com.atproto.server.refreshSession 400",
        "com.atproto.server.createSession 200",
        "app.bsky.notification.listNotifications 200",
        "app.bsky.feed.getTimeline 200",
      ]);
      dio.store.delete("session");
      const err = await rejection(bluesky.poll({ ...c, appPassword: "revoked-pass" }, dio, null));
      expect(err.kind).toBe("auth");
    } finally {
      await graceless.stop();
    }
  });
});

describe("poll", () => {
  it("takes the newest page first, then pages back to the last item seen, never twice", async () => {
    const early = Array.from({ length: 60 }, (_, i) => fake.postAs("bob.test", `early ${i}`));
    const first = await poll(null);
    expect(posts(first.events).map((p) => p.remoteId)).toEqual(early.slice(10));
    const later = Array.from({ length: 120 }, (_, i) => fake.postAs("bob.test", `later ${i}`));
    const second = await poll(first.cursor);
    expect(posts(second.events).map((p) => p.remoteId)).toEqual(later);
    const third = await poll(second.cursor);
    expect(third.events).toEqual([]);
  });

  it("turns reposts into boosts by the reposter and replies into posts that say so", async () => {
    const { cursor } = await poll(null);
    const carols = fake.postAs("carol.test", "carol's post");
    const repost = fake.repostAs("bob.test", carols);
    const answer = fake.postAs("bob.test", "an answer", { replyTo: carols });
    const got = posts((await poll(cursor)).events);
    expect(got).toMatchObject([
      { remoteId: repost, kind: "boost", author: { id: "@bob.test", name: "Bob" }, text: "carol's post", url: `https://bsky.app/profile/carol.test/post/${carols.split("/").pop()}` },
      { remoteId: answer, kind: "status", author: { id: "@bob.test" }, text: "an answer", inReplyTo: carols },
    ]);
  });

  it("brings mentions, replies and quotes as posts and as messages in the mentions chat", async () => {
    const { cursor } = await poll(null);
    const mine = await bluesky.send!(creds, io, text("my post"));
    const myUri = mine.ok ? mine.remoteId : "";
    const mention = fake.postAs("carol.test", "hey", { mention: ["alice.test"] });
    const reply = fake.postAs("bob.test", "re", { replyTo: myUri });
    const quote = fake.postAs("carol.test", "look", { quote: myUri });
    fake.likeAs("bob.test", myUri);
    const r = await poll(cursor);
    expect(posts(r.events).map((p) => [p.remoteId, p.kind])).toEqual([
      [myUri, "status"],
      [mention, "mention"],
      [reply, "reply"],
      [quote, "mention"],
    ]);
    expect(messages(r.events).map((m) => [m.remoteId, m.chat, m.sender.id, m.body])).toEqual([
      [mention, { id: MENTIONS_CHAT, kind: "group", title: "Bluesky mentions" }, "@carol.test", { type: "text", text: "hey @alice.test" }],
      [reply, { id: MENTIONS_CHAT, kind: "group", title: "Bluesky mentions" }, "@bob.test", { type: "text", text: "re" }],
      [quote, { id: MENTIONS_CHAT, kind: "group", title: "Bluesky mentions" }, "@carol.test", { type: "text", text: "look" }],
    ]);
    expect((await poll(r.cursor)).events).toEqual([]);
  });

  it("obeys a 429 with the server's wait, and waits for the reset when the window is used up", async () => {
    await poll(null);
    fake.limitNext(1);
    const err = await rejection(poll(null));
    expect(err.kind).toBe("rate_limited");
    expect(err.retryAfterMs).toBeGreaterThan(0);
    const small = await new FakeBluesky({ rateLimit: { limit: 3, windowS: 60 } }).start();
    try {
      small.addAccount("dan.test", "dann-dapp-pass-word");
      const r = await bluesky.poll({ identifier: "dan.test", appPassword: "dann-dapp-pass-word", service: small.origin }, nodeIO("bluesky"), null);
      expect(r.nextInMs).toBeGreaterThan(0);
      expect(r.nextInMs).toBeLessThanOrEqual(60_000);
    } finally {
      await small.stop();
    }
  });

  it("a PDS that is down is transient", async () => {
    const { cursor } = await poll(null);
    fake.down();
    expect((await rejection(poll(cursor))).kind).toBe("transient");
    fake.up();
    expect((await poll(cursor)).events).toEqual([]);
  });
});

describe("send", () => {
  it("posts with link, mention and tag facets at UTF-8 byte offsets, and its web URL", async () => {
    const t = "héllo @bob.test → https://example.com/ü. #unibox @nobody.test";
    const r = await bluesky.send!(creds, io, text(t));
    expect(r).toMatchObject({ ok: true, url: expect.stringMatching(/^https:\/\/bsky\.app\/profile\/alice\.test\/post\/[2-7a-z]{13}$/) });
    const [rec] = myPosts();
    expect(rec!.uri).toBe(r.ok ? r.remoteId : "");
    expect(isTid(rec!.uri.split("/").pop()!)).toBe(true);
    expect(facetProblems(rec!.value)).toEqual([]);
    const facets = rec!.value.facets as { index: { byteStart: number; byteEnd: number }; features: Record<string, string>[] }[];
    const slice = (f: (typeof facets)[number]) => Buffer.from(t).subarray(f.index.byteStart, f.index.byteEnd).toString();
    expect(facets.map((f) => [slice(f), f.features[0]!.$type])).toEqual([
      ["@bob.test", "app.bsky.richtext.facet#mention"],
      ["https://example.com/ü", "app.bsky.richtext.facet#link"],
      ["#unibox", "app.bsky.richtext.facet#tag"],
    ]);
  });

  it("never posts twice: a retry, a lost answer and a second write at the same rkey all end in one record", async () => {
    const out = text("exactly once", "k-1");
    const a = await bluesky.send!(creds, io, out);
    const b = await bluesky.send!(creds, io, out);
    expect(b).toEqual(a);
    // The PDS writes the record but the answer never arrives.
    const lossy: NodeIO = { ...io, fetch: async (u, init) => {
      const res = await io.fetch(u, init);
      if (String(u).includes("createRecord")) throw new TypeError("fetch failed");
      return res;
    } };
    const lost = await bluesky.send!(creds, lossy, text("answer lost", "k-2"));
    expect(lost).toMatchObject({ ok: true });
    // The same again with the note of the first attempt gone: createRecord answers 500, getRecord tells.
    const attempts = io.store.get<Record<string, { tried: boolean }>>("attempts")!;
    io.store.put("attempts", { ...attempts, "k-2": { ...attempts["k-2"]!, tried: false } });
    const from = fake.requests.length;
    expect(await bluesky.send!(creds, io, text("answer lost", "k-2"))).toEqual(lost);
    expect(nsids(from).filter((n) => n.includes("Record"))).toEqual(["com.atproto.repo.createRecord 500 InternalServerError", "com.atproto.repo.getRecord 200"]);
    expect(myPosts().map((p) => p.value.text)).toEqual(["exactly once", "answer lost"]);
  });

  it("refuses more than 300 graphemes or 3000 bytes as too_long, and a DM chat as invalid_target", async () => {
    expect(await bluesky.send!(creds, io, text("a".repeat(301)))).toEqual({ ok: false, code: "too_long", message: "301 graphemes; Bluesky takes 300", retryable: false });
    expect(await bluesky.send!(creds, io, text("👩‍👩‍👧‍👦".repeat(121)))).toMatchObject({ ok: false, code: "too_long", retryable: false });
    expect((await bluesky.send!(creds, io, text("é".repeat(300)))).ok).toBe(true);
    expect(await bluesky.send!(creds, io, { key: "dm", chat: "@bob.test", body: { type: "text", text: "hi" } })).toMatchObject({ ok: false, code: "invalid_target" });
    expect(myPosts()).toHaveLength(1);
  });

  it("answers a mention as a reply with root and parent, and attaches a picture", async () => {
    const root = fake.postAs("carol.test", "root");
    const child = fake.postAs("bob.test", "child @alice.test", { replyTo: root, mention: ["alice.test"] });
    const r = await bluesky.send!(creds, io, { key: "re", chat: MENTIONS_CHAT, body: { type: "text", text: "answering" }, replyTo: child });
    expect(r.ok).toBe(true);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const pic = await bluesky.send!(creds, io, { key: "pic", chat: TIMELINE_CHAT, body: { type: "image", media: "md_1", caption: "a pixel" }, media: { bytes: png, mime: "image/png", filename: "p.png" } });
    expect(pic.ok).toBe(true);
    const [reply, withPic] = myPosts();
    const rootRec = fake.records("carol.test", "app.bsky.feed.post")[0]!;
    const childRec = fake.records("bob.test", "app.bsky.feed.post")[0]!;
    expect(reply!.value.reply).toEqual({ root: { uri: rootRec.uri, cid: rootRec.cid }, parent: { uri: childRec.uri, cid: childRec.cid } });
    expect(withPic!.value.embed).toMatchObject({ $type: "app.bsky.embed.images", images: [{ alt: "a pixel", image: { mimeType: "image/png", size: 8 } }] });
  });

  it("says why it failed: rate limited with the wait, down as retryable", async () => {
    await bluesky.verify(creds, io);
    fake.limitNext(1);
    expect(await bluesky.send!(creds, io, text("one"))).toMatchObject({ ok: false, code: "rate_limited", retryable: true, retryAfterMs: expect.any(Number) });
    fake.down();
    expect(await bluesky.send!(creds, io, text("two"))).toMatchObject({ ok: false, code: "remote_unavailable", retryable: true });
    expect(myPosts()).toEqual([]);
  });
});

describe("actions", () => {
  it("likes and reposts once however often asked, acting on the post a repost reposts, and replies", async () => {
    const carols = fake.postAs("carol.test", "like me");
    const repost = fake.repostAs("bob.test", carols);
    const like = await actions.like(creds, io, repost);
    expect(like).toMatchObject({ ok: true, url: expect.stringContaining(carols.split("/").pop()!) });
    await actions.like(creds, io, carols);
    await actions.boost(creds, io, carols);
    await actions.boost(creds, io, carols);
    const subjects = (c: string) => fake.records("alice.test", c).map((r) => (r.value.subject as { uri: string }).uri);
    expect(subjects("app.bsky.feed.like")).toEqual([carols]);
    expect(subjects("app.bsky.feed.repost")).toEqual([carols]);
    expect((await actions.reply(creds, io, { key: "r", remoteId: repost, text: "nice" })).ok).toBe(true);
    expect((myPosts()[0]!.value.reply as { parent: { uri: string } }).parent.uri).toBe(carols);
    expect(await actions.like(creds, io, `at://${alice}/app.bsky.feed.post/3lbcdefghij22`)).toMatchObject({ ok: false, code: "not_found" });
  });
});
