// A Matrix account bound through the real API under wrangler dev, against the spec fake
// (test/support/fakes/matrix.ts): /sync held as a long-poll only while the user is online,
// 20 messages live and 20 while away (arriving once, from next_batch), a reply with a
// picture, receipts both ways, a 429 obeyed, a revoked token shown as bad_credentials.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubEvent } from "../../../core/protocol";
import { bind, call, openPhone, type Phone, signUp, type Session } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { FakeMatrix } from "../../support/fakes/matrix";
import { pngOfSize } from "../../support/fakes/telegram-images";

let server: DevServer;
let hs: FakeMatrix;
let me: Session;
let phone: Phone;
let room: string;
let bob: string;
let accountId: string;
let conv: string;
const GRACE_S = 2;
type Msg = Extract<HubEvent, { type: "message" }>;
const texts = (evs: HubEvent[]) => evs.map((e) => ((e as Msg).msg.body as { text?: string }).text);
const fromBob = (e: HubEvent) => e.type === "message" && e.msg.from === bob;

beforeAll(async () => {
  hs = await new FakeMatrix({ serverName: "matrix.test" }).start();
  hs.addUser("alice", "alice password", "Alice");
  bob = hs.addUser("bob", "bob password", "Bob").userId;
  room = hs.createRoom({ creator: bob, members: ["@alice:matrix.test"], direct: true });
  server = await startDevServer({ vars: { PRESENCE_GRACE_SECONDS: String(GRACE_S) } });
  me = await signUp(server.url, "mxowner");
  phone = await openPhone(server.url, me);
});

afterAll(async () => {
  phone?.close();
  await server?.stop();
  await hs?.stop();
});

const syncsSince = (t: number) => hs.requests.filter((r) => r.path.includes("/sync")).length - t;

describe("a bound Matrix account", () => {
  it("refuses a wrong password and stores nothing", async () => {
    const res = await bind(server.url, me, "matrix", { homeserver: hs.url, user: "alice", password: "wrong" });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("bad_credentials");
    expect((await call(server.url, "/api/accounts", { token: me.token })).accounts).toEqual([]);
  });

  it("binds, syncs while the user is online, and takes 20 messages once each, in order", async () => {
    const res = await bind(server.url, me, "matrix", { homeserver: hs.url, user: "alice", password: "alice password" }, "Matrix");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    accountId = res.body.account.id;
    await phone.waitEvent((e) => e.type === "account.status" && e.account === accountId && e.state === "connected", 20_000, "connected");
    for (let i = 0; i < 20; i++) hs.say(bob, room, `live ${i}`);
    const got = await phone.waitEvents(fromBob, 20, 30_000, "live messages");
    expect(texts(got)).toEqual(Array.from({ length: 20 }, (_, i) => `live ${i}`));
    conv = (got[0] as Msg).conv;
    expect((got[0] as Msg).msg).toMatchObject({ source: accountId, name: "Bob" });
  });

  it("closes /sync when the user goes offline, and catches up the 20 sent meanwhile, once each", async () => {
    const seq = phone.lastSeq;
    phone.close();
    // Grace period, then the hub's alarm takes the user offline and the link closes /sync.
    await new Promise((r) => setTimeout(r, (GRACE_S + 4) * 1000));
    const before = syncsSince(0);
    await new Promise((r) => setTimeout(r, 2000));
    expect(syncsSince(before)).toBeLessThanOrEqual(1); // at most one request that was already on its way
    for (let i = 0; i < 20; i++) hs.say(bob, room, `away ${i}`);
    phone = await openPhone(server.url, me, seq);
    const got = await phone.waitEvents(fromBob, 20, 30_000, "caught-up messages");
    expect(texts(got)).toEqual(Array.from({ length: 20 }, (_, i) => `away ${i}`));
    // Nothing from before came twice: the whole history has each message once.
    const page = await call(server.url, `/api/conversations/${encodeURIComponent(conv)}/messages?limit=200`, { token: me.token });
    const all = texts(page.messages.map((m: unknown) => ({ type: "message", msg: m }) as unknown as HubEvent));
    expect(all.filter((t) => t?.startsWith("live "))).toHaveLength(20);
    expect(all.filter((t) => t?.startsWith("away "))).toHaveLength(20);
  });

  it("replies with a picture through the media repository, obeying a 429, and receipts go both ways", async () => {
    const upload = await fetch(`${server.url}/api/media`, { method: "POST", headers: { "Content-Type": "image/png", Authorization: `Bearer ${me.token}` }, body: pngOfSize(40, 30) });
    const { media } = (await upload.json()) as { media: { id: string } };
    hs.limitNext(1, 1200);
    phone.send({ t: "send", id: "mx-pic", to: { conv }, body: { type: "image", media: media.id, caption: "the plan" } });
    const sent = await phone.waitEvent<Extract<HubEvent, { type: "status" }>>((e) => e.type === "status" && e.state === "sent" && e.conv === conv, 30_000, "sent");
    const image = hs.timeline(room).find((e) => (e.content as { msgtype?: string })?.msgtype === "m.image") as { event_id: string; content: { url: string; body: string } };
    expect(image.content.url).toMatch(/^mxc:\/\/matrix\.test\//);
    expect(hs.media(image.content.url)?.contentType).toBe("image/png");
    // The echo of our own event did not come back as a second message.
    await new Promise((r) => setTimeout(r, 1000));
    expect(phone.events.filter((e) => e.type === "message" && e.msg.body.type === "image")).toHaveLength(1);

    // Bob reads it: our message goes to read.
    hs.readAs(bob, room, image.event_id);
    await phone.waitEvent((e) => e.type === "status" && e.state === "read" && e.msgIds.includes(sent.msgIds[0]!), 30_000, "read receipt");
    // We read Bob's last message: the homeserver gets our m.read.
    const last = phone.events.filter(fromBob).at(-1) as Msg;
    phone.send({ t: "read", conv, msgIds: [last.msg.id] });
    await waitUntil(() => hs.receipts(room).some((r) => r.userId === "@alice:matrix.test" && r.type === "m.read"));
  });

  it("shows a token revoked mid-session as bad_credentials, and stops retrying", async () => {
    const sessions = [...(hs as unknown as { hs: { sessions: Map<string, { token: string; userId: string }> } }).hs.sessions.values()];
    for (const s of sessions.filter((s) => s.userId === "@alice:matrix.test")) hs.revoke(s.token);
    hs.say(bob, room, "are you there?");
    const status = await phone.waitEvent<Extract<HubEvent, { type: "account.status" }>>((e) => e.type === "account.status" && e.account === accountId && e.state === "bad_credentials", 30_000, "bad_credentials");
    expect(status.action).toBeTruthy();
    const [account] = (await call(server.url, "/api/accounts", { token: me.token })).accounts;
    expect(account.state).toBe("bad_credentials");
    const syncs = syncsSince(0);
    await new Promise((r) => setTimeout(r, 3000));
    expect(syncsSince(syncs)).toBe(0);
  });
});

async function waitUntil(pred: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
