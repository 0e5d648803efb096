// Sending through the live session against the fake homeserver: transaction ids, the echo,
// pictures both ways through the media repository, receipts both ways, and failures.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pngOfSize } from "../../../test/support/fakes/telegram-images";
import type { Outbound } from "../types";
import { imageSize } from "./media";
import { type World, messages, texts, world } from "./world.testing";

let w: World;

beforeEach(async () => {
  w = await world();
});

afterEach(() => w.stop());

const text = (key: string, chat: string, t: string, replyTo?: string): Outbound => ({ key, chat, body: { type: "text", text: t }, ...(replyTo ? { replyTo } : {}) });

describe("send", () => {
  it("posts with txnId = out.key: a retry returns the same event and the room has it once; the echo carries echoOf", async () => {
    const { session, rec } = await w.connect();
    const first = await session.send(text("out-1", w.bob, "hello bob"));
    const retry = await session.send(text("out-1", w.bob, "hello bob"));
    expect(first).toEqual({ ok: true, remoteId: expect.stringMatching(/^\$/), at: expect.any(Number) });
    expect(retry).toEqual({ ...first, at: expect.any(Number) });
    const mine = w.hs.timeline(w.dm).filter((e) => e.sender === w.me && e.type === "m.room.message");
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ content: { msgtype: "m.text", body: "hello bob" } });
    await rec.until(() => texts(rec.events).includes("hello bob"));
    const echo = messages(rec.events).find((m) => m.echoOf === "out-1")!;
    expect(echo).toMatchObject({ remoteId: (first as { remoteId: string }).remoteId, fromMe: true, chat: { id: w.bob, kind: "direct" } });
  });

  it("a message from our user on another device is fromMe, with no echoOf", async () => {
    const { rec } = await w.connect();
    w.hs.say(w.me, w.dm, "typed on my phone");
    await rec.until(() => texts(rec.events).includes("typed on my phone"));
    const m = messages(rec.events).find((e) => e.fromMe)!;
    expect(m.echoOf).toBeUndefined();
  });

  it("replies with a picture: uploaded to the media repository, m.image with its mxc URI, info and the reply relation", async () => {
    const { session, rec } = await w.connect();
    w.hs.say(w.bob, w.dm, "send me the plan");
    await rec.until(() => texts(rec.events).includes("send me the plan"));
    const asked = messages(rec.events).find((m) => m.sender.id === w.bob && texts([m])[0] === "send me the plan")!;
    const png = pngOfSize(40, 30);
    const result = await session.send({
      key: "out-pic",
      chat: w.bob,
      body: { type: "image", media: "md_1", caption: "the plan" },
      media: { bytes: png, mime: "image/png", filename: "plan.png" },
      replyTo: asked.remoteId,
    });
    expect(result).toMatchObject({ ok: true });
    const sent = w.hs.timeline(w.dm).at(-1)! as { content: Record<string, any> };
    expect(sent.content).toEqual({
      msgtype: "m.image",
      body: "the plan",
      filename: "plan.png",
      url: expect.stringMatching(/^mxc:\/\/hs\.test\//),
      info: { mimetype: "image/png", size: png.byteLength, w: 40, h: 30 },
      "m.relates_to": { "m.in_reply_to": { event_id: asked.remoteId.split("|")[0] } },
    });
    expect(new Uint8Array(w.hs.media(sent.content.url)!.bytes)).toEqual(png);
    // The fake serves it back: our own echo comes in as an image stored in Unibox's media.
    await rec.until(() => messages(rec.events).some((m) => m.echoOf === "out-pic"));
    const echo = messages(rec.events).find((m) => m.echoOf === "out-pic")!;
    expect(echo.body).toEqual({ type: "image", media: expect.any(String), caption: "the plan" });
    expect(w.io.stored.get((echo.body as { media: string }).media)?.bytes).toEqual(png);
  });

  it("a picture someone sends is downloaded through the authenticated media endpoint into Unibox's media", async () => {
    const { rec } = await w.connect();
    const png = pngOfSize(8, 8);
    const mxc = w.hs.upload(png, "image/png", "cat.png");
    w.hs.say(w.bob, w.dm, { msgtype: "m.image", body: "cat.png", url: mxc, info: { mimetype: "image/png", size: png.byteLength } });
    await rec.until(() => messages(rec.events).some((m) => m.body.type === "image"));
    const m = messages(rec.events).find((e) => e.body.type === "image")!;
    expect(m.body).toEqual({ type: "image", media: expect.any(String) }); // body == filename: no caption
    expect(w.io.stored.get((m.body as { media: string }).media)).toMatchObject({ bytes: png, mime: "image/png" });
    expect(w.hs.requests.filter((r) => r.path.includes("/media/download/")).map((r) => [r.path.split("/").slice(0, 6).join("/"), r.token])).toEqual([["/_matrix/client/v1/media/download", "header"]]);
  });

  it("a picture whose media is gone shows its text fallback instead of failing the sync", async () => {
    const { rec } = await w.connect();
    w.hs.say(w.bob, w.dm, { msgtype: "m.image", body: "lost.png", url: "mxc://hs.test/doesnotexist" });
    w.hs.say(w.bob, w.dm, "after");
    await rec.until(() => texts(rec.events).includes("after"));
    expect(texts(rec.events).slice(-2)).toEqual(["[image] lost.png", "after"]);
  });

  it("refuses a chat with no room, and an email body, without calling the homeserver", async () => {
    const { session } = await w.connect();
    const before = w.hs.requests.length;
    expect(await session.send(text("k", "@nobody:hs.test", "hi"))).toMatchObject({ ok: false, code: "remote_refused", retryable: false });
    expect(await session.send({ key: "e", chat: w.bob, body: { type: "email", subject: "s", text: "t" } })).toMatchObject({ ok: false, code: "unsupported_body" });
    expect(w.hs.requests.slice(before).filter((r) => !r.path.endsWith("/sync"))).toEqual([]);
  });

  it("a 429 becomes rate_limited with the homeserver's wait; the retry with the same key then posts once", async () => {
    const { session } = await w.connect();
    await w.polling();
    w.hs.limitNext(1, 2500);
    expect(await session.send(text("k429", w.bob, "patience"))).toEqual({ ok: false, code: "rate_limited", message: expect.stringContaining("M_LIMIT_EXCEEDED"), retryable: true, retryAfterMs: 2500 });
    expect(await session.send(text("k429", w.bob, "patience"))).toMatchObject({ ok: true });
    expect(w.hs.timeline(w.dm).filter((e) => (e.content as { body?: string }).body === "patience")).toHaveLength(1);
  });

  it("a revoked token is remote_auth, a homeserver down is remote_unavailable and retryable", async () => {
    const { session } = await w.connect();
    await w.polling();
    w.hs.down();
    expect(await session.send(text("k1", w.bob, "x"))).toMatchObject({ ok: false, code: "remote_unavailable", retryable: true });
    w.hs.up();
    w.hs.revoke((w.io.store.entries().session as { token: string }).token);
    expect(await session.send(text("k2", w.bob, "x"))).toMatchObject({ ok: false, code: "bad_credentials", retryable: false });
  });
});

describe("receipts", () => {
  it("their m.read at our message comes as a read receipt for the remoteId send returned", async () => {
    const { session, rec } = await w.connect();
    const sent = (await session.send(text("r1", w.bob, "did you read this?"))) as { remoteId: string };
    await rec.until(() => messages(rec.events).some((m) => m.echoOf === "r1"));
    w.hs.readAs(w.bob, w.dm, sent.remoteId.split("|")[0]!);
    await rec.until(() => rec.events.some((e) => e.type === "receipt"));
    expect(rec.events.filter((e) => e.type === "receipt")).toEqual([{ type: "receipt", chat: w.bob, remoteIds: [sent.remoteId], state: "read", by: w.bob, at: expect.any(Number) }]);
  });

  it("a receipt at a later message of theirs covers all of ours before it", async () => {
    const { session, rec } = await w.connect();
    const a = (await session.send(text("a", w.bob, "one"))) as { remoteId: string };
    const b = (await session.send(text("b", w.bob, "two"))) as { remoteId: string };
    const reply = w.hs.say(w.bob, w.dm, "got both");
    await rec.until(() => texts(rec.events).includes("got both"));
    w.hs.readAs(w.bob, w.dm, reply);
    await rec.until(() => rec.events.some((e) => e.type === "receipt"));
    expect(rec.events.find((e) => e.type === "receipt")).toMatchObject({ remoteIds: [a.remoteId, b.remoteId] });
  });

  it("markRead posts our m.read at the newest of the given messages", async () => {
    const { session, rec } = await w.connect();
    w.hs.say(w.bob, w.dm, "first");
    w.hs.say(w.bob, w.dm, "second");
    await rec.until(() => texts(rec.events).includes("second"));
    const theirs = messages(rec.events).filter((m) => m.sender.id === w.bob).map((m) => m.remoteId);
    await session.markRead!(w.bob, theirs);
    const newest = theirs.at(-1)!.split("|")[0];
    expect(w.hs.receipts(w.dm)).toContainEqual(expect.objectContaining({ userId: w.me, type: "m.read", eventId: newest }));
    expect(w.hs.requests.filter((r) => r.path.includes("/receipt/"))).toHaveLength(1);
  });
});

describe("imageSize", () => {
  it("reads PNG, GIF and JPEG dimensions from their headers", () => {
    expect(imageSize(pngOfSize(7, 3))).toEqual({ w: 7, h: 3 });
    const gif = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 5, 0, 9, 0, 0, 0, 0]);
    expect(imageSize(gif)).toEqual({ w: 5, h: 9 });
    // SOI, an APP0 segment of length 4, then SOF0 with height 0x0102 and width 0x0304.
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 1, 2, 3, 4, 1, 0, 0, 0]);
    expect(imageSize(jpeg)).toEqual({ w: 0x0304, h: 0x0102 });
    expect(imageSize(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});
