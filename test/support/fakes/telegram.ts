// A fake Telegram Bot API server on 127.0.0.1 for connector tests, written from
// https://core.telegram.org/bots/api and typed with @grammyjs/types (which mirrors it).
// Methods live at `${apiRoot}/bot<token>/<method>` (GET or POST; JSON, form-urlencoded or
// multipart), files at `${apiRoot}/file/bot<token>/<file_path>`, and every answer is the
// API's envelope `{ok: true, result}` / `{ok: false, error_code, description, parameters?}`.
//
// Webhooks are delivered as Telegram does: the Update JSON POSTed to the URL with the
// X-Telegram-Bot-Api-Secret-Token header, one at a time per bot and in order (max_connections
// is accepted and reported, but delivery is never parallel); a non-2xx answer, a redirect or
// a timeout keeps the update pending (pending_update_count) and records last_error_*, and the
// update is tried again after `webhookRetryMs`. A webhook answer may itself carry a method
// call (`{"method": "sendMessage", ...}`), which is run and its result dropped, as documented.
//
// Real Telegram only posts to HTTPS URLs on ports 443, 80, 88 or 8443 and never to private
// addresses; so does this fake, except that `{allowLoopbackHttp: true}` lets a test's own
// server at http://127.0.0.1:<any port> (or https) be the webhook, and lets sendPhoto fetch
// photo URLs from 127.0.0.1 (nothing else is reachable here; other URLs fail to download).
//
// Where the docs give no error text, descriptions are the ones the real API answers, as bots
// and libraries quote them ("Bad Request: chat not found", "Conflict: can't use getUpdates
// method while webhook is active; ..."). A token that is not shaped like one answers 404 Not
// Found, a well-formed unknown one 401 Unauthorized, as the real API does.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import type { Chat, Message, PhotoSize, Update, User, UserFromGetMe } from "@grammyjs/types";
import { BodyTooLarge, LoopbackServer, type Outage, asRequest, readBody, sendJson, unixSeconds } from "./http";
import { Bot, type Draft, type SentMessage } from "./telegram-bot";
import { BotApiError, badRequest, notFound, tooManyRequests, unauthorized } from "./telegram-errors";
import { imageInfo } from "./telegram-images";
import { METHODS, type MethodContext, type Params, webhookInfo } from "./telegram-methods";

export type FakeTelegramOptions = {
  allowLoopbackHttp?: boolean;
  /** How long a webhook may take to answer before the try counts as failed. */
  webhookTimeoutMs?: number;
  /** How long a failed webhook delivery waits before it is tried again. */
  webhookRetryMs?: number;
};

export type ChatSpec = { type: "private" | "group" | "supergroup"; id?: number; title?: string; username?: string };

export type Said = { chat: ChatSpec; from?: Partial<User>; text?: string; photo?: Uint8Array; caption?: string; replyTo?: number };

export type LoggedCall = { botId?: number; method: string; status: number };

const TOKEN_SHAPE = /^\d+:[A-Za-z0-9_-]{35}$/;
const DEFAULT_PERSON: User = { id: 100_000_001, is_bot: false, first_name: "Ann", username: "ann", language_code: "en" };
/** Stable ids for chats a test names only by type, shaped as Telegram's are (supergroups are -100…). */
const DEFAULT_CHAT_ID = { group: -4_000_000_001, supergroup: -1_001_000_000_001 };

export class FakeTelegram {
  /** Every call: bot id, method (or "file"), status; never the token. */
  readonly requests: LoggedCall[] = [];
  private bots = new Map<string, Bot>();
  private server = new LoopbackServer((req, res) => this.handle(req, res));
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private nextBotId = 7_000_000_001;
  private opts: Required<FakeTelegramOptions>;

  constructor(opts: FakeTelegramOptions = {}) {
    this.opts = { allowLoopbackHttp: false, webhookTimeoutMs: 10_000, webhookRetryMs: 1_000, ...opts };
  }

  /** What a client uses in place of https://api.telegram.org. */
  get apiRoot(): string {
    return this.server.origin;
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await this.server.stop();
  }

  // ---- test controls -------------------------------------------------------------------

  addBot(username = `fake${this.nextBotId % 10_000}_bot`): { token: string; bot: UserFromGetMe } {
    const id = this.nextBotId++;
    const token = `${id}:${randomBytes(27).toString("base64url").slice(0, 35)}`;
    const user: UserFromGetMe = {
      id, is_bot: true, first_name: username.replace(/_?bot$/i, "") || username, username,
      can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false,
      has_main_web_app: false, has_topics_enabled: false, allows_users_to_create_topics: false, can_manage_bots: false, supports_join_request_queries: false,
    };
    this.bots.set(token, new Bot(token, user));
    return { token, bot: user };
  }

  /**
   * Someone writes to the bot: returns the Update, delivered by webhook if one is set, else
   * queued for getUpdates. Undefined if the bot's allowed_updates leave messages out.
   */
  userSays(token: string, said: Said): Update | undefined {
    const bot = this.mustBot(token);
    const from: User = { ...DEFAULT_PERSON, ...said.from, is_bot: false };
    const record = bot.chat(chatFor(said.chat, from));
    const content: Record<string, unknown> = { from };
    if (said.text !== undefined) Object.assign(content, { text: said.text }, commandEntity(said.text));
    if (said.photo) content.photo = this.photoOf(bot, said.photo);
    if (said.caption !== undefined) content.caption = said.caption;
    const replied = said.replyTo === undefined ? undefined : record.messages.get(said.replyTo);
    if (replied) content.reply_to_message = { ...replied, reply_to_message: undefined };
    const message = bot.post(record, content as Draft);
    const update = bot.push({ message } as Omit<Update, "update_id">);
    void this.deliver(bot);
    return update;
  }

  /** What the bot sent, oldest first; photos come with the bytes Telegram stored. */
  sent(token: string): SentMessage[] {
    return [...this.mustBot(token).sent];
  }

  /** The bot's webhook as set (with its secret), and getWebhookInfo's view of it. */
  webhook(token: string) {
    const bot = this.mustBot(token);
    return { url: bot.webhook?.url, secretToken: bot.webhook?.secretToken, allowedUpdates: bot.allowedUpdates, info: webhookInfo(bot) };
  }

  /** The bot's next `n` method calls get 429 "Too Many Requests: retry after N". */
  limitNext(token: string, n: number, retryAfterSeconds: number): void {
    this.mustBot(token).limit = { left: n, seconds: retryAfterSeconds };
  }

  /** See Outage in http.ts. While down, webhooks are not delivered either. */
  down(mode: Outage = "bad-gateway"): void {
    this.server.down(mode);
  }

  up(): void {
    this.server.up();
    for (const bot of this.bots.values()) void this.deliver(bot);
  }

  // ---- HTTP ----------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.apiRoot);
    const entry: LoggedCall = { method: "?", status: 0 };
    this.requests.push(entry);
    res.on("finish", () => (entry.status = res.statusCode));
    try {
      const file = /^\/file\/bot([^/]*)\/(.+)$/.exec(url.pathname);
      if (file) return this.serveFile(res, file[1]!, decodeURIComponent(file[2]!), entry);
      const call = /^\/bot([^/]*)\/([^/]*)$/.exec(url.pathname);
      if (!call) throw notFound();
      const bot = this.botFor(call[1]!);
      entry.botId = bot.user.id;
      entry.method = call[2]!;
      const method = METHODS[call[2]!.toLowerCase()];
      if (!method) throw notFound();
      if (bot.limit.left > 0) {
        bot.limit.left--;
        throw tooManyRequests(bot.limit.seconds);
      }
      const params = await readParams(req, url, this.apiRoot);
      const { result, description } = await method(this.context(bot, params, res));
      sendJson(res, 200, { ok: true, result, ...(description ? { description } : {}) });
    } catch (err) {
      if (!(err instanceof BotApiError)) throw err;
      sendJson(res, err.status, err.body);
    }
  }

  private context(bot: Bot, params: Params, res?: ServerResponse): MethodContext {
    return { bot, params, allowLoopbackHttp: this.opts.allowLoopbackHttp, deliver: (b) => void this.deliver(b), open: () => !res || (!res.writableEnded && !res.destroyed) };
  }

  private botFor(token: string): Bot {
    if (!TOKEN_SHAPE.test(token)) throw notFound();
    const bot = this.bots.get(token);
    if (!bot) throw unauthorized();
    return bot;
  }

  private serveFile(res: ServerResponse, token: string, path: string, entry: LoggedCall): void {
    entry.method = "file";
    const bot = this.botFor(token);
    entry.botId = bot.user.id;
    const stored = bot.fileByPath(path);
    if (!stored) throw notFound();
    res.writeHead(200, { "content-type": stored.mime, "content-length": stored.bytes.length });
    res.end(stored.bytes);
  }

  // ---- webhook delivery ----------------------------------------------------------------

  /** One update at a time, oldest first; a failure stops the queue until the retry. */
  private async deliver(bot: Bot): Promise<void> {
    if (bot.delivering) return;
    bot.delivering = true;
    try {
      while (bot.webhook && bot.updates.length && !this.server.isDown && !this.stopped) {
        const hook = bot.webhook;
        const update = bot.updates[0]!;
        const error = await this.post(bot, hook, update);
        if (bot.webhook !== hook) continue;
        if (error === undefined) {
          if (bot.updates[0] === update) bot.updates.shift();
          continue;
        }
        hook.lastErrorDate = unixSeconds();
        hook.lastErrorMessage = error;
        this.later(() => void this.deliver(bot));
        return;
      }
    } finally {
      bot.delivering = false;
    }
  }

  /** Undefined on success, else the last_error_message Telegram would record. */
  private async post(bot: Bot, hook: NonNullable<Bot["webhook"]>, update: Update): Promise<string | undefined> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (hook.secretToken) headers["x-telegram-bot-api-secret-token"] = hook.secretToken;
    try {
      const res = await fetch(hook.url, { method: "POST", headers, body: JSON.stringify(update), redirect: "manual", signal: AbortSignal.timeout(this.opts.webhookTimeoutMs) });
      const text = await res.text();
      if (res.status < 200 || res.status > 299) return `Wrong response from the webhook: ${res.status} ${res.statusText}`;
      await this.runReply(bot, res.headers.get("content-type"), text);
      return undefined;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === "TimeoutError") return "Read timeout expired";
      if (e.cause?.code === "ECONNREFUSED") return "Connection refused";
      return "Connection failed";
    }
  }

  /** "You can perform a request to the Bot API while sending an answer to the webhook." */
  private async runReply(bot: Bot, contentType: string | null, text: string): Promise<void> {
    if (!contentType?.includes("application/json")) return;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text);
    } catch {
      return;
    }
    const method = typeof body?.method === "string" ? METHODS[body.method.toLowerCase()] : undefined;
    if (!method) return;
    const params: Params = new Map(Object.entries(body).filter(([k]) => k !== "method"));
    await Promise.resolve(method(this.context(bot, params))).catch(() => undefined);
  }

  private later(fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    }, this.opts.webhookRetryMs);
    this.timers.add(timer);
  }

  private photoOf(bot: Bot, bytes: Uint8Array): PhotoSize[] {
    const info = imageInfo(bytes);
    if (!info) throw new Error("fake telegram: userSays photo must be PNG or JPEG bytes");
    return bot.storePhoto(Buffer.from(bytes), info);
  }

  private mustBot(token: string): Bot {
    const bot = this.bots.get(token);
    if (!bot) throw new Error("fake telegram: unknown bot token");
    return bot;
  }
}

function chatFor(spec: ChatSpec, from: User): Chat {
  if (spec.type === "private") {
    return { id: from.id, type: "private", first_name: from.first_name, ...(from.last_name ? { last_name: from.last_name } : {}), ...(from.username ? { username: from.username } : {}) };
  }
  const id = spec.id ?? DEFAULT_CHAT_ID[spec.type];
  const title = spec.title ?? (spec.type === "group" ? "Group" : "Supergroup");
  if (spec.type === "group") return { id, type: "group", title };
  return { id, type: "supergroup", title, ...(spec.username ? { username: spec.username } : {}) };
}

/** Telegram marks a leading /command as a bot_command entity. */
function commandEntity(text: string): { entities?: Message["entities"] } {
  const m = /^\/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?/.exec(text);
  return m ? { entities: [{ type: "bot_command", offset: 0, length: m[0].length }] } : {};
}

/** Query string plus the body: JSON, form-urlencoded, or multipart (files become Blobs). */
async function readParams(req: IncomingMessage, url: URL, origin: string): Promise<Params> {
  const params: Params = new Map(url.searchParams);
  // Uploads are capped at 50 MB ("Sending files"); a bigger request is refused before parsing.
  const body = await readBody(req, 50 * 1024 * 1024).catch((err) => Promise.reject(err instanceof BodyTooLarge ? new BotApiError(413, "Request Entity Too Large") : err));
  if (!body.length) return params;
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") {
    let value: unknown;
    try {
      value = JSON.parse(body.toString("utf8"));
    } catch {
      throw badRequest("can't parse JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw badRequest("can't parse JSON");
    for (const [k, v] of Object.entries(value)) params.set(k, v);
  } else if (type === "application/x-www-form-urlencoded") {
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params.set(k, v);
  } else if (type === "multipart/form-data") {
    let form: FormData;
    try {
      form = await asRequest(req, origin, body).formData();
    } catch {
      throw badRequest("can't parse multipart/form-data");
    }
    for (const [k, v] of form) params.set(k, v);
  }
  return params;
}

export async function startFakeTelegram(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  return new FakeTelegram(opts).start();
}

export { pngOfSize } from "./telegram-images";
