// What a push notification says: built from a hub event for a user with no open socket.
// The service worker (client/sw/sw.js) turns it into the notification; the wording of
// media kinds is the client's, so it can be in the phone's language.
import type { HubEvent, PushNotice } from "../../core/protocol";
import { conversationKind } from "../../core/conversation";

export type { PushNotice };

/** Previews are cut here: a notification shows two lines, and the payload must stay small. */
export const PREVIEW_CHARS = 140;

export type Names = { person(id: string): string | undefined; conversation(id: string): string | undefined };

/** The notice for an event, or null when the event is not worth waking a phone for. */
export function noticeFor(ev: HubEvent, me: string, names: Names): PushNotice | null {
  if (ev.type === "friend.request") {
    const text = preview(ev.request.message ?? undefined);
    return { v: 1, type: "friend.request", title: ev.request.from.displayName, ...(text ? { text } : {}), at: ev.request.at };
  }
  if (ev.type === "mail") {
    // Mail the user sent from another device is not news; mail that arrived is.
    if (ev.mail.sent) return null;
    const text = preview(ev.mail.subject);
    return { v: 1, type: "mail", mail: ev.mail.id, account: ev.mail.account, title: preview(ev.mail.from.name || ev.mail.from.address) ?? "Mail", ...(text ? { text } : {}), at: ev.mail.at };
  }
  if (ev.type !== "message" || ev.msg.from === me) return null;
  const body = ev.msg.body;
  const text = preview(body.type === "text" ? body.text : "caption" in body ? body.caption : body.type === "location" ? body.label : undefined);
  const sender = names.person(ev.msg.from);
  const title = conversationKind(ev.conv) === "group" ? [sender, names.conversation(ev.conv) ?? "Group"].filter(Boolean).join(" · ") : (sender ?? names.conversation(ev.conv) ?? "Unibox");
  return { v: 1, type: "message", conv: ev.conv, title, kind: body.type, ...(text ? { text } : {}), at: ev.msg.at };
}

/** At most PREVIEW_CHARS characters (whole code points), with an ellipsis when cut. */
function preview(s: string | undefined): string | undefined {
  const trimmed = s?.trim();
  if (!trimmed) return undefined;
  const chars = [...trimmed];
  return chars.length <= PREVIEW_CHARS ? trimmed : `${chars.slice(0, PREVIEW_CHARS - 1).join("")}…`;
}
