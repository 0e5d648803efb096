// Bluesky's views (app.bsky.feed.defs, app.bsky.notification.listNotifications) in the
// common shape. A post's remoteId is its at:// URI; a repost in the timeline is a "boost"
// whose remoteId is the repost record's URI. Mentions, replies and quotes of the account
// are also messages in the mentions chat. People are "@handle".
import { LIMITS } from "../../../core/protocol";
import { mentionsChat } from "../social";
import { clip } from "../social/text";
import type { LinkIO, RemoteEvent, RemotePost, RemoteUser } from "../types";

export const MENTIONS_TITLE = "Bluesky mentions";

export type Actor = { did: string; handle: string; displayName?: string };
export type PostRecord = {
  text: string;
  createdAt: string;
  reply?: { root: { uri: string; cid: string }; parent: { uri: string; cid: string } };
  facets?: { features: { $type?: string; did?: string }[] }[];
};
export type PostView = { uri: string; cid: string; author: Actor; record: PostRecord; indexedAt: string };
export type FeedItem = { post: PostView; reason?: { $type?: string; by?: Actor; uri?: string; indexedAt?: string } };
export type Notification = { uri: string; cid: string; author: Actor; reason: string; record: PostRecord; indexedAt: string };

export const actor = (a: Actor): RemoteUser => ({ id: `@${a.handle}`, name: a.displayName || a.handle });
export const didOf = (uri: string): string => uri.slice("at://".length).split("/")[0]!;
export const rkeyOf = (uri: string): string => uri.split("/").pop()!;

/** The post's page on the web app (https://bsky.app unless BLUESKY_WEB says otherwise). */
export function postUrl(io: LinkIO, handle: string, uri: string): string {
  const web = (io.config("BLUESKY_WEB") ?? "https://bsky.app").replace(/\/$/, "");
  return `${web}/profile/${handle}/post/${rkeyOf(uri)}`;
}

/** When a feed item happened: the repost's time, or the post's (never later than it was indexed). */
export function timeOf(item: FeedItem): number {
  if (isRepost(item) && item.reason!.indexedAt) return Date.parse(item.reason!.indexedAt);
  return Date.parse(item.post.indexedAt);
}

const isRepost = (item: FeedItem) => item.reason?.$type === "app.bsky.feed.defs#reasonRepost" && !!item.reason.uri && !!item.reason.by;
export const itemKey = (item: FeedItem): string => (isRepost(item) ? item.reason!.uri! : item.post.uri);

function kindOf(record: PostRecord, authorDid: string, me: string): RemotePost["kind"] {
  if (authorDid === me) return "status";
  if (record.reply && didOf(record.reply.parent.uri) === me) return "reply";
  const mentioned = record.facets?.some((f) => f.features.some((x) => x.$type === "app.bsky.richtext.facet#mention" && x.did === me));
  return mentioned ? "mention" : "status";
}

export function feedPost(io: LinkIO, item: FeedItem, me: string): RemotePost {
  const p = item.post;
  const at = Math.min(Date.parse(p.record.createdAt) || Infinity, Date.parse(p.indexedAt));
  return {
    remoteId: itemKey(item),
    kind: isRepost(item) ? "boost" : kindOf(p.record, p.author.did, me),
    author: actor(isRepost(item) ? item.reason!.by! : p.author),
    text: p.record.text,
    url: postUrl(io, p.author.handle, p.uri),
    at: isRepost(item) ? timeOf(item) : at,
    ...(p.record.reply ? { inReplyTo: p.record.reply.parent.uri } : {}),
  };
}

const NOTIFIED = { mention: "mention", reply: "reply", quote: "mention" } as const;
export const NOTIFICATION_REASONS = Object.keys(NOTIFIED);

/** A mention, reply or quote: a post and a message in the mentions chat. */
export function notificationEvents(io: LinkIO, n: Notification): RemoteEvent[] {
  const kind = NOTIFIED[n.reason as keyof typeof NOTIFIED];
  if (!kind) return [];
  const at = Date.parse(n.indexedAt);
  const text = n.record.text || postUrl(io, n.author.handle, n.uri);
  const post: RemotePost = { remoteId: n.uri, kind, author: actor(n.author), text: n.record.text, url: postUrl(io, n.author.handle, n.uri), at, ...(n.record.reply ? { inReplyTo: n.record.reply.parent.uri } : {}) };
  return [
    { type: "post", post },
    { type: "message", chat: mentionsChat(MENTIONS_TITLE), remoteId: n.uri, sender: actor(n.author), fromMe: false, body: { type: "text", text: clip(text, LIMITS.textChars) }, at },
  ];
}
