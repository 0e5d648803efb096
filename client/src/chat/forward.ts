// Forwarding: the same body to another chat. A picture or clip this user uploaded goes by
// its media id (the hub lets an owner reuse it); someone else's is fetched and uploaded
// again as this user's, because a media id can only be sent by its owner.
import { conversations } from "../state/conversations";
import { groupByConv, isEnded } from "../state/groups";
import { queueMessage } from "../state/outbox";
import type { Body, ConversationSummary } from "../state/types";
import { queueMedia } from "../state/uploads";
import { directPeer } from "../../../core/conversation";
import { scaleImage, mediaUrl } from "./thumbnail";

/** Who a new message in this conversation is addressed to: the group, or the peer. */
export function recipientOf(c: ConversationSummary, self: string): string | null {
  if (c.kind === "group") return c.group ?? null;
  if (c.kind === "direct") return c.peer?.id ?? directPeer(c.id, self);
  return null;
}

/** The chats a message can be forwarded to: 1:1 chats and groups still open to this user. */
export function forwardTargets(self: string): ConversationSummary[] {
  return [...conversations.value]
    .filter((c) => c.kind === "direct" || (c.kind === "group" && !c.ended && !c.left && !isEnded(groupByConv(c.id))))
    .filter((c) => recipientOf(c, self))
    .sort((a, b) => (b.last?.at ?? 0) - (a.last?.at ?? 0));
}

export const canForward = (body: Body, own: boolean) => body.type === "text" || body.type === "location" || body.type === "image" || body.type === "video" || body.type === "audio" || (body.type === "file" && own);

export async function forward(body: Body, own: boolean, target: ConversationSummary, self: string): Promise<void> {
  const to = recipientOf(target, self);
  if (!to) return;
  if (!("media" in body) || own) {
    await queueMessage(target.id, to, body);
    return;
  }
  if (body.type === "file") return;
  const res = await fetch(mediaUrl(body.media), { credentials: "same-origin" });
  if (!res.ok) throw Object.assign(new Error("media unavailable"), { code: "media_not_found" });
  const blob = await res.blob();
  const thumb = body.type === "image" ? await scaleImage(blob) : undefined;
  await queueMedia(target.id, to, { blob, kind: body.type, ...(body.caption ? { caption: body.caption } : {}), ...(thumb ? { thumb } : {}) });
}
