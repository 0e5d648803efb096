// Telegram Updates → RemoteEvents (types from @grammyjs/types, which mirrors the Bot API;
// type-only, nothing of it reaches the bundle). Private chats are direct chats whose id is
// the person's user id (a private chat's id is its user's id); groups, supergroups and
// channels are group chats by their chat id. A message's remote id is `<chat id>:<message id>`,
// since message ids count per chat.
import type { Chat, Message, PhotoSize, Update } from "@grammyjs/types";
import { type Body, LIMITS, MEDIA_LIMITS } from "../../../core/protocol";
import type { RemoteChat, RemoteEvent, RemoteUser } from "../types";

export const remoteId = (chatId: number | string, messageId: number) => `${chatId}:${messageId}`;

export function parseRemoteId(id: string): { chatId: string; messageId: number } | undefined {
  const m = /^(-?\d+):(\d+)$/.exec(id);
  return m ? { chatId: m[1]!, messageId: Number(m[2]) } : undefined;
}

/** The bot's own user id is the number before the colon of its token. */
export const botIdOf = (token: string) => Number(token.split(":")[0]);

/** What the webhook asks Telegram for: edits are left out (Unibox has no edits yet). */
export const ALLOWED_UPDATES = ["message", "channel_post"] as const;

/** Downloads the chosen size of a photo; undefined when it cannot be had (too big, gone). */
export type PhotoFetcher = (photo: PhotoSize) => Promise<{ id: string } | undefined>;

const fullName = (u: { first_name: string; last_name?: string }) => [u.first_name, u.last_name].filter(Boolean).join(" ");

export function chatOf(chat: Chat): RemoteChat {
  if (chat.type === "private") return { id: String(chat.id), kind: "direct", title: fullName(chat) || (chat.username ? `@${chat.username}` : String(chat.id)) };
  return { id: String(chat.id), kind: "group", title: chat.title };
}

function senderOf(m: Message): RemoteUser {
  if (m.from) return { id: String(m.from.id), name: fullName(m.from) || (m.from.username ?? String(m.from.id)) };
  const chat = m.sender_chat ?? m.chat;
  return { id: String(chat.id), name: "title" in chat && chat.title ? chat.title : String(chat.id) };
}

/** The message an update carries, if it is one we asked for. */
export const messageOf = (u: Update): Message | undefined => u.message ?? u.channel_post;

/** The largest size Unibox keeps (sizes come smallest first). */
export function bestPhoto(sizes: PhotoSize[]): PhotoSize | undefined {
  const fits = sizes.filter((s) => (s.file_size ?? 0) <= MEDIA_LIMITS.image);
  return fits.at(-1);
}

export async function messageEvent(m: Message, botId: number, photo: PhotoFetcher): Promise<RemoteEvent | undefined> {
  const body = await bodyOf(m, photo);
  if (!body) return undefined;
  const sender = senderOf(m);
  return {
    type: "message",
    chat: chatOf(m.chat),
    remoteId: remoteId(m.chat.id, m.message_id),
    sender,
    fromMe: m.from?.id === botId,
    body,
    at: m.date * 1000,
  };
}

const clip = (t: string, max: number) => (t.length > max ? `${t.slice(0, max - 1)}…` : t);

const text = (t: string | undefined): Body | undefined => (t?.trim() ? { type: "text", text: clip(t.trim(), LIMITS.textChars) } : undefined);

async function bodyOf(m: Message, photo: PhotoFetcher): Promise<Body | undefined> {
  if (m.text !== undefined) return text(m.text);
  if (m.photo?.length) {
    const best = bestPhoto(m.photo);
    const stored = best && (await photo(best));
    if (stored) return { type: "image", media: stored.id, ...(m.caption ? { caption: clip(m.caption, 1000) } : {}) };
    return text(`[photo] ${m.caption ?? ""}`);
  }
  if (m.location) return { type: "location", lat: m.location.latitude, lng: m.location.longitude, ...(m.location.horizontal_accuracy ? { accuracy: m.location.horizontal_accuracy } : {}) };
  // Kinds Unibox cannot show yet still leave a line, not silence.
  const kind = unsupportedKind(m);
  return kind ? text(`[${kind}]${m.caption ? ` ${m.caption}` : ""}`) : undefined;
}

function unsupportedKind(m: Message): string | undefined {
  if (m.sticker) return `sticker ${m.sticker.emoji ?? ""}`.trim();
  if (m.animation) return "animation";
  if (m.document) return `file ${m.document.file_name ?? ""}`.trim();
  if (m.video) return "video";
  if (m.video_note) return "video message";
  if (m.voice) return "voice message";
  if (m.audio) return `audio ${m.audio.title ?? ""}`.trim();
  if (m.contact) return `contact ${m.contact.first_name}`;
  if (m.poll) return `poll: ${m.poll.question}`;
  return undefined; // service messages: members joining, pins, titles
}
