// The fake Telegram Bot API, driven over real HTTP the way a bot drives api.telegram.org:
// what it serves and, for each part, what it refuses, with the exact status and envelope.
import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import type { Message, Update } from "@grammyjs/types";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeTelegram, pngOfSize, startFakeTelegram } from "../../support/fakes/telegram";

type Reply = { status: number; body: any; headers: Headers };

let tg: FakeTelegram;
let token: string;
let botId: number;

async function api(method: string, params?: Record<string, unknown>, tokenOverride = token): Promise<Reply> {
  const res = await fetch(`${tg.apiRoot}/bot${tokenOverride}/${method}`, params ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params) } : {});
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, headers: res.headers };
}

const error = (code: number, description: string) => ({ ok: false, error_code: code, description });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(check: () => T | undefined, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

/** A bot's webhook endpoint: records what Telegram posts and answers as told. */
class Receiver {
  readonly got: { headers: IncomingHttpHeaders; update: Update }[] = [];
  /** Next answers, in order; "hang" never answers; then 200. */
  answers: (number | "hang" | { json: unknown })[] = [];
  url = "";
  private server!: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const answer = this.answers.shift() ?? 200;
        if (answer === "hang") return;
        if (typeof answer === "object") {
          this.got.push({ headers: req.headers, update: JSON.parse(Buffer.concat(chunks).toString()) });
          return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer.json));
        }
        if (answer < 300) this.got.push({ headers: req.headers, update: JSON.parse(Buffer.concat(chunks).toString()) });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hook`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

beforeAll(async () => {
  tg = await startFakeTelegram({ allowLoopbackHttp: true, webhookRetryMs: 150, webhookTimeoutMs: 400 });
  const added = tg.addBot("unibox_test_bot");
  token = added.token;
  botId = added.bot.id;
});

afterAll(() => tg.stop());

describe("requests and the envelope", () => {
  it("getMe answers {ok: true, result: User} by GET or POST, with a case-insensitive method name", async () => {
    const me = await api("getMe");
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ ok: true, result: expect.objectContaining({ id: botId, is_bot: true, username: "unibox_test_bot", can_join_groups: true }) });
    expect((await api("GETME", {})).body.result.id).toBe(botId);
    expect(token).toMatch(/^\d+:[A-Za-z0-9_-]{35}$/);
  });

  it("401 Unauthorized for a well-formed unknown token, 404 Not Found for a malformed one or an unknown method", async () => {
    expect(await api("getMe", undefined, `${botId}:${"x".repeat(35)}`)).toMatchObject({ status: 401, body: error(401, "Unauthorized") });
    expect(await api("getMe", undefined, "not-a-token")).toMatchObject({ status: 404, body: error(404, "Not Found") });
    expect(await api("sendTelepathy", {})).toMatchObject({ status: 404, body: error(404, "Not Found") });
    expect((await fetch(`${tg.apiRoot}/`)).status).toBe(404);
  });

  it("logs calls by bot id and method, never the token", async () => {
    const before = tg.requests.length;
    await api("getMe");
    expect(tg.requests.slice(before)).toEqual([{ botId, method: "getMe", status: 200 }]);
    expect(JSON.stringify(tg.requests)).not.toContain(token.split(":")[1]);
  });

  it("429 from limitNext: 'Too Many Requests: retry after N' with parameters.retry_after, then normal service", async () => {
    tg.limitNext(token, 1, 7);
    expect(await api("getMe")).toMatchObject({ status: 429, body: { ok: false, error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } } });
    expect((await api("getMe")).status).toBe(200);
  });

  it("refuses a JSON body that does not parse", async () => {
    const res = await fetch(`${tg.apiRoot}/bot${token}/sendMessage`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(error(400, "Bad Request: can't parse JSON"));
  });
});

describe("getUpdates", () => {
  let bot: string;
  beforeAll(() => {
    bot = tg.addBot().token;
  });

  it("returns queued updates; an offset above an update_id confirms it and it is not returned again", async () => {
    const first = tg.userSays(bot, { chat: { type: "private" }, text: "/start" })!;
    expect(first.message).toMatchObject({ message_id: 1, text: "/start", from: { id: 100_000_001, is_bot: false }, chat: { id: 100_000_001, type: "private" }, entities: [{ type: "bot_command", offset: 0, length: 6 }] });
    const second = tg.userSays(bot, { chat: { type: "private" }, text: "hello" })!;
    expect(second.update_id).toBe(first.update_id + 1);
    const got = await api("getUpdates", {}, bot);
    expect(got.body).toEqual({ ok: true, result: [first, second] });
    expect((await api("getUpdates", { offset: second.update_id }, bot)).body.result).toEqual([second]);
    expect((await api("getUpdates", { offset: second.update_id + 1 }, bot)).body.result).toEqual([]);
  });

  it("a long-poll with timeout is held until a message arrives", async () => {
    const started = Date.now();
    const pending = api("getUpdates", { timeout: 5 }, bot);
    await sleep(150);
    const update = tg.userSays(bot, { chat: { type: "group", title: "Family" }, from: { id: 42, first_name: "Bo" }, text: "dinner?" })!;
    const got = await pending;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(got.body.result).toEqual([update]);
    expect(update.message!.chat).toEqual({ id: -4_000_000_001, type: "group", title: "Family" });
    await api("getUpdates", { offset: update.update_id + 1 }, bot);
  });

  it("a long-poll with nothing new answers [] after its timeout; form-urlencoded and query parameters work", async () => {
    const started = Date.now();
    const res = await fetch(`${tg.apiRoot}/bot${bot}/getUpdates`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "timeout=1" });
    expect(await res.json()).toEqual({ ok: true, result: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(await (await fetch(`${tg.apiRoot}/bot${bot}/getUpdates?timeout=0`)).json()).toEqual({ ok: true, result: [] });
  });

  it("a second getUpdates ends one still waiting with 409 Conflict", async () => {
    const first = api("getUpdates", { timeout: 5 }, bot);
    await sleep(100);
    const second = api("getUpdates", { timeout: 0 }, bot);
    expect(await first).toMatchObject({ status: 409, body: error(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running") });
    expect((await second).status).toBe(200);
  });

  it("a negative offset keeps only the last updates", async () => {
    const ids = ["a", "b", "c"].map((text) => tg.userSays(bot, { chat: { type: "private" }, text })!.update_id);
    expect((await api("getUpdates", { offset: -1 }, bot)).body.result.map((u: Update) => u.update_id)).toEqual([ids[2]]);
    expect((await api("getUpdates", {}, bot)).body.result.map((u: Update) => u.update_id)).toEqual([ids[2]]);
    await api("getUpdates", { offset: ids[2]! + 1 }, bot);
  });
});

describe("sendMessage", () => {
  let bot: string;
  let chatId: number;
  let userMessage: Message;
  beforeAll(() => {
    bot = tg.addBot().token;
    userMessage = tg.userSays(bot, { chat: { type: "private" }, from: { id: 555, first_name: "Cy", username: "cy" }, text: "ping" })!.message!;
    chatId = userMessage.chat.id;
  });

  it("sends text and returns the Message, which sent() records", async () => {
    const r = await api("sendMessage", { chat_id: chatId, text: "pong" }, bot);
    expect(r.body).toEqual({ ok: true, result: { message_id: 2, from: expect.objectContaining({ is_bot: true }), chat: { id: 555, type: "private", first_name: "Cy", username: "cy" }, date: expect.any(Number), text: "pong" } });
    expect(tg.sent(bot).map((s) => s.message.text)).toEqual(["pong"]);
  });

  it("replies with reply_parameters or reply_to_message_id, and takes chat_id as a string from a form", async () => {
    const r = await api("sendMessage", { chat_id: chatId, text: "re", reply_parameters: { message_id: userMessage.message_id } }, bot);
    expect(r.body.result.reply_to_message).toMatchObject({ message_id: userMessage.message_id, text: "ping" });
    const form = await fetch(`${tg.apiRoot}/bot${bot}/sendMessage`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `chat_id=${chatId}&text=again&reply_to_message_id=${userMessage.message_id}` });
    expect(((await form.json()) as any).result.reply_to_message.message_id).toBe(userMessage.message_id);
    const lenient = await api("sendMessage", { chat_id: chatId, text: "ok", reply_parameters: { message_id: 9999, allow_sending_without_reply: true } }, bot);
    expect(lenient.body.result.reply_to_message).toBeUndefined();
  });

  it("parse_mode HTML and MarkdownV2 become plain text with entities", async () => {
    const html = await api("sendMessage", { chat_id: chatId, text: '<b>bold</b> &amp; <a href="https://x.test/">link</a>', parse_mode: "HTML" }, bot);
    expect(html.body.result).toMatchObject({ text: "bold & link", entities: [{ type: "bold", offset: 0, length: 4 }, { type: "text_link", offset: 7, length: 4, url: "https://x.test/" }] });
    const md = await api("sendMessage", { chat_id: chatId, text: "*hi* _there_ 1\\.5", parse_mode: "MarkdownV2" }, bot);
    expect(md.body.result).toMatchObject({ text: "hi there 1.5", entities: [{ type: "bold", offset: 0, length: 2 }, { type: "italic", offset: 3, length: 5 }] });
  });

  it("refuses an unknown chat, a missing chat_id, empty or too long text, bad markup, a bad parse_mode and a missing reply target", async () => {
    const send = (params: Record<string, unknown>) => api("sendMessage", params, bot);
    expect(await send({ chat_id: 123456, text: "x" })).toMatchObject({ status: 400, body: error(400, "Bad Request: chat not found") });
    expect(await send({ text: "x" })).toMatchObject({ status: 400, body: error(400, "Bad Request: chat_id is empty") });
    expect(await send({ chat_id: chatId })).toMatchObject({ status: 400, body: error(400, "Bad Request: message text is empty") });
    expect(await send({ chat_id: chatId, text: "   " })).toMatchObject({ status: 400, body: error(400, "Bad Request: message text is empty") });
    expect(await send({ chat_id: chatId, text: "x".repeat(4097) })).toMatchObject({ status: 400, body: error(400, "Bad Request: message is too long") });
    expect((await send({ chat_id: chatId, text: "x".repeat(4096) })).status).toBe(200);
    expect(await send({ chat_id: chatId, text: "1.5", parse_mode: "MarkdownV2" })).toMatchObject({ status: 400, body: error(400, "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'") });
    expect(await send({ chat_id: chatId, text: "*open", parse_mode: "MarkdownV2" })).toMatchObject({ status: 400, body: error(400, "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 0") });
    expect(await send({ chat_id: chatId, text: "<b>open", parse_mode: "HTML" })).toMatchObject({ status: 400, body: error(400, 'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"') });
    expect(await send({ chat_id: chatId, text: "<blink>x</blink>", parse_mode: "HTML" })).toMatchObject({ status: 400, body: error(400, 'Bad Request: can\'t parse entities: Unsupported start tag "blink" at byte offset 0') });
    expect(await send({ chat_id: chatId, text: "x", parse_mode: "BBCode" })).toMatchObject({ status: 400, body: error(400, "Bad Request: unsupported parse_mode") });
    expect(await send({ chat_id: chatId, text: "x", reply_parameters: { message_id: 9999 } })).toMatchObject({ status: 400, body: error(400, "Bad Request: message to be replied not found") });
  });

  it("sendChatAction: true for a known action, refused for an unknown one", async () => {
    expect((await api("sendChatAction", { chat_id: chatId, action: "typing" }, bot)).body).toEqual({ ok: true, result: true });
    expect(await api("sendChatAction", { chat_id: chatId, action: "dancing" }, bot)).toMatchObject({ status: 400, body: error(400, "Bad Request: wrong parameter action in request") });
  });
});

describe("setWebhook refusals", () => {
  let strict: FakeTelegram;
  let bot: string;
  beforeAll(async () => {
    strict = await startFakeTelegram();
    bot = strict.addBot().token;
  });
  afterAll(() => strict.stop());

  const set = async (params: Record<string, unknown>, on = () => strict) => {
    const res = await fetch(`${on().apiRoot}/bot${bot}/setWebhook`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params) });
    return { status: res.status, body: await res.json() };
  };

  it("requires HTTPS on ports 443, 80, 88 or 8443 and refuses loopback addresses without allowLoopbackHttp", async () => {
    expect(await set({ url: "http://example.test/hook" })).toEqual({ status: 400, body: error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook") });
    expect(await set({ url: "http://127.0.0.1:9999/hook" })).toEqual({ status: 400, body: error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook") });
    expect(await set({ url: "https://example.test:8080/hook" })).toEqual({ status: 400, body: error(400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443") });
    expect(await set({ url: "https://127.0.0.1/hook" })).toEqual({ status: 400, body: error(400, "Bad Request: bad webhook: IP address 127.0.0.1 is reserved") });
    expect(await set({ url: "not a url" })).toEqual({ status: 400, body: error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook") });
    expect(await set({ url: "https://example.test:8443/hook" })).toEqual({ status: 200, body: { ok: true, result: true, description: "Webhook was set" } });
  });

  it("secret_token: 1-256 characters of A-Z a-z 0-9 _ -", async () => {
    expect(await set({ url: "https://example.test/hook", secret_token: "has space" })).toEqual({ status: 400, body: error(400, "Bad Request: secret token contains unallowed characters") });
    expect(await set({ url: "https://example.test/hook", secret_token: "a+b/c=" })).toMatchObject({ status: 400, body: { description: "Bad Request: secret token contains unallowed characters" } });
    expect(await set({ url: "https://example.test/hook", secret_token: "a".repeat(257) })).toEqual({ status: 400, body: error(400, "Bad Request: secret token is too long") });
    expect((await set({ url: "https://example.test/hook", secret_token: `${"A-z_9".repeat(51)}x` })).status).toBe(200);
    expect(await set({ url: "https://example.test/hook", max_connections: 0 })).toMatchObject({ status: 400, body: { ok: false, error_code: 400 } });
  });
});

describe("webhooks", () => {
  let receiver: Receiver;
  let bot: string;

  beforeAll(async () => {
    receiver = await new Receiver().start();
  });
  afterAll(() => receiver.stop());
  afterEach(async () => {
    tg.up();
    await api("deleteWebhook", { drop_pending_updates: true }, bot);
  });

  it("posts each Update as JSON with the secret header; getUpdates is refused while it is set; getWebhookInfo reports it", async () => {
    bot = tg.addBot().token;
    expect((await api("setWebhook", { url: receiver.url, secret_token: "s3cr3t_T0ken", allowed_updates: ["message"] }, bot)).body).toEqual({ ok: true, result: true, description: "Webhook was set" });
    const update = tg.userSays(bot, { chat: { type: "private" }, text: "via webhook" })!;
    const got = await until(() => receiver.got.find((g) => g.update.update_id === update.update_id));
    expect(got.update).toEqual(update);
    expect(got.headers["x-telegram-bot-api-secret-token"]).toBe("s3cr3t_T0ken");
    expect(got.headers["content-type"]).toBe("application/json");
    expect(await api("getUpdates", {}, bot)).toMatchObject({ status: 409, body: error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first") });
    expect((await api("getWebhookInfo", {}, bot)).body.result).toEqual({ url: receiver.url, has_custom_certificate: false, pending_update_count: 0, max_connections: 40, allowed_updates: ["message"] });
    expect((await api("deleteWebhook", {}, bot)).body).toEqual({ ok: true, result: true, description: "Webhook was deleted" });
    expect((await api("deleteWebhook", {}, bot)).body.description).toBe("Webhook is already deleted");
    expect((await api("getWebhookInfo", {}, bot)).body.result).toEqual({ url: "", has_custom_certificate: false, pending_update_count: 0 });
    expect((await api("getUpdates", {}, bot)).body).toEqual({ ok: true, result: [] });
  });

  it("a failed delivery stays pending with last_error_*, is retried, and later updates wait behind it in order", async () => {
    bot = tg.addBot().token;
    receiver.answers = [500, 500];
    await api("setWebhook", { url: receiver.url }, bot);
    const first = tg.userSays(bot, { chat: { type: "private" }, text: "first" })!;
    const second = tg.userSays(bot, { chat: { type: "private" }, text: "second" })!;
    const failing = await until(() => {
      const i = tg.webhook(bot).info;
      return i.last_error_message ? i : undefined;
    });
    expect(failing).toMatchObject({ pending_update_count: 2, last_error_message: "Wrong response from the webhook: 500 Internal Server Error", last_error_date: expect.any(Number) });
    expect(Math.abs(failing.last_error_date! - Date.now() / 1000)).toBeLessThan(5);
    const delivered = await until(() => (receiver.got.filter((g) => [first.update_id, second.update_id].includes(g.update.update_id)).length === 2 ? receiver.got : undefined));
    // Only this bot's two updates (update ids start at a random number per bot, so another
    // bot's can be larger): in order, the second only after the first went through.
    expect(delivered.map((g) => g.update.update_id).filter((id) => id === first.update_id || id === second.update_id)).toEqual([first.update_id, second.update_id]);
    expect((await api("getWebhookInfo", {}, bot)).body.result.pending_update_count).toBe(0);
  });

  it("a webhook that does not answer in time counts as failed ('Read timeout expired'); an unreachable one as 'Connection refused'", async () => {
    bot = tg.addBot().token;
    receiver.answers = ["hang"];
    await api("setWebhook", { url: receiver.url }, bot);
    const update = tg.userSays(bot, { chat: { type: "private" }, text: "slow" })!;
    expect(await until(() => tg.webhook(bot).info.last_error_message)).toBe("Read timeout expired");
    await until(() => receiver.got.find((g) => g.update.update_id === update.update_id));
    const closed = await new Receiver().start();
    await closed.stop();
    await api("setWebhook", { url: closed.url }, bot);
    tg.userSays(bot, { chat: { type: "private" }, text: "nobody home" });
    expect(await until(() => (tg.webhook(bot).info.last_error_message === "Connection refused" ? "Connection refused" : undefined))).toBe("Connection refused");
    expect(tg.webhook(bot).info.pending_update_count).toBe(1);
  });

  it("drop_pending_updates forgets the queue; an update waits while the API is down and goes out after up()", async () => {
    bot = tg.addBot().token;
    tg.userSays(bot, { chat: { type: "private" }, text: "old" });
    await api("setWebhook", { url: receiver.url, drop_pending_updates: true }, bot);
    expect(tg.webhook(bot).info.pending_update_count).toBe(0);
    tg.down();
    const update = tg.userSays(bot, { chat: { type: "private" }, text: "during outage" })!;
    await sleep(300);
    expect(receiver.got.some((g) => g.update.update_id === update.update_id)).toBe(false);
    tg.up();
    await until(() => receiver.got.find((g) => g.update.update_id === update.update_id));
  });

  it("a webhook may answer with a method call, which Telegram runs", async () => {
    bot = tg.addBot().token;
    await api("setWebhook", { url: receiver.url }, bot);
    const update = tg.userSays(bot, { chat: { type: "private" }, text: "echo?" })!;
    receiver.answers = [{ json: { method: "sendMessage", chat_id: update.message!.chat.id, text: "echo!" } }];
    await until(() => tg.sent(bot).find((s) => s.message.text === "echo!"));
  });
});

describe("photos and files", () => {
  let bot: string;
  let chatId: number;
  const png = pngOfSize(1000, 500);

  beforeAll(() => {
    bot = tg.addBot().token;
    chatId = tg.userSays(bot, { chat: { type: "supergroup", title: "Pics" }, text: "send one" })!.message!.chat.id;
  });

  async function upload(photo: Blob | string, extra: Record<string, string> = {}, forBot = bot) {
    const form = new FormData();
    form.set("chat_id", String(chatId));
    form.set("photo", photo as Blob);
    for (const [k, v] of Object.entries(extra)) form.set(k, v);
    const res = await fetch(`${tg.apiRoot}/bot${forBot}/sendPhoto`, { method: "POST", body: form });
    return { status: res.status, body: (await res.json()) as any };
  }

  it("sendPhoto by multipart upload returns the photo's sizes; getFile gives a file_path that downloads the bytes", async () => {
    const sent = await upload(new Blob([png], { type: "image/png" }), { caption: "<i>sunset</i>", parse_mode: "HTML" });
    expect(sent.status).toBe(200);
    const message = sent.body.result;
    expect(message.chat).toEqual({ id: chatId, type: "supergroup", title: "Pics" });
    expect(message.caption).toBe("sunset");
    expect(message.caption_entities).toEqual([{ type: "italic", offset: 0, length: 6 }]);
    expect(message.photo.map((p: any) => [p.width, p.height])).toEqual([[90, 45], [320, 160], [800, 400], [1000, 500]]);
    const largest = message.photo.at(-1);
    const file = (await api("getFile", { file_id: largest.file_id }, bot)).body.result;
    expect(file).toEqual({ file_id: largest.file_id, file_unique_id: largest.file_unique_id, file_size: png.length, file_path: expect.stringMatching(/^photos\/file_\d+\.png$/) });
    const download = await fetch(`${tg.apiRoot}/file/bot${bot}/${file.file_path}`);
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(png);
    expect(tg.sent(bot).at(-1)!.photo).toEqual(Buffer.from(png));
  });

  it("resends by file_id (all sizes come back) and by attach:// reference, and fetches a photo URL", async () => {
    const first = (await upload(new Blob([png]))).body.result;
    const again = await api("sendPhoto", { chat_id: chatId, photo: first.photo[0].file_id }, bot);
    expect(again.body.result.photo).toEqual(first.photo);
    const form = new FormData();
    form.set("chat_id", String(chatId));
    form.set("photo", "attach://pic");
    form.set("pic", new Blob([pngOfSize(40, 30)]));
    const attached = await fetch(`${tg.apiRoot}/bot${bot}/sendPhoto`, { method: "POST", body: form });
    expect(((await attached.json()) as any).result.photo).toEqual([expect.objectContaining({ width: 40, height: 30 })]);
    const host = createServer((_, res) => res.writeHead(200, { "content-type": "image/png" }).end(pngOfSize(64, 64)));
    await new Promise<void>((r) => host.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(host.address() as { port: number }).port}/p.png`;
      expect((await api("sendPhoto", { chat_id: chatId, photo: url }, bot)).body.result.photo).toEqual([expect.objectContaining({ width: 64, height: 64 })]);
    } finally {
      host.close();
    }
  });

  it("a photo someone sends arrives as PhotoSize[] the bot can getFile and download", async () => {
    const update = tg.userSays(bot, { chat: { type: "private" }, photo: pngOfSize(200, 100), caption: "look" })!;
    expect(update.message!.caption).toBe("look");
    const size = update.message!.photo!.at(-1)!;
    expect([size.width, size.height]).toEqual([200, 100]);
    const path = (await api("getFile", { file_id: size.file_id }, bot)).body.result.file_path;
    expect((await fetch(`${tg.apiRoot}/file/bot${bot}/${path}`)).status).toBe(200);
  });

  it("refuses a missing photo, bytes that are not an image, bad dimensions, an unknown or foreign file_id, an unreachable URL, and a bad getFile", async () => {
    expect(await api("sendPhoto", { chat_id: chatId }, bot)).toMatchObject({ status: 400, body: error(400, "Bad Request: there is no photo in the request") });
    expect(await upload(new Blob([new Uint8Array([1, 2, 3, 4])]))).toEqual({ status: 400, body: error(400, "Bad Request: IMAGE_PROCESS_FAILED") });
    expect(await upload(new Blob([pngOfSize(2100, 100)]))).toEqual({ status: 400, body: error(400, "Bad Request: PHOTO_INVALID_DIMENSIONS") });
    expect(await api("sendPhoto", { chat_id: chatId, photo: "AgACnonsense" }, bot)).toMatchObject({ status: 400, body: error(400, "Bad Request: wrong file identifier/HTTP URL specified") });
    const mine = (await upload(new Blob([png]))).body.result.photo[0].file_id;
    const other = tg.addBot().token;
    const otherChat = tg.userSays(other, { chat: { type: "private" }, text: "hi" })!.message!.chat.id;
    expect(await api("sendPhoto", { chat_id: otherChat, photo: mine }, other)).toMatchObject({ status: 400, body: error(400, "Bad Request: wrong file identifier/HTTP URL specified") });
    expect(await api("sendPhoto", { chat_id: chatId, photo: "https://images.example/cat.png" }, bot)).toMatchObject({ status: 400, body: error(400, "Bad Request: failed to get HTTP URL content") });
    expect(await api("getFile", { file_id: "nope" }, bot)).toMatchObject({ status: 400, body: error(400, "Bad Request: invalid file_id") });
    expect(await api("sendPhoto", { chat_id: 1, photo: mine }, bot)).toMatchObject({ status: 400, body: error(400, "Bad Request: chat not found") });
  });

  it("413 Request Entity Too Large for an upload over 50 MB", async () => {
    const form = new FormData();
    form.set("chat_id", String(chatId));
    form.set("photo", new Blob([new Uint8Array(50 * 1024 * 1024 + 1)]));
    const res = await fetch(`${tg.apiRoot}/bot${bot}/sendPhoto`, { method: "POST", body: form });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(error(413, "Request Entity Too Large"));
  });

  it("file downloads: 401 for an unknown token, 404 for an unknown path", async () => {
    expect((await fetch(`${tg.apiRoot}/file/bot${botId}:${"y".repeat(35)}/photos/file_0.png`)).status).toBe(401);
    const res = await fetch(`${tg.apiRoot}/file/bot${bot}/photos/nothing.png`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(error(404, "Not Found"));
  });
});

describe("outages", () => {
  afterEach(() => tg.up());

  it("down(): 502 with the proxy's HTML page, also for a long-poll already waiting; down('reset') fails connections", async () => {
    const bot = tg.addBot().token;
    const waiting = api("getUpdates", { timeout: 5 }, bot);
    await sleep(100);
    tg.down();
    const cut = await waiting;
    expect(cut.status).toBe(502);
    expect(cut.body).toContain("502 Bad Gateway");
    expect((await api("getMe", undefined, bot)).status).toBe(502);
    tg.down("reset");
    await expect(fetch(`${tg.apiRoot}/bot${bot}/getMe`)).rejects.toThrow();
    tg.up();
    expect((await api("getMe", undefined, bot)).status).toBe(200);
  });
});
