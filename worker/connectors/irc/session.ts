// A live IRC session for the AccountLink: joins the account's channels, turns PRIVMSG and
// NOTICE into messages, and sends with flood control, split to fit the 512-byte line. IRC
// keeps no history, so the cursor is only the time we were last connected: a connect that
// has one says in each channel that what was said meanwhile is not shown.
//
// A send is confirmed by a PING after it: the server answers in order, so a refusal for
// the target (no such nick, cannot send to channel) arrives before the PONG or not at all.
import type { LinkIO, LiveHandlers, LiveSession, Outbound, RemoteContact, RemoteEvent, SendResult } from "../types";
import { caseMapping, fold } from "./casemap";
import type { Ended, IrcConnection } from "./connection";
import { type ChatContext, chatFor, outboundText, readPrivmsg, toMessage } from "./convert";
import { byteLength, formatLine, LINE_BYTES, type Line, nickOf, splitText } from "./lines";
import type { Welcome } from "./register";

export type Channel = { name: string; key?: string };

/** Numerics that refuse a PRIVMSG, with the target as their second parameter (RFC 2812 §5.2, Modern IRC). */
const SEND_REFUSALS = new Set(["401", "402", "403", "404", "407", "412", "477", "489", "486"]);
/** Numerics that refuse a JOIN (RFC 2812 §5.2). */
const JOIN_REFUSALS = new Set(["403", "405", "471", "473", "474", "475", "476", "477", "489"]);
const BARRIER_TIMEOUT_MS = 10_000;
/** When we do not know our own user@host yet: the longest a server is likely to show. */
const GUESSED_MASK = "x".repeat(10) + "@" + "x".repeat(63);

export class IrcSession implements LiveSession {
  readonly ended: Promise<Ended>;
  private ctx: ChatContext;
  private mask = GUESSED_MASK;
  private chain: Promise<void> = Promise.resolve();
  private sends: Promise<unknown> = Promise.resolve();
  private barriers = new Map<string, { target: string; refused?: string; done(): void }>();
  private pendingEchoes: { target: string; text: string }[] = [];
  private barrierCount = 0;
  private closing = false;

  constructor(private conn: IrcConnection, private welcome: Welcome, private channels: Channel[], private io: LinkIO, private on: LiveHandlers) {
    const isupport = welcome.isupport;
    this.ctx = { nick: welcome.nick, mapping: caseMapping(isupport.get("CASEMAPPING")), chantypes: isupport.get("CHANTYPES") || "#&", statusmsg: isupport.get("STATUSMSG") ?? "" };
    this.ended = conn.ended.then((e) => (this.closing ? { reason: "closed", kind: "transient" as const } : e));
    conn.onLine = (line) => this.onLine(line);
  }

  get nick(): string {
    return this.ctx.nick;
  }

  /** The contacts (our channels), the no-history notices when we were away, then JOIN. */
  async start(cursor: string | null): Promise<void> {
    const events: RemoteEvent[] = [{ type: "contacts", contacts: await this.contacts() }];
    if (cursor !== null) events.push(...this.channels.map((c) => noHistory(chatFor(c.name, this.ctx), Number(cursor))));
    await this.emit(events);
    for (const c of this.channels) await this.conn.send(c.key ? formatLine("JOIN", c.name, c.key) : formatLine("JOIN", c.name));
  }

  send(out: Outbound): Promise<SendResult> {
    const result = this.sends.then(() => this.sendNow(out));
    this.sends = result.catch(() => {});
    return result;
  }

  async contacts(): Promise<RemoteContact[]> {
    return this.channels.map((c) => ({ id: fold(c.name, this.ctx.mapping), name: c.name, group: "channels" }));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.emit([]).catch(() => {}); // the cursor says until when we were here
    await this.conn.close();
  }

  private async sendNow(out: Outbound): Promise<SendResult> {
    const target = out.chat;
    if (!/^[^\s,:\x00-\x1f][^\s,\x00-\x1f]{0,199}$/.test(target)) return { ok: false, code: "invalid_target", message: `${target} is not a nick or channel`, retryable: false };
    const text = outboundText(out.body);
    if (text === null) return { ok: false, code: "unsupported_body", message: `IRC carries text, not ${out.body.type}`, retryable: false };
    // What others receive is ":nick!user@host PRIVMSG target :text\r\n": all of it within 512 bytes.
    const room = LINE_BYTES - 2 - byteLength(`:${this.ctx.nick}!${this.mask} PRIVMSG ${target} :`);
    const pieces = splitText(text, room);
    if (!pieces.length) return { ok: false, code: "unsupported_body", message: "nothing to send", retryable: false };
    try {
      for (const piece of pieces) {
        if (this.welcome.caps.has("echo-message")) this.pendingEchoes.push({ target: fold(target, this.ctx.mapping), text: piece });
        await this.conn.send(formatLine("PRIVMSG", target, piece));
      }
      const refused = await this.barrier(target);
      if (refused) return { ok: false, code: "remote_refused", message: refused, retryable: false };
    } catch (e) {
      return { ok: false, code: "remote_unavailable", message: (e as Error).message, retryable: true };
    }
    return { ok: true, remoteId: out.key, at: Date.now() };
  }

  /** PING after the lines; resolves with the server's refusal for `target`, if one came first. */
  private async barrier(target: string): Promise<string | undefined> {
    const token = `unibox-${++this.barrierCount}`;
    let entry!: { target: string; refused?: string; done(): void };
    const answered = new Promise<void>((resolve) => (entry = { target: fold(target, this.ctx.mapping), done: resolve }));
    this.barriers.set(token, entry);
    try {
      await this.conn.send(formatLine("PING", token), true);
      await Promise.race([answered, this.conn.ended, new Promise((r) => setTimeout(r, BARRIER_TIMEOUT_MS))]);
    } finally {
      this.barriers.delete(token);
    }
    if (!this.conn.isOpen && !entry.refused) throw new Error("the connection closed before the server confirmed the message");
    return entry.refused;
  }

  private onLine(line: Line): void {
    const p = line.params;
    switch (line.command) {
      case "PRIVMSG":
      case "NOTICE":
        return this.onPrivmsg(line);
      case "PONG":
        return this.barriers.get(p.at(-1) ?? "")?.done();
      case "JOIN":
        if (this.isMe(line.prefix) && line.prefix.includes("!")) this.mask = line.prefix.slice(line.prefix.indexOf("!") + 1);
        return;
      case "NICK":
        if (this.isMe(line.prefix)) this.ctx.nick = p[0] ?? this.ctx.nick;
        return;
      case "KICK":
        if (fold(p[1] ?? "", this.ctx.mapping) === fold(this.ctx.nick, this.ctx.mapping)) this.notice(chatFor(p[0] ?? "", this.ctx), "irc.kicked", `${nickOf(line.prefix)} removed you from ${p[0]}${p[2] ? `: ${p[2]}` : ""}`);
        return;
    }
    if (SEND_REFUSALS.has(line.command)) this.onRefusal(line);
    if (JOIN_REFUSALS.has(line.command) && this.channels.some((c) => fold(c.name, this.ctx.mapping) === fold(p[1] ?? "", this.ctx.mapping))) {
      this.notice(chatFor(p[1]!, this.ctx), "irc.join-failed", `cannot join ${p[1]}: ${p.at(-1) ?? line.command}`);
    }
  }

  private onRefusal(line: Line): void {
    const target = fold(line.params[1] ?? "", this.ctx.mapping);
    for (const b of this.barriers.values()) if (b.target === target && !b.refused) b.refused = `${line.params[1]}: ${line.params.at(-1) ?? line.command} (${line.command})`;
  }

  private onPrivmsg(line: Line): void {
    const m = readPrivmsg(line, this.ctx);
    if (!m) return;
    if (m.ctcp && m.ctcp.command !== "ACTION") return this.answerCtcp(m.from, m.ctcp.command, m.ctcp.args, m.notice);
    if (m.fromMe && this.isOurEcho(m.chat.id, line.params[1] ?? "")) return;
    if (!m.text.trim()) return;
    this.emit([toMessage(m, this.ctx)]).catch(() => {});
  }

  /** echo-message sends our own lines back: the ones we sent are ours already, not news. */
  private isOurEcho(chatId: string, text: string): boolean {
    const i = this.pendingEchoes.findIndex((e) => e.target === chatId && e.text === text);
    if (i < 0) return false;
    this.pendingEchoes.splice(i, 1);
    return true;
  }

  /** CTCP queries people's clients send (VERSION, PING, TIME): answered, never shown. */
  private answerCtcp(from: string, command: string, args: string, isReply: boolean): void {
    if (isReply) return;
    const answer = command === "VERSION" ? "Unibox" : command === "PING" ? args : command === "TIME" ? new Date().toUTCString() : undefined;
    if (answer !== undefined) void this.conn.send(formatLine("NOTICE", from, `\x01${command} ${answer}\x01`)).catch(() => {});
  }

  private isMe(prefix: string): boolean {
    return fold(nickOf(prefix), this.ctx.mapping) === fold(this.ctx.nick, this.ctx.mapping);
  }

  private notice(chat: ReturnType<typeof chatFor>, key: string, text: string): void {
    this.emit([{ type: "notice", chat, key, text, at: Date.now() }]).catch(() => {});
  }

  /** One emit after another; the cursor is now, the last moment we know we were here. */
  private emit(events: RemoteEvent[]): Promise<void> {
    const step = this.chain.then(() => this.on.emit(events, String(Date.now())));
    this.chain = step.catch((e) => {
      this.io.log("irc.emit_failed", { why: String((e as Error)?.message ?? e) });
      this.conn.end({ reason: "events could not be stored", kind: "transient" });
    });
    return step;
  }
}

function noHistory(chat: ReturnType<typeof chatFor>, since: number): RemoteEvent {
  const when = Number.isFinite(since) && since > 0 ? ` since ${new Date(since).toISOString().replace("T", " ").slice(0, 16)} UTC` : "";
  return { type: "notice", chat, key: "irc.no-history", text: `IRC keeps no history: messages sent in ${chat.title} while Unibox was not connected${when} are not shown.`, at: Date.now() };
}
