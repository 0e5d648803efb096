// The device's cache: who is signed in, the event cursor, conversations, messages and
// the outbox, in one IndexedDB database. Everything here survives reloads and offline.
import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import type { ClientGroup, ConversationSummary, Friend, IncomingRequest, OutboxItem, OutgoingRequest, StoredMessage, User } from "./types";

interface UniboxDB extends DBSchema {
  kv: { key: string; value: unknown };
  conversations: { key: string; value: ConversationSummary };
  messages: { key: string; value: StoredMessage; indexes: { byConv: [string, number] } };
  outbox: { key: string; value: OutboxItem; indexes: { byCreated: number } };
}

export type Stores = "kv" | "conversations" | "messages" | "outbox";

let opening: Promise<IDBPDatabase<UniboxDB>> | undefined;

export function db(): Promise<IDBPDatabase<UniboxDB>> {
  opening ??= openDB<UniboxDB>("unibox", 1, {
    upgrade(d) {
      d.createObjectStore("kv");
      d.createObjectStore("conversations", { keyPath: "id" });
      d.createObjectStore("messages", { keyPath: "id" }).createIndex("byConv", ["conv", "at"]);
      d.createObjectStore("outbox", { keyPath: "id" }).createIndex("byCreated", "createdAt");
    },
    // Another tab upgraded the schema: step aside so it is not blocked forever.
    blocking() {
      void opening?.then((d) => d.close());
      opening = undefined;
    },
  });
  return opening;
}

export const kv = {
  async get<T>(key: string): Promise<T | undefined> {
    return (await (await db()).get("kv", key)) as T | undefined;
  },
  async set(key: string, value: unknown): Promise<void> {
    await (await db()).put("kv", value, key);
  },
};

export type FriendsSnapshot = { friends: Friend[]; incoming: IncomingRequest[]; outgoing: OutgoingRequest[] };
export type Snapshot = {
  me?: User;
  seq: number;
  listed: boolean;
  friends?: FriendsSnapshot;
  /** Group id → group (state/groups.ts). */
  groups?: Record<string, ClientGroup>;
  /** Mute, archive and deletions on this phone (state/chat-prefs.ts). */
  chatPrefs?: Record<string, object>;
  hiddenMessages?: string[];
  conversations: ConversationSummary[];
  outbox: OutboxItem[];
};

/** Everything the first screen needs, in one read transaction. */
export async function loadSnapshot(): Promise<Snapshot> {
  const tx = (await db()).transaction(["kv", "conversations", "outbox"]);
  const [me, seq, listed, friends, groups, chatPrefs, hiddenMessages, conversations, outbox] = await Promise.all([
    tx.objectStore("kv").get("me") as Promise<User | undefined>,
    tx.objectStore("kv").get("seq") as Promise<number | undefined>,
    tx.objectStore("kv").get("listed") as Promise<boolean | undefined>,
    tx.objectStore("kv").get("friends") as Promise<FriendsSnapshot | undefined>,
    tx.objectStore("kv").get("groups") as Promise<Record<string, ClientGroup> | undefined>,
    tx.objectStore("kv").get("chatPrefs") as Promise<Record<string, object> | undefined>,
    tx.objectStore("kv").get("hiddenMessages") as Promise<string[] | undefined>,
    tx.objectStore("conversations").getAll(),
    tx.objectStore("outbox").index("byCreated").getAll(),
  ]);
  return { me, seq: seq ?? 0, listed: listed === true, friends, groups, chatPrefs, hiddenMessages, conversations, outbox };
}

/** The newest `limit` cached messages of a conversation, oldest first. */
export async function cachedMessages(conv: string, limit = 100): Promise<StoredMessage[]> {
  const range = IDBKeyRange.bound([conv, -Infinity], [conv, Infinity]);
  const out: StoredMessage[] = [];
  let cursor = await (await db()).transaction("messages").store.index("byConv").openCursor(range, "prev");
  while (cursor && out.length < limit) {
    out.push(cursor.value);
    cursor = await cursor.continue();
  }
  return out.reverse();
}

/** Signing out (or another user signing in) leaves nothing of the previous user behind. */
export async function wipe(): Promise<void> {
  const d = await db();
  const tx = d.transaction(["kv", "conversations", "messages", "outbox"], "readwrite");
  await Promise.all([tx.objectStore("kv").clear(), tx.objectStore("conversations").clear(), tx.objectStore("messages").clear(), tx.objectStore("outbox").clear(), tx.done]);
}
