// The Telegram connector against the fake Bot API (test/support/fakes/telegram.ts), which
// delivers updates to a webhook as Telegram does. The test's webhook server stands in for the
// AccountLink: it checks the secret header with checkSecret and hands the request to handle().
import { type IncomingMessage, type Server, createServer } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeTelegram, pngOfSize, startFakeTelegram } from "../../../test/support/fakes/telegram";
import { type NodeIO, nodeIO } from "../../../test/support/node-io";
import type { RemoteEvent } from "../types";
import { type TelegramCreds, telegram } from "./index";
import { SECRET_KEY, checkSecret } from "./secret";

let tg: FakeTelegram;
let hook: Server;
let io: NodeIO;
let creds: TelegramCreds;
let events: RemoteEvent[];
let answers: number[];

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeEach(async () => {
  tg = await startFakeTelegram({ allowLoopbackHttp: true, webhookRetryMs: 200 });
  events = [];
  answers = [];
  // The link's side of /hooks/telegram/<account>: 401 on a wrong secret, else handle() and 200.
  hook = createServer(async (req, res) => {
    const raw = await body(req);
    const got = req.headers["x-telegram-bot-api-secret-token"];
    if (!checkSecret(io.store.get<string>(SECRET_KEY), typeof got === "string" ? got : undefined)) {
      answers.push(401);
      return void res.writeHead(401).end();
    }
    const request = new Request(`http://127.0.0.1${req.url}`, { method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": got as string }, body: new Uint8Array(raw) });
    try {
      events.push(...(await telegram.webhook.handle(creds, io, request)));
      answers.push(200);
      res.writeHead(200).end();
    } catch {
      answers.push(500);
      res.writeHead(500).end();
    }
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  const publicUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}`;
  io = nodeIO("telegram", { config: { TELEGRAM_API_ROOT: tg.apiRoot }, publicUrl });
  creds = telegram.credentials.parse({ token: tg.addBot("unibox_test_bot").token });
});

afterEach(async () => {
  await tg.stop();
  hook.closeAllConnections();
  await new Promise((r) => hook.close(r));
});

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out; events: ${JSON.stringify(events).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const messages = () => events.filter((e): e is Extract<RemoteEvent, { type: "message" }> => e.type === "message");
const ann = { type: "private" as const };

describe("verify", () => {
  it("getMe: a good token names the bot", async () => {
    expect(await telegram.verify(creds, io)).toEqual({ ok: true, remote: { id: "@unibox_test_bot", name: "unibox_test" } });
  });

  it("a revoked or unknown token is bad_credentials; a token not shaped like one is refused by the form", async () => {
    const unknown = telegram.credentials.parse({ token: `123456:${"A".repeat(35)}` });
    expect(await telegram.verify(unknown, io)).toEqual({ ok: false, code: "bad_credentials", message: expect.stringContaining("Unauthorized") });
    expect(telegram.credentials.safeParse({ token: "not-a-token" }).success).toBe(false);
    expect(telegram.credentials.safeParse({ token: creds.token, apiRoot: "http://evil" }).success).toBe(false);
  });

  it("Telegram down is unreachable", async () => {
    tg.down("reset");
    expect(await telegram.verify(creds, io)).toMatchObject({ ok: false, code: "unreachable" });
  });

  it("the API root is server configuration: without it the connector goes to api.telegram.org", async () => {
    const bare = nodeIO("telegram", { allowPrivate: "" });
    const seen: string[] = [];
    bare.fetch = async (input) => {
      seen.push(new URL(input).origin);
      throw new TypeError("fetch failed");
    };
    expect(await telegram.verify(creds, bare)).toMatchObject({ ok: false, code: "unreachable" });
    expect(seen).toEqual(["https://api.telegram.org"]);
  });
});

describe("the webhook", () => {
  it("bound sets it to this account's hook with a random secret kept in the store, for the updates we read", async () => {
    await telegram.bound!(creds, io);
    const set = tg.webhook(creds.token);
    expect(set.url).toBe(`${io.publicUrl}/hooks/telegram/${io.account.id}`);
    expect(set.secretToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(io.store.get(SECRET_KEY)).toBe(set.secretToken);
    expect(set.allowedUpdates).toEqual(["message", "channel_post"]);
    expect(set.info.max_connections).toBe(1);
    await telegram.bound!(creds, io);
    expect(tg.webhook(creds.token).secretToken).not.toBe(set.secretToken);
  });

  it("20 updates become 20 message events, in order, with the chat and sender", async () => {
    await telegram.bound!(creds, io);
    for (let i = 0; i < 20; i++) tg.userSays(creds.token, { chat: ann, text: `hello ${i}` });
    await until(() => messages().length === 20);
    expect(messages().map((m) => (m.body as { text: string }).text)).toEqual(Array.from({ length: 20 }, (_, i) => `hello ${i}`));
    expect(new Set(messages().map((m) => m.remoteId)).size).toBe(20);
    expect(messages()[0]).toEqual({
      type: "message",
      chat: { id: "100000001", kind: "direct", title: "Ann" },
      remoteId: "100000001:1",
      sender: { id: "100000001", name: "Ann" },
      fromMe: false,
      body: { type: "text", text: "hello 0" },
      at: expect.any(Number),
    });
  });

  it("a group message is a group chat by its title", async () => {
    await telegram.bound!(creds, io);
    tg.userSays(creds.token, { chat: { type: "supergroup", title: "Climbing" }, from: { id: 42, first_name: "Bo", last_name: "Lind" }, text: "Saturday?" });
    await until(() => messages().length === 1);
    expect(messages()[0]).toMatchObject({ chat: { id: "-1001000000001", kind: "group", title: "Climbing" }, sender: { id: "42", name: "Bo Lind" } });
  });

  it("a photo arrives as media with its caption (getFile, then the file download)", async () => {
    await telegram.bound!(creds, io);
    const png = pngOfSize(64, 48);
    tg.userSays(creds.token, { chat: ann, photo: png, caption: "our tent" });
    await until(() => messages().length === 1);
    const m = messages()[0]!;
    expect(m.body).toEqual({ type: "image", media: expect.any(String), caption: "our tent" });
    expect(io.stored.get((m.body as { media: string }).media)).toMatchObject({ bytes: new Uint8Array(png), mime: "image/png" });
  });

  it("a channel post is a group message from the channel; updates we did not ask for (edits) give nothing", async () => {
    await telegram.bound!(creds, io);
    const headers = { "x-telegram-bot-api-secret-token": io.store.get<string>(SECRET_KEY)! };
    const channel = { id: -1002000000002, type: "channel", title: "News" };
    const post = { update_id: 1, channel_post: { message_id: 7, date: 1_700_000_000, chat: channel, sender_chat: channel, text: "new release" } };
    const deliver = (update: unknown) => telegram.webhook.handle(creds, io, new Request("http://127.0.0.1/hooks", { method: "POST", headers, body: JSON.stringify(update) }));
    expect(await deliver(post)).toEqual([
      { type: "message", chat: { id: "-1002000000002", kind: "group", title: "News" }, remoteId: "-1002000000002:7", sender: { id: "-1002000000002", name: "News" }, fromMe: false, body: { type: "text", text: "new release" }, at: 1_700_000_000_000 },
    ]);
    expect(await deliver({ update_id: 2, edited_message: { ...post.channel_post, text: "edited" } })).toEqual([]);
  });

  it("a text update is handled without any call to Telegram", async () => {
    await telegram.bound!(creds, io);
    const before = tg.requests.length;
    tg.userSays(creds.token, { chat: ann, text: "quick" });
    await until(() => messages().length === 1);
    expect(tg.requests.slice(before)).toEqual([]);
  });

  it("a delivery with a wrong secret gets 401 and stays pending at Telegram; handle() refuses it too", async () => {
    await telegram.bound!(creds, io);
    io.store.put(SECRET_KEY, "someone-elses-secret");
    tg.userSays(creds.token, { chat: ann, text: "spoofed?" });
    await until(() => answers.includes(401));
    expect(events).toEqual([]);
    expect(tg.webhook(creds.token).info).toMatchObject({ pending_update_count: 1, last_error_message: expect.stringContaining("401") });
    const forged = new Request("http://127.0.0.1/hooks/telegram/x", { method: "POST", headers: { "x-telegram-bot-api-secret-token": "nope" }, body: "{}" });
    await expect(telegram.webhook.handle(creds, io, forged)).rejects.toThrow("secret");
  });

  it("unbound deletes the webhook and forgets the secret", async () => {
    await telegram.bound!(creds, io);
    await telegram.unbound!(creds, io);
    expect(tg.webhook(creds.token).url).toBeUndefined();
    expect(io.store.get(SECRET_KEY)).toBeUndefined();
  });
});

describe("send", () => {
  async function conversation(): Promise<Extract<RemoteEvent, { type: "message" }>> {
    await telegram.bound!(creds, io);
    tg.userSays(creds.token, { chat: ann, text: "can you send the map?" });
    await until(() => messages().length === 1);
    return messages()[0]!;
  }

  it("replies with text (reply_parameters), and a retry of the same key does not post twice", async () => {
    const asked = await conversation();
    const out = { key: "out-1", chat: asked.chat.id, body: { type: "text" as const, text: "here it comes" }, replyTo: asked.remoteId };
    const first = await telegram.send(creds, io, out);
    expect(first).toEqual({ ok: true, remoteId: `${asked.chat.id}:2`, at: expect.any(Number) });
    expect(await telegram.send(creds, io, out)).toEqual(first);
    const sent = tg.sent(creds.token);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: "sendMessage", message: { text: "here it comes", reply_to_message: { message_id: 1 } } });
  });

  it("replies with a photo: a multipart upload of the bytes, with the caption", async () => {
    const asked = await conversation();
    const png = pngOfSize(120, 80);
    const result = await telegram.send(creds, io, {
      key: "out-photo",
      chat: asked.chat.id,
      body: { type: "image", media: "md_x", caption: "the map" },
      media: { bytes: png, mime: "image/png", filename: "map.png" },
      replyTo: asked.remoteId,
    });
    expect(result).toMatchObject({ ok: true });
    const sent = tg.sent(creds.token).at(-1)!;
    expect(sent).toMatchObject({ method: "sendPhoto", message: { caption: "the map", reply_to_message: { message_id: 1 } } });
    expect(new Uint8Array(sent.photo!)).toEqual(png);
  });

  it("a 429 is rate_limited with retry_after, and the retry afterwards goes through once", async () => {
    const asked = await conversation();
    tg.limitNext(creds.token, 1, 3);
    const out = { key: "k429", chat: asked.chat.id, body: { type: "text" as const, text: "later" } };
    expect(await telegram.send(creds, io, out)).toEqual({ ok: false, code: "rate_limited", message: expect.stringContaining("Too Many Requests"), retryable: true, retryAfterMs: 3000 });
    expect(await telegram.send(creds, io, out)).toMatchObject({ ok: true });
    expect(tg.sent(creds.token)).toHaveLength(1);
  });

  it("an unknown chat is remote_refused with Telegram's words; a bad token remote_auth; Telegram down remote_unavailable", async () => {
    await conversation();
    expect(await telegram.send(creds, io, { key: "a", chat: "999", body: { type: "text", text: "x" } })).toEqual({ ok: false, code: "remote_refused", message: "sendMessage: Bad Request: chat not found", retryable: false });
    const revoked = { token: `123456:${"B".repeat(35)}` };
    expect(await telegram.send(revoked, io, { key: "b", chat: "1", body: { type: "text", text: "x" } })).toMatchObject({ ok: false, code: "bad_credentials", retryable: false });
    tg.down();
    expect(await telegram.send(creds, io, { key: "c", chat: "1", body: { type: "text", text: "x" } })).toMatchObject({ ok: false, code: "remote_unavailable", retryable: true });
  });

  it("refuses bodies Telegram cannot take yet, and text over 4096 characters, without calling it", async () => {
    const before = tg.requests.length;
    expect(await telegram.send(creds, io, { key: "v", chat: "1", body: { type: "video", media: "md" } })).toMatchObject({ ok: false, code: "unsupported_body" });
    expect(await telegram.send(creds, io, { key: "t", chat: "1", body: { type: "text", text: "x".repeat(4097) } })).toMatchObject({ ok: false, code: "remote_refused" });
    expect(tg.requests.length).toBe(before);
    expect(telegram.limits.textChars).toBe(4096);
  });
});

describe("checkSecret", () => {
  it("matches only the same secret", () => {
    expect(checkSecret("abc-123_XYZ", "abc-123_XYZ")).toBe(true);
    expect(checkSecret("abc-123_XYZ", "abc-123_XYz")).toBe(false);
    expect(checkSecret("abc-123_XYZ", "abc-123_XY")).toBe(false);
    expect(checkSecret("abc", "abcd")).toBe(false);
    expect(checkSecret("abc", "")).toBe(false);
    expect(checkSecret("abc", null)).toBe(false);
    expect(checkSecret(undefined, "abc")).toBe(false);
    expect(checkSecret("", "")).toBe(false);
  });
});
