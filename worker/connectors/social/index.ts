// What the social connectors (microblogs and feeds) share with the hub and the composer:
// the chat ids that mean "the network itself", the actions on a post, thread splitting.
import { TIMELINE } from "../types";
import type { LinkIO, RemoteChat, SendResult } from "../types";

export { splitForThread, type Measure } from "./thread";
export { graphemeCount, measure, type LengthRules } from "./text";

/**
 * `out.chat` for a post to the account's own timeline: what a `{network}` target sends.
 * A reply in a thread is this chat with `out.replyTo` set.
 */
export const TIMELINE_CHAT = TIMELINE;

/** The chat where a network's mentions and replies to the account appear (kind "group"). */
export const MENTIONS_CHAT = "mentions";

export const mentionsChat = (title: string): RemoteChat => ({ id: MENTIONS_CHAT, kind: "group", title });

/** A post to act on, by the remoteId its connector gave it, and an idempotency key. */
export type ReplyInput = { key: string; remoteId: string; text: string };

/**
 * Reply, boost and like, where a network has them. Each is idempotent: a retry of a boost
 * or a like changes nothing; a reply posts once per key. `remoteId` of the result is the
 * new post (reply), the boost/repost record, or the liked post's like.
 */
export interface SocialActions<C> {
  reply(credentials: C, io: LinkIO, input: ReplyInput): Promise<SendResult>;
  boost(credentials: C, io: LinkIO, remoteId: string): Promise<SendResult>;
  like(credentials: C, io: LinkIO, remoteId: string): Promise<SendResult>;
}
