// Conversation keys and message sources: the one place that knows how a conversation id
// is spelled. Everything else asks `parseConversation` / the helpers below and never looks
// at prefixes itself (a test fails when it does). Kept free of zod, so the client's first
// route can import it without the schemas.

/** A conversation: between two Unibox users, a temporary group, or a chat on a bound account. */
export type ConversationKey =
  | { kind: "direct"; users: [string, string] }
  | { kind: "group"; group: string }
  | { kind: "remote"; account: string; chat: string };

export type ConversationKind = ConversationKey["kind"];

// The spelled forms: `d:<smaller user>:<larger user>`, `g:<group>`, `r:<account>:<chat>`.
// User, group and account ids never hold a colon; a remote chat id (the network's own,
// opaque) may, so it is everything after the account.
const DIRECT = /^d:([^:]+):([^:]+)$/;
const GROUP = /^g:([^:]+)$/;
const REMOTE = /^r:([^:]+):(.+)$/s;

export function formatConversation(key: ConversationKey): string {
  switch (key.kind) {
    case "direct": {
      const [a, b] = key.users;
      return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
    }
    case "group":
      return `g:${key.group}`;
    case "remote":
      return `r:${key.account}:${key.chat}`;
  }
}

export function parseConversation(id: string): ConversationKey | null {
  let m = DIRECT.exec(id);
  if (m) return m[1]! < m[2]! ? { kind: "direct", users: [m[1]!, m[2]!] } : null;
  m = GROUP.exec(id);
  if (m) return { kind: "group", group: m[1]! };
  m = REMOTE.exec(id);
  if (m) return { kind: "remote", account: m[1]!, chat: m[2]! };
  return null;
}

/** A 1:1 conversation id is the same in both users' hubs. */
export const directConversationId = (a: string, b: string): string => formatConversation({ kind: "direct", users: [a, b] });

/** A group's conversation id, the same in every member's hub. */
export const groupConversationId = (group: string): string => formatConversation({ kind: "group", group });

/** A chat on a bound account, as the owner's hub files it. */
export const remoteConversationId = (account: string, chat: string): string => formatConversation({ kind: "remote", account, chat });

/** What kind of conversation an id names, or null for an id that is not one. */
export const conversationKind = (id: string): ConversationKind | null => parseConversation(id)?.kind ?? null;

/** The other participant of a direct conversation, or null when `me` is not in it. */
export function directPeer(id: string, me: string): string | null {
  const key = parseConversation(id);
  if (key?.kind !== "direct") return null;
  const [a, b] = key.users;
  return a === me ? b : b === me ? a : null;
}

/** The group a conversation belongs to, or null when it is not a group's. */
export function groupOf(id: string): string | null {
  const key = parseConversation(id);
  return key?.kind === "group" ? key.group : null;
}

/** The bound account and remote chat a conversation is on, or null when it is native. */
export function remoteOf(id: string): { account: string; chat: string } | null {
  const key = parseConversation(id);
  return key?.kind === "remote" ? { account: key.account, chat: key.chat } : null;
}

// ---- message sources -------------------------------------------------------------------

/** Where a message came from: Unibox itself, or the id of the bound account it came through. */
export type Source = typeof NATIVE_SOURCE | (string & {});

/** The source of messages between Unibox users (1:1 and groups). */
export const NATIVE_SOURCE = "unibox";

export const isNativeSource = (source: string): boolean => source === NATIVE_SOURCE;
