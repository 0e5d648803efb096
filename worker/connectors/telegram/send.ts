// Replies through sendMessage and sendPhoto.
//
// The Bot API has no idempotency key, so the connector remembers what it posted: out.key →
// the message it became, in its store, written as soon as Telegram answers. A retry of a key
// found there returns the same result without posting. What remains is the window where
// Telegram took the message but its answer never reached us (a timeout, a dropped
// connection, the link evicted mid-call): that retry posts a second copy. It cannot be closed
// from our side; it is at-least-once, as the Bot API itself is.
import type { Message } from "@grammyjs/types";
import type { LinkIO, Outbound, RemoteError, SendResult } from "../types";
import { TelegramError, call } from "./api";
import { parseRemoteId, remoteId } from "./convert";

/** Telegram's limits: 4096 characters of text, 1024 of caption (after entity parsing). */
export const TEXT_MAX = 4096;
const CAPTION_MAX = 1024;
const SENT_KEY = "sent";
/** Posted keys kept for retries; a retry comes within minutes, not hundreds of messages later. */
const SENT_MAX = 200;

type Sent = [key: string, remoteId: string, at: number];

export async function send(token: string, io: LinkIO, out: Outbound): Promise<SendResult> {
  const done = (io.store.get<Sent[]>(SENT_KEY) ?? []).find(([key]) => key === out.key);
  if (done) return { ok: true, remoteId: done[1], at: done[2] };
  const body = out.body;
  if (body.type !== "text" && body.type !== "image") return { ok: false, code: "unsupported_body", message: `a ${body.type} cannot go to Telegram yet`, retryable: false };
  if (body.type === "text" && body.text.length > TEXT_MAX) return { ok: false, code: "remote_refused", message: `Telegram takes at most ${TEXT_MAX} characters`, retryable: false };
  if (body.type === "image" && !out.media) return { ok: false, code: "invalid_media", message: "the picture's bytes are missing", retryable: false };
  try {
    const message = body.type === "text" ? await sendText(token, io, out, body.text) : await sendPhoto(token, io, out, body.caption);
    const result = { ok: true as const, remoteId: remoteId(message.chat.id, message.message_id), at: message.date * 1000 };
    remember(io, [out.key, result.remoteId, result.at]);
    return result;
  } catch (err) {
    return sendFailure(err);
  }
}

/** reply_parameters (Bot API 7.0); a reply to a message that is gone is sent as a plain message. */
function replyParameters(out: Outbound): { message_id: number; allow_sending_without_reply: true } | undefined {
  const target = out.replyTo ? parseRemoteId(out.replyTo) : undefined;
  return target && target.chatId === out.chat ? { message_id: target.messageId, allow_sending_without_reply: true } : undefined;
}

function sendText(token: string, io: LinkIO, out: Outbound, text: string): Promise<Message> {
  const reply = replyParameters(out);
  return call<Message>(io, token, "sendMessage", { chat_id: out.chat, text, ...(reply ? { reply_parameters: reply } : {}) });
}

/** A multipart upload of the picture's bytes (photos up to 10 MB). */
function sendPhoto(token: string, io: LinkIO, out: Outbound, caption: string | undefined): Promise<Message> {
  const form = new FormData();
  form.set("chat_id", out.chat);
  form.set("photo", new Blob([out.media!.bytes as Uint8Array<ArrayBuffer>], { type: out.media!.mime }), out.media!.filename);
  if (caption) form.set("caption", caption.slice(0, CAPTION_MAX));
  const reply = replyParameters(out);
  if (reply) form.set("reply_parameters", JSON.stringify(reply));
  return call<Message>(io, token, "sendPhoto", form, 120_000);
}

function remember(io: LinkIO, sent: Sent): void {
  const list = io.store.get<Sent[]>(SENT_KEY) ?? [];
  list.push(sent);
  io.store.put(SENT_KEY, list.slice(-SENT_MAX));
}

export function sendFailure(err: unknown): SendResult {
  const kind = (err as RemoteError)?.kind;
  const message = (err as Error)?.message ?? String(err);
  if (!(err instanceof TelegramError) && kind !== "permanent") return { ok: false, code: "internal", message, retryable: false };
  switch (kind) {
    case "rate_limited":
      return { ok: false, code: "rate_limited", message, retryable: true, retryAfterMs: (err as RemoteError).retryAfterMs };
    case "transient":
      return { ok: false, code: "remote_unavailable", message, retryable: true };
    case "auth":
      return { ok: false, code: "bad_credentials", message, retryable: false };
    default:
      return { ok: false, code: "remote_refused", message, retryable: false };
  }
}
