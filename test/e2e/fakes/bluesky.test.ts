// The Bluesky fake held to the Lexicons and the reference PDS over real HTTP: sessions and
// their expiry and refresh, records the Lexicon validator refuses, a duplicate rkey, blobs,
// timeline and notification cursors, the XRPC error and rate-limit shapes, an outage.
// @atproto/api's AtpAgent drives it too: it validates every response against the Lexicons.
import { AtpAgent } from "@atproto/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeBluesky, decodeJwt, facetProblems } from "../../support/fakes/bluesky";

let fake: FakeBluesky;
let aliceDid: string;

beforeEach(async () => {
  fake = await new FakeBluesky().start();
  aliceDid = fake.addAccount("alice.test", "alic-eapp-pass-word").did;
  fake.addAccount("bob.test", "bobb-bapp-pass-word");
  fake.addAccount("carol.test", "caro-lapp-pass-word");
  fake.follow("alice.test", "bob.test");
});
afterEach(() => fake.stop());

async function xrpc(nsid: string, opts: { token?: string; params?: Record<string, string | string[]>; body?: unknown; raw?: Buffer; type?: string } = {}) {
  const url = new URL(`/xrpc/${nsid}`, fake.origin);
  for (const [k, v] of Object.entries(opts.params ?? {})) for (const one of [v].flat()) url.searchParams.append(k, one);
  const headers: Record<string, string> = {};
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const post = opts.body !== undefined || opts.raw !== undefined;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.raw !== undefined) headers["Content-Type"] = opts.type ?? "application/octet-stream";
  const res = await fetch(url, { method: post ? "POST" : "GET", headers, body: opts.raw ? new Uint8Array(opts.raw) : opts.body !== undefined ? JSON.stringify(opts.body) : undefined });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function login(identifier = "alice.test", password = "alic-eapp-pass-word") {
  const r = await xrpc("com.atproto.server.createSession", { body: { identifier, password } });
  expect(r.status).toBe(200);
  return r.body as { accessJwt: string; refreshJwt: string; did: string; handle: string };
}

const post = (token: string, record: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  xrpc("com.atproto.repo.createRecord", { token, body: { repo: "alice.test", collection: "app.bsky.feed.post", record: { $type: "app.bsky.feed.post", createdAt: new Date().toISOString(), ...record }, ...extra } });

describe("sessions", () => {
  it("logs in with handle or email and an app password, with real-looking HS256 JWTs", async () => {
    const s = await login();
    expect(s).toMatchObject({ did: aliceDid, handle: "alice.test" });
    const access = decodeJwt(s.accessJwt);
    expect(access).toMatchObject({ typ: "at+jwt", scope: "com.atproto.appPass", sub: aliceDid, aud: fake.serviceDid });
    expect(access.exp - access.iat).toBe(7200);
    expect(decodeJwt(s.refreshJwt)).toMatchObject({ typ: "refresh+jwt", scope: "com.atproto.refresh", jti: expect.any(String) });
    expect(JSON.parse(Buffer.from(s.accessJwt.split(".")[0]!, "base64url").toString())).toEqual({ typ: "at+jwt", alg: "HS256" });
    expect((await login("alice@mail.test")).did).toBe(aliceDid);
    const me = await xrpc("com.atproto.server.getSession", { token: s.accessJwt });
    expect(me.body).toMatchObject({ did: aliceDid, handle: "alice.test", active: true });
  });

  it("refuses a wrong password, a missing token and a forged one", async () => {
    const bad = await xrpc("com.atproto.server.createSession", { body: { identifier: "alice.test", password: "nope" } });
    expect([bad.status, bad.body]).toEqual([401, { error: "AuthenticationRequired", message: "Invalid identifier or password" }]);
    const missing = await xrpc("app.bsky.feed.getTimeline");
    expect([missing.status, missing.body]).toEqual([401, { error: "AuthMissing", message: "Authentication Required" }]);
    const s = await login();
    const [h, c] = s.accessJwt.split(".");
    const forged = await xrpc("app.bsky.feed.getTimeline", { token: `${h}.${c}.${Buffer.from("x").toString("base64url")}` });
    expect([forged.status, forged.body]).toEqual([400, { error: "InvalidToken", message: "Token could not be verified" }]);
    const wrongKind = await xrpc("app.bsky.feed.getTimeline", { token: s.refreshJwt });
    expect([wrongKind.status, wrongKind.body]).toEqual([400, { error: "InvalidToken", message: "Token could not be verified" }]);
    const noInput = await xrpc("com.atproto.server.createSession", { body: { identifier: "alice.test" } });
    expect([noInput.status, noInput.body]).toEqual([400, { error: "InvalidRequest", message: 'Input must have the property "password"' }]);
  });

  it("an expired access token answers ExpiredToken; refreshing gives one that works", async () => {
    const s = await login();
    fake.expireAccessTokens();
    const expired = await xrpc("app.bsky.feed.getTimeline", { token: s.accessJwt });
    expect([expired.status, expired.body]).toEqual([400, { error: "ExpiredToken", message: "Token has expired" }]);
    const refreshed = await xrpc("com.atproto.server.refreshSession", { token: s.refreshJwt, body: undefined, raw: Buffer.alloc(0) });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ did: aliceDid, handle: "alice.test" });
    expect(refreshed.body.refreshJwt).not.toBe(s.refreshJwt);
    expect((await xrpc("app.bsky.feed.getTimeline", { token: refreshed.body.accessJwt })).status).toBe(200);
  });

  it("a token issued after expireAccessTokens works, however many times it is called in one second", async () => {
    const s = await login();
    fake.expireAccessTokens();
    const first = await xrpc("com.atproto.server.refreshSession", { token: s.refreshJwt, raw: Buffer.alloc(0) });
    fake.expireAccessTokens();
    expect((await xrpc("app.bsky.feed.getTimeline", { token: first.body.accessJwt })).body).toEqual({ error: "ExpiredToken", message: "Token has expired" });
    const second = await login();
    expect(second.accessJwt).not.toBe(first.body.accessJwt);
    expect((await xrpc("app.bsky.feed.getTimeline", { token: second.accessJwt })).status).toBe(200);
  });

  it("expires tokens by the clock, and a rotated refresh token dies after its grace period", async () => {
    const short = await new FakeBluesky({ accessTtlMs: 60_000, refreshGraceMs: 0 }).start();
    try {
      short.addAccount("dan.test", "dann-dapp-pass-word");
      type Tokens = { accessJwt: string; refreshJwt: string };
      const call = (nsid: string, token: string, method = "GET") =>
        fetch(`${short.origin}/xrpc/${nsid}`, { method, headers: { Authorization: `Bearer ${token}` } }).then(async (r): Promise<[number, Tokens]> => [r.status, (await r.json()) as Tokens]);
      const s = await fetch(`${short.origin}/xrpc/com.atproto.server.createSession`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ identifier: "dan.test", password: "dann-dapp-pass-word" }) }).then((r) => r.json() as Promise<Tokens>);
      expect(decodeJwt(s.accessJwt).exp - decodeJwt(s.accessJwt).iat).toBe(60);
      short.advance(61_000);
      expect(await call("com.atproto.server.getSession", s.accessJwt)).toEqual([400, { error: "ExpiredToken", message: "Token has expired" }]);
      const [status, next] = await call("com.atproto.server.refreshSession", s.refreshJwt, "POST");
      expect(status).toBe(200);
      expect((await call("com.atproto.server.getSession", next.accessJwt))[0]).toBe(200);
      expect(await call("com.atproto.server.refreshSession", s.refreshJwt, "POST")).toEqual([400, { error: "ExpiredToken", message: "Token has been revoked" }]);
    } finally {
      await short.stop();
    }
  });

  it("within the grace period the old refresh token yields the same next token id", async () => {
    const s = await login();
    const a = await xrpc("com.atproto.server.refreshSession", { token: s.refreshJwt, raw: Buffer.alloc(0) });
    const b = await xrpc("com.atproto.server.refreshSession", { token: s.refreshJwt, raw: Buffer.alloc(0) });
    expect(decodeJwt(b.body.refreshJwt).jti).toBe(decodeJwt(a.body.refreshJwt).jti);
    fake.advance(2 * 3600_000 + 1000);
    const late = await xrpc("com.atproto.server.refreshSession", { token: s.refreshJwt, raw: Buffer.alloc(0) });
    expect([late.status, late.body]).toEqual([400, { error: "ExpiredToken", message: "Token has been revoked" }]);
  });

  it("deleteSession revokes the refresh token", async () => {
    const s = await login();
    expect((await xrpc("com.atproto.server.deleteSession", { token: s.refreshJwt, raw: Buffer.alloc(0) })).status).toBe(200);
    const after = await xrpc("com.atproto.server.refreshSession", { token: s.refreshJwt, raw: Buffer.alloc(0) });
    expect([after.status, after.body]).toEqual([400, { error: "ExpiredToken", message: "Token has been revoked" }]);
  });

  it("resolves handles", async () => {
    expect((await xrpc("com.atproto.identity.resolveHandle", { params: { handle: "alice.test" } })).body).toEqual({ did: aliceDid });
    const unknown = await xrpc("com.atproto.identity.resolveHandle", { params: { handle: "nobody.test" } });
    expect([unknown.status, unknown.body]).toEqual([400, { error: "InvalidRequest", message: "Unable to resolve handle" }]);
  });
});

describe("records", () => {
  let token: string;
  beforeEach(async () => {
    token = (await login()).accessJwt;
  });

  it("creates a post with a link facet, a mention and a reply, each byte-indexed", async () => {
    const bobPost = fake.postAs("bob.test", "root");
    const root = fake.records("bob.test", "app.bsky.feed.post")[0]!;
    const text = "héllo @bob.test see https://example.com";
    const bytes = (s: string) => Buffer.byteLength(s);
    const mentionAt = bytes("héllo ");
    const linkAt = bytes("héllo @bob.test see ");
    const facets = [
      { index: { byteStart: mentionAt, byteEnd: mentionAt + bytes("@bob.test") }, features: [{ $type: "app.bsky.richtext.facet#mention", did: fake.records("bob.test", "app.bsky.feed.post")[0]!.uri.split("/")[2] }] },
      { index: { byteStart: linkAt, byteEnd: linkAt + bytes("https://example.com") }, features: [{ $type: "app.bsky.richtext.facet#link", uri: "https://example.com" }] },
    ];
    const r = await post(token, { text, facets, reply: { root: { uri: root.uri, cid: root.cid }, parent: { uri: root.uri, cid: root.cid } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ uri: expect.stringMatching(new RegExp(`^at://${aliceDid}/app\\.bsky\\.feed\\.post/[2-7a-z]{13}$`)), cid: expect.stringMatching(/^bafyrei/), validationStatus: "valid", commit: { rev: expect.any(String) } });
    expect(fake.records("alice.test", "app.bsky.feed.post").map((x) => x.value.text)).toEqual([text]);
    expect(bobPost).toBe(root.uri);
  });

  it("refuses a record the Lexicon refuses", async () => {
    const long = await post(token, { text: "a".repeat(301) });
    expect([long.status, long.body]).toEqual([400, { error: "InvalidRequest", message: "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes" }]);
    expect((await post(token, { text: "a".repeat(300) })).status).toBe(200);
  });

  it("counts graphemes and bytes as the Lexicon does", async () => {
    const family = "👩‍👩‍👧‍👦"; // 1 grapheme, 25 bytes
    const tooManyBytes = await post(token, { text: family.repeat(121) });
    expect([tooManyBytes.status, tooManyBytes.body]).toEqual([400, { error: "InvalidRequest", message: "Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 characters" }]);
    expect((await post(token, { text: "é".repeat(300) })).status).toBe(200);
  });

  it("refuses facets with bad byte offsets or a bad DID, and a bad createdAt", async () => {
    const negative = await post(token, { text: "hello", facets: [{ index: { byteStart: -1, byteEnd: 3 }, features: [{ $type: "app.bsky.richtext.facet#link", uri: "https://a.b" }] }] });
    expect([negative.status, negative.body]).toEqual([400, { error: "InvalidRequest", message: "Invalid app.bsky.feed.post record: Record/facets/0/index/byteStart can not be less than 0" }]);
    const fractional = await post(token, { text: "hello", facets: [{ index: { byteStart: 0.5, byteEnd: 3 }, features: [{ $type: "app.bsky.richtext.facet#link", uri: "https://a.b" }] }] });
    expect(fractional.body).toEqual({ error: "InvalidRequest", message: "Invalid app.bsky.feed.post record: Record/facets/0/index/byteStart must be an integer" });
    const badDid = await post(token, { text: "hello", facets: [{ index: { byteStart: 0, byteEnd: 3 }, features: [{ $type: "app.bsky.richtext.facet#mention", did: "bob" }] }] });
    expect(badDid.body).toEqual({ error: "InvalidRequest", message: "Invalid app.bsky.feed.post record: Record/facets/0/features/0/did must be a valid did" });
    const badDate = await post(token, { text: "hi", createdAt: "yesterday" });
    expect(badDate.body).toEqual({ error: "InvalidRequest", message: "Invalid app.bsky.feed.post record: Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)" });
    expect(fake.records("alice.test", "app.bsky.feed.post")).toEqual([]);
  });

  it("accepts a facet past the end of the text, as the real PDS does, and facetProblems names it", async () => {
    const facets = [{ index: { byteStart: 0, byteEnd: 99 }, features: [{ $type: "app.bsky.richtext.facet#link", uri: "https://a.b" }] }];
    const r = await post(token, { text: "hi", facets });
    expect(r.status).toBe(200);
    expect(facetProblems(fake.records("alice.test", "app.bsky.feed.post")[0]!.value)).toEqual(["facet 0: byteEnd 99 is past the text's 2 bytes"]);
    // UTF-16 offsets where UTF-8 ones belong: "@" is at UTF-16 index 2 but byte 3, as "é" takes two bytes.
    const text = "é @bob.test";
    const utf16 = { text, facets: [{ index: { byteStart: text.indexOf("@"), byteEnd: text.length }, features: [{ $type: "app.bsky.richtext.facet#mention", did: aliceDid }] }] };
    expect(facetProblems(utf16)).toEqual(['facet 0: mention text " @bob.tes" does not start with @']);
    const utf8 = { text, facets: [{ index: { byteStart: Buffer.byteLength("é "), byteEnd: Buffer.byteLength(text) }, features: [{ $type: "app.bsky.richtext.facet#mention", did: aliceDid }] }] };
    expect(facetProblems(utf8)).toEqual([]);
  });

  it("refuses a duplicate rkey as the PDS does (500), so a retry reads the record back", async () => {
    const rkey = "3lbcdefghij22";
    const first = await post(token, { text: "once" }, { rkey });
    expect(first.status).toBe(200);
    expect(first.body.uri).toBe(`at://${aliceDid}/app.bsky.feed.post/${rkey}`);
    const again = await post(token, { text: "once" }, { rkey });
    expect([again.status, again.body]).toEqual([500, { error: "InternalServerError", message: "Internal Server Error" }]);
    const read = await xrpc("com.atproto.repo.getRecord", { params: { repo: aliceDid, collection: "app.bsky.feed.post", rkey } });
    expect(read.body).toEqual({ uri: first.body.uri, cid: first.body.cid, value: expect.objectContaining({ text: "once" }) });
    expect(fake.records("alice.test", "app.bsky.feed.post")).toHaveLength(1);
    const missing = await xrpc("com.atproto.repo.getRecord", { params: { repo: aliceDid, collection: "app.bsky.feed.post", rkey: "3lbcdefghij23" } });
    expect([missing.status, missing.body]).toEqual([400, { error: "RecordNotFound", message: `Could not locate record: at://${aliceDid}/app.bsky.feed.post/3lbcdefghij23` }]);
  });

  it("refuses an rkey that is not a TID for a tid-keyed collection, a wrong $type and another's repo", async () => {
    const key = await post(token, { text: "x" }, { rkey: "my-key" });
    expect([key.status, key.body]).toEqual([400, { error: "InvalidRequest", message: "Invalid record key for app.bsky.feed.post: must be a valid TID" }]);
    const type = await xrpc("com.atproto.repo.createRecord", { token, body: { repo: "alice.test", collection: "app.bsky.feed.post", record: { $type: "app.bsky.feed.like", text: "x", createdAt: new Date().toISOString() } } });
    expect(type.body).toEqual({ error: "InvalidRequest", message: "Invalid $type: expected app.bsky.feed.post, got app.bsky.feed.like" });
    const theirs = await xrpc("com.atproto.repo.createRecord", { token, body: { repo: "bob.test", collection: "app.bsky.feed.post", record: { text: "x", createdAt: new Date().toISOString() } } });
    expect([theirs.status, theirs.body]).toEqual([401, { error: "AuthenticationRequired", message: "Authentication Required" }]);
  });

  it("uploads a blob and embeds it; an unknown blob is refused", async () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
    const up = await xrpc("com.atproto.repo.uploadBlob", { token, raw: png, type: "image/png" });
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ blob: { $type: "blob", ref: { $link: expect.stringMatching(/^bafkrei[a-z2-7]+$/) }, mimeType: "image/png", size: png.length } });
    const embed = (blob: unknown) => ({ $type: "app.bsky.embed.images", images: [{ image: blob, alt: "a pixel" }] });
    const ok = await post(token, { text: "", embed: embed(up.body.blob) });
    expect(ok.status).toBe(200);
    const fake2 = { ...up.body.blob, ref: { $link: "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy" } };
    const missing = await post(token, { text: "", embed: embed(fake2) });
    expect([missing.status, missing.body]).toEqual([400, { error: "BlobNotFound", message: "Could not find blob: bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy" }]);
    const wrongSize = await post(token, { text: "", embed: embed({ ...up.body.blob, size: 1 }) });
    expect(wrongSize.body).toEqual({ error: "InvalidSize", message: `Referenced Size does not match stored blob. Expected: ${png.length}, Got: 1` });
  });

  it("likes and reposts; a second like of the same post replaces the first; deleteRecord removes it", async () => {
    const target = fake.postAs("bob.test", "like me");
    const cidOf = fake.records("bob.test", "app.bsky.feed.post")[0]!.cid;
    const like = () => xrpc("com.atproto.repo.createRecord", { token, body: { repo: aliceDid, collection: "app.bsky.feed.like", record: { subject: { uri: target, cid: cidOf }, createdAt: new Date().toISOString() } } });
    const first = await like();
    const second = await like();
    expect(second.status).toBe(200);
    expect(fake.records("alice.test", "app.bsky.feed.like").map((r) => r.uri)).toEqual([second.body.uri]);
    const repost = await xrpc("com.atproto.repo.createRecord", { token, body: { repo: aliceDid, collection: "app.bsky.feed.repost", record: { subject: { uri: target, cid: cidOf }, createdAt: new Date().toISOString() } } });
    expect(repost.status).toBe(200);
    const rkey = second.body.uri.split("/").pop();
    expect((await xrpc("com.atproto.repo.deleteRecord", { token, body: { repo: aliceDid, collection: "app.bsky.feed.like", rkey } })).body).toEqual({ commit: { cid: expect.any(String), rev: expect.any(String) } });
    expect((await xrpc("com.atproto.repo.deleteRecord", { token, body: { repo: aliceDid, collection: "app.bsky.feed.like", rkey } })).body).toEqual({});
    expect(fake.records("alice.test", "app.bsky.feed.like")).toEqual([]);
    expect(first.body.uri).not.toBe(second.body.uri);
  });
});

describe("timeline and notifications", () => {
  it("pages the timeline newest first with a cursor until an empty page", async () => {
    const uris = ["1", "2", "3", "4", "5"].map((t) => fake.postAs("bob.test", `post ${t}`));
    fake.postAs("carol.test", "not followed");
    const { accessJwt } = await login();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 4; i++) {
      const r = await xrpc("app.bsky.feed.getTimeline", { token: accessJwt, params: { limit: "2", ...(cursor ? { cursor } : {}) } });
      seen.push(...r.body.feed.map((f: { post: { uri: string } }) => f.post.uri));
      cursor = r.body.cursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...uris].reverse());
    expect(cursor).toBeUndefined();
    const tooBig = await xrpc("app.bsky.feed.getTimeline", { token: accessJwt, params: { limit: "101" } });
    expect([tooBig.status, tooBig.body]).toEqual([400, { error: "InvalidRequest", message: "limit can not be greater than 100" }]);
  });

  it("shows reposts with their reason and replies with their refs", async () => {
    const carolPost = fake.postAs("carol.test", "carol says");
    fake.repostAs("bob.test", carolPost);
    const reply = fake.postAs("bob.test", "answer", { replyTo: carolPost });
    const { accessJwt } = await login();
    const feed = (await xrpc("app.bsky.feed.getTimeline", { token: accessJwt })).body.feed;
    expect(feed[0]).toMatchObject({ post: { uri: reply }, reply: { parent: { $type: "app.bsky.feed.defs#postView", uri: carolPost }, root: { uri: carolPost } } });
    expect(feed[1]).toMatchObject({ post: { uri: carolPost, repostCount: 1, replyCount: 1 }, reason: { $type: "app.bsky.feed.defs#reasonRepost", by: { handle: "bob.test" } } });
  });

  it("notifies likes, reposts, follows, mentions, replies and quotes, filtered by reasons and marked read by updateSeen", async () => {
    const { accessJwt } = await login();
    const mine = (await post(accessJwt, { text: "mine" })).body.uri as string;
    fake.likeAs("bob.test", mine);
    fake.repostAs("bob.test", mine);
    fake.follow("carol.test", "alice.test");
    fake.postAs("carol.test", "hey", { mention: ["alice.test"] });
    fake.postAs("bob.test", "re", { replyTo: mine });
    fake.postAs("carol.test", "look", { quote: mine });
    fake.likeAs("alice.test", mine); // never a self-notification
    const all = await xrpc("app.bsky.notification.listNotifications", { token: accessJwt });
    expect(all.status).toBe(200);
    expect(all.body.notifications.map((n: { reason: string }) => n.reason)).toEqual(["quote", "reply", "mention", "follow", "repost", "like"]);
    expect(all.body.notifications[5]).toMatchObject({ reason: "like", reasonSubject: mine, author: { handle: "bob.test" }, isRead: false, record: { $type: "app.bsky.feed.like" } });

    const two = await xrpc("app.bsky.notification.listNotifications", { token: accessJwt, params: { reasons: ["mention", "reply"], limit: "1" } });
    expect(two.body.notifications.map((n: { reason: string }) => n.reason)).toEqual(["reply"]);
    const next = await xrpc("app.bsky.notification.listNotifications", { token: accessJwt, params: { reasons: ["mention", "reply"], limit: "1", cursor: two.body.cursor } });
    expect(next.body.notifications.map((n: { reason: string }) => n.reason)).toEqual(["mention"]);

    const seenAt = new Date(Date.now() + 1000).toISOString();
    expect((await xrpc("app.bsky.notification.updateSeen", { token: accessJwt, body: { seenAt } })).status).toBe(200);
    const after = await xrpc("app.bsky.notification.listNotifications", { token: accessJwt });
    expect(after.body.seenAt).toBe(seenAt);
    expect(after.body.notifications.every((n: { isRead: boolean }) => n.isRead)).toBe(true);
  });

  it("getProfile counts follows, followers and posts", async () => {
    fake.postAs("bob.test", "one");
    const { accessJwt } = await login();
    const r = await xrpc("app.bsky.actor.getProfile", { token: accessJwt, params: { actor: "bob.test" } });
    expect(r.body).toMatchObject({ handle: "bob.test", followersCount: 1, followsCount: 0, postsCount: 1, viewer: { following: expect.stringMatching(/^at:\/\//) } });
  });
});

describe("limits and outages", () => {
  it("sends RateLimit headers on every response and 429 RateLimitExceeded when forced", async () => {
    const a = await xrpc("com.atproto.identity.resolveHandle", { params: { handle: "alice.test" } });
    expect(a.headers.get("ratelimit-limit")).toBe("3000");
    expect(a.headers.get("ratelimit-remaining")).toBe("2999");
    expect(a.headers.get("ratelimit-policy")).toBe("3000;w=300");
    const reset = Number(a.headers.get("ratelimit-reset"));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 300);
    fake.limitNext(1);
    const limited = await xrpc("com.atproto.identity.resolveHandle", { params: { handle: "alice.test" } });
    expect([limited.status, limited.body]).toEqual([429, { error: "RateLimitExceeded", message: "Rate Limit Exceeded" }]);
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await xrpc("com.atproto.identity.resolveHandle", { params: { handle: "alice.test" } })).status).toBe(200);
  });

  it("answers 429 when the window is used up, until it resets", async () => {
    fake.exhaust();
    const r = await xrpc("com.atproto.identity.resolveHandle", { params: { handle: "alice.test" } });
    expect(r.status).toBe(429);
    fake.advance(300_000);
    expect((await xrpc("com.atproto.identity.resolveHandle", { params: { handle: "alice.test" } })).status).toBe(200);
  });

  it("answers 502 while down, then serves again; an unknown method is 501", async () => {
    fake.down();
    const r = await fetch(`${fake.origin}/xrpc/com.atproto.identity.resolveHandle?handle=alice.test`);
    expect([r.status, await r.text()]).toEqual([502, ""]);
    fake.up();
    expect((await xrpc("com.atproto.identity.resolveHandle", { params: { handle: "alice.test" } })).status).toBe(200);
    const unknown = await xrpc("app.bsky.unspecced.nothing");
    expect([unknown.status, unknown.body]).toEqual([501, { error: "MethodNotImplemented", message: "Method Not Implemented" }]);
  });
});

describe("the @atproto/api client", () => {
  it("logs in, posts with RichText facets, reads the timeline and refreshes after expiry", async () => {
    const { RichText } = await import("@atproto/api");
    const agent = new AtpAgent({ service: fake.origin });
    await agent.login({ identifier: "alice.test", password: "alic-eapp-pass-word" });
    const rt = new RichText({ text: "hi @bob.test → https://example.com/ü" });
    await rt.detectFacets(agent);
    const res = await agent.post({ text: rt.text, facets: rt.facets });
    const stored = fake.records("alice.test", "app.bsky.feed.post").find((r) => r.uri === res.uri)!;
    const facets = stored.value.facets as { index: { byteStart: number; byteEnd: number } }[];
    const slice = (f: (typeof facets)[number]) => Buffer.from(rt.text).subarray(f.index.byteStart, f.index.byteEnd).toString();
    expect(facets.map(slice)).toEqual(["@bob.test", "https://example.com/ü"]);
    fake.postAs("bob.test", "for the agent");
    fake.expireAccessTokens();
    const tl = await agent.getTimeline({ limit: 10 }); // ExpiredToken → the agent refreshes and retries
    expect(tl.data.feed.map((f) => (f.post.record as { text: string }).text)).toEqual(["for the agent", rt.text]);
    const notes = await agent.listNotifications();
    expect(notes.success).toBe(true);
  });
});
