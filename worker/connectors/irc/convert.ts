// IRC lines ↔ the common shape. Chat ids are folded names (casemap.ts): a channel's for a
// channel, the other person's nick for a private chat. IRC messages have no ids unless the
// server tags them (IRCv3 msgid), so we make one; the hub only needs it to be unique.
import type { Body } from "../../../core/protocol";
import type { RemoteChat, RemoteEvent } from "../types";
import { type CaseMapping, fold } from "./casemap";
import { type Line, nickOf, stripFormatting } from "./lines";

export type ChatContext = {
  nick: string;
  mapping: CaseMapping;
  /** ISUPPORT CHANTYPES: what a channel name starts with. */
  chantypes: string;
  /** ISUPPORT STATUSMSG: prefixes like "@#chan" (to a channel's operators only). */
  statusmsg: string;
};

export type Privmsg = { chat: RemoteChat; from: string; fromMe: boolean; text: string; ctcp?: { command: string; args: string }; at: number; msgid?: string; notice: boolean };

let counter = 0;

/** A made-up id for a message the server gave none: unique across sessions and restarts. */
export const localId = (): string => `t:${Date.now().toString(36)}-${(++counter).toString(36)}-${crypto.randomUUID().slice(0, 8)}`;

export function isChannel(name: string, ctx: ChatContext): boolean {
  return name.length > 1 && ctx.chantypes.includes(name[0]!);
}

export function chatFor(name: string, ctx: ChatContext): RemoteChat {
  return { id: fold(name, ctx.mapping), kind: isChannel(name, ctx) ? "group" : "direct", title: name };
}

/** A PRIVMSG or NOTICE from a person (server notices are left out); null otherwise. */
export function readPrivmsg(line: Line, ctx: ChatContext): Privmsg | null {
  if ((line.command !== "PRIVMSG" && line.command !== "NOTICE") || !line.prefix.includes("!")) return null;
  const from = nickOf(line.prefix);
  let target = line.params[0] ?? "";
  while (target.length > 1 && ctx.statusmsg.includes(target[0]!) && isChannel(target.slice(1), ctx)) target = target.slice(1);
  const raw = line.params[1] ?? "";
  const fromMe = fold(from, ctx.mapping) === fold(ctx.nick, ctx.mapping);
  // In a private chat the chat is the other person: the sender, or for our own echo the target.
  const chat = isChannel(target, ctx) ? chatFor(target, ctx) : chatFor(fromMe ? target : from, ctx);
  const time = line.tags.time ? Date.parse(line.tags.time) : NaN;
  const ctcp = /^\x01([A-Za-z]+) ?([^\x01]*)\x01?$/.exec(raw);
  return {
    chat,
    from,
    fromMe,
    text: stripFormatting(ctcp ? ctcp[2]! : raw),
    ...(ctcp ? { ctcp: { command: ctcp[1]!.toUpperCase(), args: ctcp[2]! } } : {}),
    at: Number.isFinite(time) ? time : Date.now(),
    msgid: line.tags.msgid || undefined,
    notice: line.command === "NOTICE",
  };
}

export function toMessage(m: Privmsg, ctx: ChatContext): RemoteEvent {
  // CTCP ACTION ("/me waves") reads as the classic "* nick waves".
  const text = m.ctcp?.command === "ACTION" ? `* ${m.from} ${m.text}` : m.text;
  return {
    type: "message",
    chat: m.chat,
    remoteId: m.msgid ? `m:${m.msgid}` : localId(),
    sender: { id: fold(m.from, ctx.mapping), name: m.from },
    fromMe: m.fromMe,
    body: { type: "text", text },
    at: m.at,
  };
}

/** The text a body goes out as; null for what IRC cannot carry (no media without an upload host). */
export function outboundText(body: Body): string | null {
  if (body.type === "text") return body.text;
  if (body.type === "location") return `https://www.openstreetmap.org/?mlat=${body.lat}&mlon=${body.lng}#map=16/${body.lat}/${body.lng}`;
  return null;
}
