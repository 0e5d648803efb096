// Mastodon statuses in the common shape: every status is a post; a direct status is also a
// message in its DM chat, and a mention or a reply to the account also a message in the
// mentions chat, so both appear in Chats. A post's and a message's remoteId are both the
// status id (the one `send` returns for our own statuses, so their echoes match).
import { LIMITS } from "../../../core/protocol";
import { mentionsChat } from "../social";
import { clip, htmlToText } from "../social/text";
import type { RemoteChat, RemoteEvent, RemotePost } from "../types";
import { addressOf, type Me, nameOf } from "./account";
import type { Creds, Status } from "./api";

export const MENTIONS_TITLE = "Mastodon mentions";

export function kindOf(s: Status, me: Me): RemotePost["kind"] {
  if (s.reblog) return "boost";
  if (s.visibility === "direct") return "dm";
  if (s.account.id === me.id) return "status";
  if (s.in_reply_to_account_id === me.id) return "reply";
  if (s.mentions.some((m) => m.id === me.id)) return "mention";
  return "status";
}

export function textOf(s: Status): string {
  const body = htmlToText(s.content);
  return s.spoiler_text ? `${s.spoiler_text}\n\n${body}`.trim() : body;
}

/** A boost is posted by the booster and shows the boosted status's text and link. */
export function toPost(s: Status, me: Me, creds: Creds): RemotePost {
  const shown = s.reblog ?? s;
  return {
    remoteId: s.id,
    kind: kindOf(s, me),
    author: { id: addressOf(s.account.acct, creds), name: nameOf(s.account) },
    text: textOf(shown),
    url: shown.url ?? shown.uri,
    at: Date.parse(s.created_at),
    ...(shown.in_reply_to_id ? { inReplyTo: shown.in_reply_to_id } : {}),
  };
}

/** The Chats message for a DM, a mention or a reply; undefined for other statuses. */
export function toMessage(s: Status, me: Me, creds: Creds): Extract<RemoteEvent, { type: "message" }> | undefined {
  const kind = kindOf(s, me);
  if (kind !== "dm" && kind !== "mention" && kind !== "reply") return undefined;
  const text = textOf(s) || s.url || s.uri;
  return {
    type: "message",
    chat: kind === "dm" ? dmChat(s, me, creds) : mentionsChat(MENTIONS_TITLE),
    remoteId: s.id,
    sender: { id: addressOf(s.account.acct, creds), name: nameOf(s.account) },
    fromMe: s.account.id === me.id,
    body: { type: "text", text: clip(text, LIMITS.textChars) },
    at: Date.parse(s.created_at),
  };
}

/**
 * A DM thread is keyed by who is in it besides the account: one address ("@bob@host", a
 * direct chat) or several, sorted and space-separated (a group). `send` to that chat id
 * writes a direct status mentioning them all.
 */
export function dmChat(s: Status, me: Me, creds: Creds): RemoteChat {
  const people = new Map<string, string>();
  if (s.account.id !== me.id) people.set(addressOf(s.account.acct, creds), nameOf(s.account));
  for (const m of s.mentions) if (m.id !== me.id) people.set(addressOf(m.acct, creds), people.get(addressOf(m.acct, creds)) ?? m.username);
  const ids = [...people.keys()].sort();
  if (ids.length === 0) return { id: me.address, kind: "direct", title: me.name }; // a note to self
  return { id: ids.join(" "), kind: ids.length === 1 ? "direct" : "group", title: ids.map((id) => people.get(id)!).join(", ") };
}

export const dmParticipants = (chat: string): string[] => chat.split(" ").filter((a) => a.startsWith("@"));
