// The Bot API methods the fake serves, from https://core.telegram.org/bots/api: getMe,
// setWebhook, deleteWebhook, getWebhookInfo, getUpdates, sendMessage, sendPhoto, getFile,
// sendChatAction. Parameters arrive as JSON (typed), form fields or multipart parts
// (strings and files); like the real API, numbers and JSON objects are taken from either.
import type { Message, Update, WebhookInfo } from "@grammyjs/types";
import type { Bot, Draft } from "./telegram-bot";

type ReplyMessage = NonNullable<Message["reply_to_message"]>;
import { badRequest, conflict } from "./telegram-errors";
import { parseEntities } from "./telegram-format";
import { imageInfo } from "./telegram-images";

export type Params = Map<string, unknown>;

export type MethodContext = {
  bot: Bot;
  params: Params;
  /** Whether a webhook URL may be plain http on 127.0.0.1 (and photos fetched from there). */
  allowLoopbackHttp: boolean;
  /** Starts webhook delivery after setWebhook. */
  deliver(bot: Bot): void;
  /** False once the caller hung up, so a long-poll stops. */
  open(): boolean;
};

export type MethodResult = { result: unknown; description?: string };

const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
const WEBHOOK_PORTS = new Set(["443", "80", "88", "8443"]);
const SECRET_TOKEN = /^[A-Za-z0-9_-]+$/;
const CHAT_ACTIONS = new Set(["typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"]);

export const METHODS: Record<string, (ctx: MethodContext) => MethodResult | Promise<MethodResult>> = {
  getme: ({ bot }) => ({ result: bot.user }),
  setwebhook: setWebhook,
  deletewebhook: ({ bot, params }) => {
    if (bool(params, "drop_pending_updates")) bot.updates = [];
    const had = !!bot.webhook;
    bot.webhook = undefined;
    return { result: true, description: had ? "Webhook was deleted" : "Webhook is already deleted" };
  },
  getwebhookinfo: ({ bot }) => ({ result: webhookInfo(bot) }),
  getupdates: getUpdates,
  sendmessage: sendMessage,
  sendphoto: sendPhoto,
  getfile: ({ bot, params }) => {
    const stored = bot.files.get(String(params.get("file_id") ?? ""));
    if (!stored) throw badRequest("invalid file_id");
    if (stored.bytes.length > MAX_DOWNLOAD_BYTES) throw badRequest("file is too big");
    return { result: stored.file };
  },
  sendchataction: ({ bot, params }) => {
    bot.findChat(params.get("chat_id"));
    if (!CHAT_ACTIONS.has(String(params.get("action") ?? ""))) throw badRequest("wrong parameter action in request");
    return { result: true };
  },
};

export function webhookInfo(bot: Bot): WebhookInfo {
  const hook = bot.webhook;
  const info: WebhookInfo = { url: hook?.url ?? "", has_custom_certificate: false, pending_update_count: bot.updates.length };
  if (!hook) return info;
  if (hook.lastErrorDate) Object.assign(info, { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage });
  info.max_connections = hook.maxConnections;
  if (bot.allowedUpdates) info.allowed_updates = bot.allowedUpdates as WebhookInfo["allowed_updates"];
  return info;
}

// ---- webhooks and updates --------------------------------------------------------------

/** "Ports currently supported for webhooks: 443, 80, 88, 8443", over HTTPS; an empty url removes the webhook. */
function setWebhook(ctx: MethodContext): MethodResult {
  const { bot, params } = ctx;
  const url = String(params.get("url") ?? "");
  if (url === "") {
    const had = !!bot.webhook;
    bot.webhook = undefined;
    return { result: true, description: had ? "Webhook was deleted" : "Webhook is already deleted" };
  }
  checkWebhookUrl(url, ctx.allowLoopbackHttp);
  const secret = params.get("secret_token");
  if (secret !== undefined && secret !== "") {
    if (!SECRET_TOKEN.test(String(secret))) throw badRequest("secret token contains unallowed characters");
    if (String(secret).length > 256) throw badRequest("secret token is too long");
  }
  const maxConnections = params.has("max_connections") ? int(params, "max_connections") : 40;
  if (maxConnections === undefined || maxConnections < 1 || maxConnections > 100) throw badRequest("bad webhook: max_connections must be between 1 and 100");
  const allowed = list(params, "allowed_updates");
  if (allowed !== undefined) bot.allowedUpdates = allowed;
  if (bool(params, "drop_pending_updates")) bot.updates = [];
  const same = bot.webhook?.url === url && bot.webhook.secretToken === (secret || undefined);
  bot.webhook = { url, secretToken: (secret as string) || undefined, maxConnections };
  bot.wake();
  ctx.deliver(bot);
  return { result: true, description: same ? "Webhook is already set" : "Webhook was set" };
}

function checkWebhookUrl(url: string, allowLoopbackHttp: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
  }
  const loopback = parsed.hostname === "127.0.0.1";
  if (allowLoopbackHttp && loopback && (parsed.protocol === "http:" || parsed.protocol === "https:")) return;
  if (parsed.protocol !== "https:") throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
  if (!WEBHOOK_PORTS.has(parsed.port || "443")) throw badRequest("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
  if (loopback || /^(10|127)\.|^192\.168\.|^localhost$/.test(parsed.hostname)) throw badRequest(`bad webhook: IP address ${parsed.hostname} is reserved`);
}

/**
 * Long polling: updates below `offset` are confirmed and forgotten; a negative offset keeps
 * only the last -offset updates; `timeout` seconds are waited for the first update. A newer
 * call ends one still waiting with 409, as when two instances of a bot poll.
 */
async function getUpdates(ctx: MethodContext): Promise<MethodResult> {
  const { bot, params } = ctx;
  if (bot.webhook) throw conflict("can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
  const offset = int(params, "offset");
  if (offset !== undefined && offset > 0) bot.updates = bot.updates.filter((u) => u.update_id >= offset);
  if (offset !== undefined && offset < 0) bot.updates = bot.updates.slice(offset);
  const limit = Math.min(100, Math.max(1, int(params, "limit") ?? 100));
  const timeout = Math.max(0, int(params, "timeout") ?? 0);
  const allowed = list(params, "allowed_updates");
  if (allowed !== undefined) bot.allowedUpdates = allowed;
  if (bot.poller) bot.poller.terminated = true;
  const me = { terminated: false };
  bot.poller = me;
  bot.wake();
  const deadline = Date.now() + timeout * 1000;
  while (!bot.updates.length && !me.terminated && ctx.open() && !bot.webhook && Date.now() < deadline) {
    await bot.nextUpdate(deadline - Date.now());
  }
  if (bot.poller === me) bot.poller = undefined;
  if (me.terminated) throw conflict("terminated by other getUpdates request; make sure that only one bot instance is running");
  return { result: bot.updates.slice(0, limit) satisfies Update[] };
}

// ---- sending ---------------------------------------------------------------------------

function sendMessage({ bot, params }: MethodContext): MethodResult {
  const record = bot.findChat(params.get("chat_id"));
  const source = params.get("text");
  if (source === undefined || String(source).trim() === "") throw badRequest("message text is empty");
  const { text, entities } = withEntities(params, String(source), "parse_mode", "entities");
  if (!text.trim()) throw badRequest("message text is empty");
  if (text.length > MAX_TEXT) throw badRequest("message is too long");
  const reply = replyTarget(params, record.messages);
  const message = bot.post(record, { from: bot.user, text, ...(entities.length ? { entities } : {}), ...(reply ? { reply_to_message: reply } : {}) } as Draft);
  bot.sent.push({ method: "sendMessage", message });
  return { result: message };
}

async function sendPhoto(ctx: MethodContext): Promise<MethodResult> {
  const { bot, params } = ctx;
  const record = bot.findChat(params.get("chat_id"));
  const photo = await photoSizes(ctx);
  const caption = params.get("caption") === undefined ? undefined : withEntities(params, String(params.get("caption")), "parse_mode", "caption_entities");
  if (caption && caption.text.length > MAX_CAPTION) throw badRequest("message caption is too long");
  const reply = replyTarget(params, record.messages);
  const message = bot.post(record, {
    from: bot.user,
    photo,
    ...(caption?.text ? { caption: caption.text } : {}),
    ...(caption?.entities.length ? { caption_entities: caption.entities } : {}),
    ...(reply ? { reply_to_message: reply } : {}),
  } as Draft);
  bot.sent.push({ method: "sendPhoto", message, photo: bot.files.get(photo.at(-1)!.file_id)!.bytes });
  return { result: message };
}

/** The three ways to send a file: a new upload (multipart, or attach://name), a file_id this bot has, an HTTP URL Telegram fetches. */
async function photoSizes({ bot, params, allowLoopbackHttp }: MethodContext) {
  let value = params.get("photo");
  if (typeof value === "string" && value.startsWith("attach://")) value = params.get(value.slice("attach://".length));
  if (value === undefined || value === "") throw badRequest("there is no photo in the request");
  if (value instanceof Blob) return storeUpload(bot, Buffer.from(await value.arrayBuffer()));
  const text = String(value);
  const known = bot.photos.get(text);
  if (known) return known;
  if (!/^https?:\/\//i.test(text)) throw badRequest("wrong file identifier/HTTP URL specified");
  return storeUpload(bot, await fetchPhoto(text, allowLoopbackHttp), "wrong type of the web page content");
}

/** Only loopback URLs can be fetched here (the network is closed); anything else fails as an unreachable URL would. */
async function fetchPhoto(url: string, allowLoopbackHttp: boolean): Promise<Buffer> {
  if (!allowLoopbackHttp || new URL(url).hostname !== "127.0.0.1") throw badRequest("failed to get HTTP URL content");
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(String(res.status));
    return Buffer.from(await res.arrayBuffer());
  } catch {
    throw badRequest("failed to get HTTP URL content");
  }
}

/** "The photo must be at most 10 MB in size. The photo's width and height must not exceed 10000 in total. Width and height ratio must be at most 20." */
function storeUpload(bot: Bot, bytes: Buffer, notImage = "IMAGE_PROCESS_FAILED") {
  if (bytes.length > MAX_PHOTO_BYTES) throw badRequest("file is too big");
  const info = imageInfo(bytes);
  if (!info) throw badRequest(notImage);
  const ratio = Math.max(info.width, info.height) / Math.min(info.width, info.height);
  if (info.width + info.height > 10_000 || ratio > 20) throw badRequest("PHOTO_INVALID_DIMENSIONS");
  return bot.storePhoto(bytes, info);
}

function withEntities(params: Params, source: string, modeKey: string, entitiesKey: string) {
  const mode = params.get(modeKey);
  if (mode !== undefined && mode !== "") return parseEntities(source, String(mode));
  const entities = json(params, entitiesKey, "entities");
  return { text: source, entities: Array.isArray(entities) ? entities : [] };
}

/** reply_parameters (Bot API 7.0) or the older reply_to_message_id; a missing target is refused unless allow_sending_without_reply. */
function replyTarget(params: Params, messages: Map<number, Message>): ReplyMessage | undefined {
  const parameters = json(params, "reply_parameters", "reply parameters") as { message_id?: unknown; allow_sending_without_reply?: boolean } | undefined;
  const id = parameters?.message_id ?? params.get("reply_to_message_id");
  if (id === undefined) return undefined;
  const target = messages.get(Number(id));
  if (target) {
    const { reply_to_message: _, ...reply } = target;
    return reply as ReplyMessage;
  }
  if (parameters?.allow_sending_without_reply || bool(params, "allow_sending_without_reply")) return undefined;
  throw badRequest("message to be replied not found");
}

// ---- parameter coercion ----------------------------------------------------------------

function int(params: Params, name: string): number | undefined {
  const value = params.get(name);
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

function bool(params: Params, name: string): boolean {
  const value = params.get(name);
  return value === true || value === "true" || value === "True" || value === "1" || value === 1;
}

function json(params: Params, name: string, what: string): unknown {
  const value = params.get(name);
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${what} JSON object`);
  }
}

function list(params: Params, name: string): string[] | undefined {
  const value = json(params, name, name.replace("_", " "));
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw badRequest(`can't parse ${name.replace("_", " ")} JSON object`);
  return value.map(String);
}
