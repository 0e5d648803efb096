// One bot's state inside the fake Bot API: its identity, the chats it knows, their
// messages, its files (file_ids belong to one bot), its update queue and its webhook.
import { randomBytes } from "node:crypto";
import type { Chat, File, Message, PhotoSize, Update, UserFromGetMe } from "@grammyjs/types";
import { badRequest } from "./telegram-errors";
import type { ImageInfo } from "./telegram-images";

export type StoredFile = { file: File; bytes: Buffer; mime: string };

export type Webhook = {
  url: string;
  secretToken?: string;
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
};

export type SentMessage = { method: "sendMessage" | "sendPhoto"; message: Message; photo?: Buffer };

/** A message before the chat numbers and dates it. */
export type Draft = Omit<Message, "message_id" | "chat" | "date">;

type ChatRecord = { chat: Chat; nextMessageId: number; messages: Map<number, Message> };

/** Telegram's photo sizes (longest side) it derives from an upload: s, m, x, y; w caps the original. */
const PHOTO_BOUNDS = [90, 320, 800, 1280];
const PHOTO_MAX_SIDE = 2560;

export class Bot {
  readonly chats = new Map<number, ChatRecord>();
  readonly files = new Map<string, StoredFile>();
  /** Every file_id of a photo → all its sizes (resending one sends them all). */
  readonly photos = new Map<string, PhotoSize[]>();
  readonly sent: SentMessage[] = [];
  /** Unconfirmed updates, oldest first; both getUpdates and the webhook take them from here. */
  updates: Update[] = [];
  nextUpdateId = 100_000_000 + Math.floor(Math.random() * 1_000_000);
  webhook?: Webhook;
  allowedUpdates?: string[];
  limit = { left: 0, seconds: 0 };
  delivering = false;
  /** The getUpdates call waiting now; a newer one terminates it (409). */
  poller?: { terminated: boolean };
  private fileCount = 0;
  private waiters = new Set<() => void>();

  constructor(
    readonly token: string,
    readonly user: UserFromGetMe,
  ) {}

  chat(chat: Chat): ChatRecord {
    let record = this.chats.get(chat.id);
    if (!record) {
      record = { chat, nextMessageId: 1, messages: new Map() };
      this.chats.set(chat.id, record);
    }
    return record;
  }

  /** chat_id as the API takes it: a number, a numeric string, or "@username". */
  findChat(chatId: unknown): ChatRecord {
    if (chatId === undefined || chatId === null || chatId === "") throw badRequest("chat_id is empty");
    const text = String(chatId);
    for (const record of this.chats.values()) {
      if (text.startsWith("@") ? "username" in record.chat && `@${record.chat.username}` === text : String(record.chat.id) === text) return record;
    }
    throw badRequest("chat not found");
  }

  /** Message ids count up per chat, shared by both sides. */
  post(record: ChatRecord, message: Draft): Message {
    const full = { ...message, message_id: record.nextMessageId++, chat: record.chat, date: Math.floor(Date.now() / 1000) } as Message;
    record.messages.set(full.message_id, full);
    return full;
  }

  /** Queues an update unless allowed_updates excludes its kind (the default set includes "message"). */
  push(update: Omit<Update, "update_id">): Update | undefined {
    const kind = Object.keys(update)[0]!;
    if (this.allowedUpdates?.length && !this.allowedUpdates.includes(kind)) return undefined;
    const full = { update_id: this.nextUpdateId++, ...update } as Update;
    this.updates.push(full);
    this.wake();
    return full;
  }

  storePhoto(bytes: Buffer, info: ImageInfo): PhotoSize[] {
    const longest = Math.max(info.width, info.height);
    const bounds = [...PHOTO_BOUNDS.filter((b) => b < longest), Math.min(longest, PHOTO_MAX_SIDE)];
    const sizes = bounds.map((bound) => {
      const scale = bound / longest;
      const file = this.storeFile(bytes, info.mime, "photos");
      return { file_id: file.file_id, file_unique_id: file.file_unique_id, width: Math.round(info.width * scale), height: Math.round(info.height * scale), file_size: bytes.length };
    });
    for (const size of sizes) this.photos.set(size.file_id, sizes);
    return sizes;
  }

  /**
   * Every size serves the original bytes: the fake lists the smaller sizes Telegram would
   * make, with their scaled width and height, but does not resample the image.
   */
  private storeFile(bytes: Buffer, mime: string, folder: string): File {
    const ext = mime === "image/png" ? "png" : "jpg";
    const file: File = { file_id: `AgAC${randomBytes(30).toString("base64url")}`, file_unique_id: `AQAD${randomBytes(9).toString("base64url")}`, file_size: bytes.length, file_path: `${folder}/file_${this.fileCount++}.${ext}` };
    this.files.set(file.file_id, { file, bytes, mime });
    return file;
  }

  fileByPath(path: string): StoredFile | undefined {
    for (const stored of this.files.values()) if (stored.file.file_path === path) return stored;
    return undefined;
  }

  nextUpdate(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
