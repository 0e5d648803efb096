// The live /sync session against the fake homeserver: the first sync, messages while
// connected, catch-up from the cursor after a close (with a gap), rooms and contacts,
// encrypted rooms, a rate limit, a revoked token, and the homeserver going away.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RemoteError } from "../types";
import { ENCRYPTED_NOTICE } from "./session";
import { type World, messages, texts, world } from "./world.testing";

let w: World;

beforeEach(async () => {
  w = await world();
});

afterEach(() => w.stop());

const syncs = (w: World) => w.hs.requests.filter((r) => r.path === "/_matrix/client/v3/sync").length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the first sync", () => {
  it("brings the rooms, the contacts and only the latest event of each room, not the history", async () => {
    for (let i = 0; i < 5; i++) w.hs.say(w.bob, w.dm, `old ${i}`);
    const { rec } = await w.connect();
    expect(texts(rec.events)).toEqual(["old 4"]);
    expect(messages(rec.events)[0]).toMatchObject({
      chat: { id: w.bob, kind: "direct", title: "Bob" },
      sender: { id: w.bob, name: "Bob" },
      fromMe: false,
      remoteId: expect.stringMatching(/^\$.+\|!.+:hs\.test$/),
    });
    expect(rec.events).toContainEqual({ type: "contacts", contacts: [{ id: w.bob, name: "Bob" }] });
    expect(rec.cursor).toMatch(/^s\d+$/);
    expect(rec.states.at(-1)).toMatchObject({ state: "connected" });
  });

  it("names a group room by its name, an unnamed one by its members, and lists small rooms' members as contacts", async () => {
    const carol = w.hs.addUser("carol", "carol-pw", "Carol").userId;
    const team = w.hs.createRoom({ creator: w.bob, members: [w.me, carol], name: "Team" });
    const trio = w.hs.createRoom({ creator: carol, members: [w.me, w.bob] });
    w.hs.say(w.bob, team, "standup?");
    w.hs.say(carol, trio, "hi both");
    const { rec } = await w.connect();
    const chats = Object.fromEntries(messages(rec.events).map((m) => [m.chat.id, m.chat]));
    expect(chats[team]).toEqual({ id: team, kind: "group", title: "Team" });
    expect(chats[trio]).toEqual({ id: trio, kind: "group", title: "Carol, Bob" }); // m.heroes, in the order the server gives them
    expect(rec.events.find((e) => e.type === "contacts")).toEqual({ type: "contacts", contacts: [{ id: w.bob, name: "Bob" }, { id: carol, name: "Carol" }] });
  });
});

describe("while connected", () => {
  it("20 messages arrive in order, once each, and the cursor follows", async () => {
    const { rec } = await w.connect();
    const before = rec.events.length;
    for (let i = 0; i < 20; i++) {
      w.hs.say(w.bob, w.dm, `live ${i}`);
      if (i % 5 === 0) await sleep(5); // some in one sync answer, some in several
    }
    await rec.until(() => messages(rec.events.slice(before)).length >= 20);
    await sleep(100);
    const live = messages(rec.events.slice(before));
    expect(live.map((m) => (m.body as { text: string }).text)).toEqual(Array.from({ length: 20 }, (_, i) => `live ${i}`));
    expect(new Set(live.map((m) => m.remoteId)).size).toBe(20);
    // The cursor is past all of them: a sync from it has nothing new.
    const token = w.hs.tokenFor(w.me);
    const res = await fetch(`${w.hs.url}/_matrix/client/v3/sync?since=${rec.cursor}`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await res.json()) as { rooms: { join: object } }).rooms.join).toEqual({});
  });

  it("m.notice and m.emote are text; an edit is not a second message", async () => {
    const { rec } = await w.connect();
    const before = rec.events.length;
    w.hs.say(w.bob, w.dm, { msgtype: "m.notice", body: "build passed" });
    const first = w.hs.say(w.bob, w.dm, { msgtype: "m.emote", body: "waves" });
    w.hs.say(w.bob, w.dm, { msgtype: "m.text", body: "* waves twice", "m.new_content": { msgtype: "m.emote", body: "waves twice" }, "m.relates_to": { rel_type: "m.replace", event_id: first } });
    w.hs.say(w.bob, w.dm, "last");
    await rec.until(() => texts(rec.events.slice(before)).includes("last"));
    expect(texts(rec.events.slice(before))).toEqual(["build passed", "* Bob waves", "last"]);
  });
});

describe("catching up from the cursor", () => {
  it("20 messages sent while closed arrive once from `since`, none of the earlier ones again", async () => {
    const first = await w.connect();
    w.hs.say(w.bob, w.dm, "before close");
    await first.rec.until(() => texts(first.rec.events).includes("before close"));
    const started = Date.now();
    await first.session.close();
    expect(Date.now() - started).toBeLessThan(1000); // the long-poll is aborted, not waited out
    const after = syncs(w);
    for (let i = 0; i < 20; i++) w.hs.say(w.bob, w.dm, `while away ${i}`);
    await sleep(300);
    expect(syncs(w)).toBe(after); // closed means no more /sync from us

    const second = await w.connect(first.rec.cursor);
    expect(texts(second.rec.events)).toEqual(Array.from({ length: 20 }, (_, i) => `while away ${i}`));
    expect(second.rec.events).toContainEqual({ type: "contacts", contacts: [{ id: w.bob, name: "Bob" }] });
    expect(messages(second.rec.events)[0]!.chat).toEqual({ id: w.bob, kind: "direct", title: "Bob" });
  });

  it("a gap longer than one sync timeline is filled from /messages, in order, without duplicates", async () => {
    const first = await w.connect();
    await first.session.close();
    for (let i = 0; i < 130; i++) w.hs.say(w.bob, w.dm, `gap ${i}`);
    const second = await w.connect(first.rec.cursor);
    expect(texts(second.rec.events)).toEqual(Array.from({ length: 130 }, (_, i) => `gap ${i}`));
    expect(w.hs.requests.some((r) => r.path.endsWith("/messages"))).toBe(true);
  });
});

describe("encrypted rooms", () => {
  it("show one notice instead of ciphertext, once, also across reconnects", async () => {
    const secret = w.hs.createRoom({ creator: w.bob, members: [w.me], name: "Secret", encrypted: true });
    w.hs.say(w.bob, secret, "you cannot read this");
    const first = await w.connect();
    const notices = (events: typeof first.rec.events) => events.filter((e) => e.type === "notice");
    expect(notices(first.rec.events)).toEqual([{ type: "notice", chat: { id: secret, kind: "group", title: "Secret" }, ...ENCRYPTED_NOTICE, at: expect.any(Number) }]);
    expect(messages(first.rec.events).filter((m) => m.chat.id === secret)).toEqual([]);
    const before = first.rec.events.length;
    w.hs.say(w.bob, secret, "more ciphertext");
    w.hs.say(w.bob, w.dm, "plain");
    await first.rec.until(() => texts(first.rec.events).includes("plain"));
    expect(notices(first.rec.events.slice(before))).toEqual([]);
    await first.session.close();
    const second = await w.connect(first.rec.cursor);
    expect(notices(second.rec.events)).toEqual([]);
  });
});

describe("rate limits", () => {
  it("a 429 on the long-poll is waited out for retry_after_ms, then syncing goes on", async () => {
    const seen: { path: string; at: number; status: number }[] = [];
    const fetch = w.io.fetch;
    w.io.fetch = async (input, init) => {
      const res = await fetch(input, init);
      seen.push({ path: new URL(input).pathname, at: Date.now(), status: res.status });
      return res;
    };
    const { rec } = await w.connect();
    await w.polling();
    w.hs.limitNext(1, 1200);
    w.hs.say(w.bob, w.dm, "wakes the poll"); // its answer comes back, and the next /sync meets the 429
    await rec.until(() => seen.some((s) => s.status === 429));
    w.hs.say(w.bob, w.dm, "after the wait");
    await rec.until(() => texts(rec.events).includes("after the wait"));
    const limited = seen.findIndex((s) => s.status === 429);
    const next = seen.slice(limited + 1).find((s) => s.path.endsWith("/sync"))!;
    expect(next.at - seen[limited]!.at).toBeGreaterThanOrEqual(1190);
    expect(w.io.logs).toContainEqual({ event: "matrix.rate_limited", fields: { waitMs: 1200 } });
  });

  it("connect while limited throws rate_limited with the wait the homeserver asked for", async () => {
    await w.connect().then(({ session }) => session.close());
    w.hs.limitNext(1, 3000);
    const err = await w.connect().catch((e) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ kind: "rate_limited", retryAfterMs: 3000 });
  });
});

describe("the token", () => {
  const stored = (w: World) => (w.io.store.entries().session as { token: string } | undefined)?.token;

  it("revoked mid-session: the session ends with kind auth and the dead token is forgotten", async () => {
    const { session, rec } = await w.connect();
    w.hs.revoke(stored(w)!);
    w.hs.say(w.bob, w.dm, "wake up");
    const ended = await session.ended;
    expect(ended).toMatchObject({ kind: "auth", reason: expect.stringContaining("M_UNKNOWN_TOKEN") });
    expect(stored(w)).toBeUndefined();
    expect(texts(rec.events)).not.toContain("wake up");
  });

  it("soft-logged-out with a password: logs in again on the same device and goes on", async () => {
    const { session, rec } = await w.connect();
    const old = stored(w)!;
    w.hs.revoke(old, { softLogout: true });
    w.hs.say(w.bob, w.dm, "still here");
    await rec.until(() => texts(rec.events).includes("still here"));
    expect(stored(w)).not.toBe(old);
    const ended = await Promise.race([session.ended, sleep(200).then(() => "running")]);
    expect(ended).toBe("running");
  });

  it("soft-logged-out with a token the user brought: ended auth, since only the user can renew it", async () => {
    const token = w.hs.tokenFor(w.me);
    const creds = { homeserver: w.hs.url, accessToken: token };
    const { matrix } = await import("./index");
    const { recorder } = await import("../../../test/support/node-io");
    const rec = recorder();
    const session = await matrix.connect(creds, w.io, null, rec);
    w.hs.revoke(token, { softLogout: true });
    w.hs.say(w.bob, w.dm, "hello?");
    expect(await session.ended).toMatchObject({ kind: "auth" });
  });
});

describe("the homeserver going away", () => {
  it("down (502 from its proxy) ends the session as transient; while down connect fails transient; up again, connect catches up", async () => {
    const first = await w.connect();
    w.hs.down();
    expect(await first.session.ended).toMatchObject({ kind: "transient", reason: expect.stringContaining("502") });
    const err = await w.connect(first.rec.cursor).catch((e) => e);
    expect(err).toMatchObject({ kind: "transient" });
    w.hs.say(w.bob, w.dm, "said while you were cut off");
    w.hs.up();
    const second = await w.connect(first.rec.cursor);
    expect(texts(second.rec.events)).toEqual(["said while you were cut off"]);
  });

  it("connections refused outright are transient too", async () => {
    const first = await w.connect();
    w.hs.down("reset");
    expect(await first.session.ended).toMatchObject({ kind: "transient", reason: expect.stringContaining("cannot be reached") });
    w.hs.up();
    await expect(w.connect(first.rec.cursor)).resolves.toBeTruthy();
  });
});
