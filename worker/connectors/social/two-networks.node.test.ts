// Two networks at once, as the link and the outbox will drive them: one down while the
// other still polls, and a post "To: mastodon, bluesky" where one fails, is retried alone,
// and nothing is posted twice (the fakes' statusesOf / records say what was written).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeBluesky } from "../../../test/support/fakes/bluesky";
import { FakeMastodon } from "../../../test/support/fakes/mastodon";
import { nodeIO } from "../../../test/support/node-io";
import { bluesky } from "../bluesky";
import { mastodon } from "../mastodon";
import type { Outbound, RemoteEvent, SendResult } from "../types";
import { TIMELINE_CHAT } from ".";

let masto: FakeMastodon;
let sky: FakeBluesky;
let mCreds: { instance: string; accessToken: string };
let bCreds: { identifier: string; appPassword: string; service: string };
let mio: ReturnType<typeof nodeIO>;
let bio: ReturnType<typeof nodeIO>;

beforeEach(async () => {
  masto = await new FakeMastodon().start();
  sky = await new FakeBluesky().start();
  mCreds = { instance: masto.origin, accessToken: masto.addAccount("alice", "Alice").token };
  masto.addAccount("bob");
  masto.follow("alice", "bob");
  sky.addAccount("alice.test", "alic-eapp-pass-word");
  sky.addAccount("bob.test", "bobb-bapp-pass-word");
  sky.follow("alice.test", "bob.test");
  bCreds = { identifier: "alice.test", appPassword: "alic-eapp-pass-word", service: sky.origin };
  mio = nodeIO("mastodon");
  bio = nodeIO("bluesky");
  expect((await mastodon.verify(mCreds, mio)).ok).toBe(true);
  expect((await bluesky.verify(bCreds, bio)).ok).toBe(true);
});
afterEach(async () => {
  await masto.stop();
  await sky.stop();
});

const texts = (events: RemoteEvent[]) => events.flatMap((e) => (e.type === "post" ? [e.post.text] : []));

describe("two networks", () => {
  it("polls one while the other is down, and the one that was down catches up when it is back", async () => {
    let m = await mastodon.poll(mCreds, mio, null);
    let b = await bluesky.poll(bCreds, bio, null);
    masto.postAs("bob", "toot while down");
    sky.postAs("bob.test", "skeet while the other is down");
    masto.down();
    const [mr, br] = await Promise.allSettled([mastodon.poll(mCreds, mio, m.cursor), bluesky.poll(bCreds, bio, b.cursor)]);
    expect(mr.status === "rejected" && (mr.reason as { kind: string }).kind).toBe("transient");
    expect(br.status === "fulfilled" && texts(br.value.events)).toEqual(["skeet while the other is down"]);
    if (br.status === "fulfilled") b = br.value;
    masto.up();
    m = await mastodon.poll(mCreds, mio, m.cursor);
    expect(texts(m.events)).toEqual(["toot while down"]);
    expect((await bluesky.poll(bCreds, bio, b.cursor)).events).toEqual([]);
  });

  it("posts to both: one succeeds with its link, one fails with its reason, the retry of that one succeeds, nothing twice", async () => {
    const body = { type: "text" as const, text: "hello from Unibox https://example.com" };
    const out = (network: string): Outbound => ({ key: `msg_1:${network}`, chat: TIMELINE_CHAT, body });
    sky.down();
    const first: Record<string, SendResult> = {
      mastodon: await mastodon.send!(mCreds, mio, out("mastodon")),
      bluesky: await bluesky.send!(bCreds, bio, out("bluesky")),
    };
    expect(first.mastodon).toMatchObject({ ok: true, url: expect.stringMatching(new RegExp(`^${masto.origin}/@alice/\\d+$`)) });
    expect(first.bluesky).toMatchObject({ ok: false, code: "remote_unavailable", retryable: true, message: expect.stringContaining("502") });

    sky.up();
    const retry = await bluesky.send!(bCreds, bio, out("bluesky"));
    expect(retry).toMatchObject({ ok: true, url: expect.stringMatching(/^https:\/\/bsky\.app\/profile\/alice\.test\/post\/[2-7a-z]{13}$/) });
    // The outbox may retry a target that had succeeded (its answer lost): still one post each.
    expect(await mastodon.send!(mCreds, mio, out("mastodon"))).toEqual(first.mastodon);
    expect(await bluesky.send!(bCreds, bio, out("bluesky"))).toEqual(retry);
    expect(masto.statusesOf("alice").map((s) => s.content)).toHaveLength(1);
    expect(sky.records("alice.test", "app.bsky.feed.post").map((r) => r.value.text)).toEqual([body.text]);
  });
});
