// Posting by naming the network, under wrangler dev against the Mastodon and Bluesky fakes:
// one `broadcast` to both where Bluesky refuses (one link, one reason), a retry of that one
// after a server restart that lands once, an unknown name answered with the user's networks,
// an over-long text split into a thread or refused as too long, and reply / boost / like on
// posts of the feed. The fakes' statusesOf / records say what was written: nothing twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubEvent, Post, ServerFrame } from "../../../core/protocol";
import { bind, call, openPhone, type Phone, type Session, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { CONTENT_TYPES, FeedServer, rss } from "../../support/feed-server";
import { FakeBluesky } from "../../support/fakes/bluesky";
import { FakeMastodon } from "../../support/fakes/mastodon";

let server: DevServer;
let masto: FakeMastodon;
let sky: FakeBluesky;
let feeds: FeedServer;
let me: Session;
let phone: Phone;

type Ev<T extends HubEvent["type"]> = Extract<HubEvent, { type: T }>;
const POST = "app.bsky.feed.post";

beforeAll(async () => {
  masto = await new FakeMastodon().start();
  sky = await new FakeBluesky().start();
  feeds = await new FeedServer().start();
  server = await startDevServer({ vars: { POLL_EVERY_MS: "300" } });
  me = await signUp(server.url, "poster");
  masto.addAccount("bob", "Bob");
  const alice = masto.addAccount("alice", "Alice");
  masto.follow("alice", "bob");
  sky.addAccount("alice.test", "alic-eapp-pass-word");
  sky.addAccount("bob.test", "bobb-bapp-pass-word");
  sky.follow("alice.test", "bob.test");
  feeds.set("/f.xml", rss({ title: "Blog", link: feeds.url("/") }, [{ id: "1", link: feeds.url("/1"), title: "One", content: "x", date: new Date() }]), CONTENT_TYPES.rss);
  for (const [network, creds] of [
    ["mastodon", { instance: masto.origin, accessToken: alice.token }],
    ["bluesky", { identifier: "alice.test", appPassword: "alic-eapp-pass-word", service: sky.origin }],
    ["feed", { url: feeds.url("/f.xml") }],
  ] as const) {
    const res = await bind(server.url, me, network, creds);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  phone = await openPhone(server.url, me);
});

afterAll(async () => {
  phone?.close();
  await server?.stop();
  await masto?.stop();
  await sky?.stop();
  await feeds?.stop();
});

const ownStatuses = () => masto.statusesOf("alice").filter((s) => !s.reblog);
const skeets = () => sky.records("alice.test", POST);
async function frame<T extends ServerFrame["t"]>(pred: (f: ServerFrame) => boolean, timeoutMs = 15_000): Promise<Extract<ServerFrame, { t: T }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = phone.frames.find(pred);
    if (f) return f as Extract<ServerFrame, { t: T }>;
    if (Date.now() > deadline) throw new Error(`no such frame; last: ${JSON.stringify(phone.frames.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const broadcastStatus = (id: string, target: number, state: string) => (ev: HubEvent) => ev.type === "broadcast.status" && ev.id === id && ev.target === target && ev.state === state;
const feed = async () => ((await call(server.url, "/api/feed?limit=200", { token: me.token })) as { posts: Post[] }).posts;
const act = (id: string, action: string) => fetch(`${server.url}/api/feed/${id}/${action}`, { method: "POST", headers: { Authorization: `Bearer ${me.token}` } });

describe("posting by network name under wrangler dev", () => {
  it("an unknown name is refused with the user's networks", async () => {
    phone.send({ t: "send", id: "c-unknown", to: { network: "myspace" }, body: { type: "text", text: "hi" } });
    const err = await frame<"error">((f) => f.t === "error" && f.id === "c-unknown");
    expect(err.code).toBe("unknown_network");
    expect(err.message).toContain("mastodon, bluesky, feed");
  });

  it("one broadcast to both: one link, one reason; the failed one retried alone after a restart lands once", async () => {
    sky.down({ status: 400 }); // refuses outright: failed at once, not retried by the outbox
    const text = "hello from Unibox https://example.com";
    phone.send({ t: "broadcast", id: "b-1", to: [{ network: "mastodon" }, { network: "bluesky" }], body: { type: "text", text } });
    const accepted = await frame<"accepted">((f) => f.t === "accepted" && f.id === "b-1");
    expect(accepted.targets).toHaveLength(2);
    const [mTarget, bTarget] = accepted.targets!;
    const sent = await phone.waitEvent<Ev<"broadcast.status">>(broadcastStatus("b-1", 0, "sent"));
    expect(sent.url).toMatch(new RegExp(`^${masto.origin}/@alice/\\d+$`));
    const failed = await phone.waitEvent<Ev<"broadcast.status">>(broadcastStatus("b-1", 1, "failed"));
    expect(failed).toMatchObject({ code: "remote_refused", reason: expect.stringContaining("400"), msgId: bTarget!.msgId });
    // The message's own status says the same, in its conversation on the account.
    expect(phone.events.find((e) => e.type === "status" && e.msgIds.includes(mTarget!.msgId!) && e.state === "sent")).toMatchObject({ url: sent.url });

    // The server restarts; the network is back; the user retries the failed one.
    phone.close();
    await server.restart();
    sky.up();
    phone = await openPhone(server.url, me);
    phone.send({ t: "retry", msgId: bTarget!.msgId });
    const retried = await phone.waitEvent<Ev<"broadcast.status">>(broadcastStatus("b-1", 1, "sent"));
    expect(retried.url).toMatch(/^https:\/\/bsky\.app\/profile\/alice\.test\/post\/[2-7a-z]{13}$/);
    // A retry of the one that went is refused; the broadcast again changes nothing.
    phone.send({ t: "retry", msgId: mTarget!.msgId });
    expect((await frame<"error">((f) => f.t === "error" && f.code === "not_retryable")).code).toBe("not_retryable");
    phone.send({ t: "broadcast", id: "b-1", to: [{ network: "mastodon" }, { network: "bluesky" }], body: { type: "text", text } });
    await new Promise((r) => setTimeout(r, 1500));
    expect(ownStatuses().map((s) => s.content)).toHaveLength(1);
    expect(skeets().map((r) => r.value.text)).toEqual([text]);
    // Each network's own post shows in the feed once, even after the timelines bring them back.
    await new Promise((r) => setTimeout(r, 1000));
    const own = (await feed()).filter((p) => p.text === text);
    expect(own.map((p) => p.network).sort()).toEqual(["bluesky", "mastodon"]);
  });

  it("an over-long text: a thread when asked, refused as too long when not", async () => {
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" "); // 409 graphemes
    phone.send({ t: "send", id: "c-long", to: { network: "bluesky" }, body: { type: "text", text: long } });
    const acc = await frame<"accepted">((f) => f.t === "accepted" && f.id === "c-long");
    const refused = await phone.waitEvent<Ev<"status">>((e) => e.type === "status" && e.msgIds.includes(acc.msgId) && e.state === "failed");
    expect(refused.code).toBe("too_long");
    phone.send({ t: "send", id: "c-thread", to: { network: "bluesky", split: true }, body: { type: "text", text: long } });
    const thread = await frame<"accepted">((f) => f.t === "accepted" && f.id === "c-thread");
    await phone.waitEvent((e) => e.type === "status" && e.msgIds.includes(thread.msgId) && e.state === "sent");
    const parts = skeets().slice(1);
    expect(parts).toHaveLength(2);
    expect(parts.map((p) => p.value.text as string)).toEqual([expect.stringMatching(/ 1\/2$/), expect.stringMatching(/ 2\/2$/)]);
    expect((parts[1]!.value.reply as { parent: { uri: string } }).parent.uri).toBe(parts[0]!.uri);
    // A thread that failed is retried as a thread (its options are kept with the message).
    sky.down({ status: 400 });
    phone.send({ t: "send", id: "c-thread-2", to: { network: "bluesky", split: true }, body: { type: "text", text: `${long} again` } });
    const again = await frame<"accepted">((f) => f.t === "accepted" && f.id === "c-thread-2");
    await phone.waitEvent((e) => e.type === "status" && e.msgIds.includes(again.msgId) && e.state === "failed");
    sky.up();
    phone.send({ t: "retry", msgId: again.msgId });
    await phone.waitEvent((e) => e.type === "status" && e.msgIds.includes(again.msgId) && e.state === "sent");
    const retried = skeets().slice(3);
    expect(retried.map((p) => (p.value.text as string).slice(-4))).toEqual([" 1/2", " 2/2"]);
    expect((retried[1]!.value.reply as { parent: { uri: string } }).parent.uri).toBe(retried[0]!.uri);
    // Mastodon takes the same text whole (500, a URL counting 23).
    phone.send({ t: "send", id: "c-long-m", to: { network: "mastodon", split: true }, body: { type: "text", text: long } });
    const whole = await frame<"accepted">((f) => f.t === "accepted" && f.id === "c-long-m");
    await phone.waitEvent((e) => e.type === "status" && e.msgIds.includes(whole.msgId) && e.state === "sent");
    expect(ownStatuses()).toHaveLength(2);
  });

  it("reply, boost and like on posts of the feed; a feed entry has none of them", async () => {
    const toot = masto.postAs("bob", "a toot to act on");
    const skeetUri = sky.postAs("bob.test", "a skeet to like");
    const deadline = Date.now() + 20_000;
    let posts = await feed();
    while (!(posts.some((p) => p.remoteId === toot.id) && posts.some((p) => p.remoteId === skeetUri))) {
      if (Date.now() > deadline) throw new Error("the posts never came");
      await new Promise((r) => setTimeout(r, 300));
      posts = await feed();
    }
    const tootPost = posts.find((p) => p.remoteId === toot.id)!;
    const skeetPost = posts.find((p) => p.remoteId === skeetUri)!;

    phone.send({ t: "send", id: "c-reply", to: { post: tootPost.id }, body: { type: "text", text: "@bob nice one" } });
    const reply = await frame<"accepted">((f) => f.t === "accepted" && f.id === "c-reply");
    await phone.waitEvent((e) => e.type === "status" && e.msgIds.includes(reply.msgId) && e.state === "sent");
    expect(ownStatuses().find((s) => s.in_reply_to_id === toot.id)?.content).toContain("nice one");

    const boost = await act(tootPost.id, "boost");
    expect(boost.status).toBe(200);
    expect(((await boost.json()) as { url?: string }).url).toBe(toot.url);
    expect(masto.statusesOf("alice").filter((s) => s.reblog?.id === toot.id)).toHaveLength(1);
    for (let i = 0; i < 2; i++) expect((await act(skeetPost.id, "like")).status).toBe(200);
    expect(sky.records("alice.test", "app.bsky.feed.like").map((r) => (r.value.subject as { uri: string }).uri)).toEqual([skeetUri]);
    await phone.waitEvent((e) => e.type === "post.acted" && e.post === tootPost.id && e.action === "boost");
    const after = await feed();
    expect(after.find((p) => p.id === tootPost.id)).toMatchObject({ boosted: true });
    expect(after.find((p) => p.id === skeetPost.id)).toMatchObject({ liked: true });

    const entry = after.find((p) => p.network === "feed")!;
    const refused = await act(entry.id, "like");
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("unsupported_action");
    expect((await act("p_nosuchpost", "boost")).status).toBe(404);
  });
});
