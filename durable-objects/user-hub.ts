import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env";
import { hubOf, roomOf } from "./stubs";
import { newId } from "../core/ids";
import {
  type Body,
  type ClientFrame,
  type Group,
  type HubEvent,
  LIMITS,
  type Message,
  type ServerFrame,
  type User,
  clientFrame,
} from "../core/protocol";
import { directConversationId, directPeer, groupConversationId } from "../core/conversation";
import { describe } from "../worker/validate";
import { noticeFor } from "../worker/push/notice";
import { pushTopic, sendPush, type VapidKeys } from "../worker/push/web-push";
import type { RoomEntry } from "./group-room";
import { HubStore, type PushSub } from "./hub-store";

/** Per-socket state, kept in the socket attachment so it survives hibernation. */
type Attachment = { device: string; connectedAt: number; ready: boolean; activeAt: number };

/** A frame the hub refuses: becomes an `error` frame, never a closed socket. */
class FrameError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

type Accepted = Extract<ServerFrame, { t: "accepted" }>;

export type DeliverInput = { conv: string; msg: Message; from: User };
export type DeliverResult = { ok: true } | { ok: false; code: string; message: string };
export type StatusInput = { conv: string; msgIds: string[]; state: "delivered" | "read"; by: string; at: number };

/**
 * One per user: the user's sockets, event log, history, receipts and presence.
 * Hot path rule: sending and delivering a message never touches D1; the friend set
 * is cached here and refreshed by the Worker when a socket opens or a friendship changes.
 */
export class UserHub extends DurableObject<Env> {
  private store: HubStore;
  /** Per-conversation chains keep deliveries in send order while other frames interleave. */
  private chains = new Map<string, Promise<unknown>>();
  private flushing = false;
  private flushAgain = false;
  /** When the latest receipt per sender, conversation and state went or goes out (receiptSlot). */
  private lastReceipt = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new HubStore(ctx.storage.sql);
    // Answered by the runtime without waking the object; must match the bare text
    // exactly, which is why the client's keepalive is "ping" and not JSON.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  private get me(): string {
    const id = this.store.meta("user");
    if (!id) throw new Error("UserHub used before it knows its user");
    return id;
  }

  /** Every entry point names the user; the first one fixes the hub's identity. */
  private bind(userId: string): void {
    const known = this.store.meta("user");
    if (!known) this.store.setMeta("user", userId);
    else if (known !== userId) throw new Error(`UserHub for ${known} called as ${userId}`);
  }

  // ---- lifecycle: connect ----------------------------------------------------------

  /** Called by the Worker before it hands over a socket: who the user is and the friend set from D1. */
  async syncProfile(userId: string, profile: User, friends: { user: User; since: number }[]): Promise<void> {
    this.bind(userId);
    this.store.setMeta("profile", JSON.stringify(profile));
    this.store.replaceFriends(friends);
  }

  async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get("X-Unibox-User");
    if (!userId || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade from the Worker", { status: 400 });
    }
    this.bind(userId);
    const { 0: client, 1: server } = new WebSocketPair();
    const now = Date.now();
    const attachment: Attachment = { device: "unknown", connectedAt: now, ready: false, activeAt: now };
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(attachment);
    this.cameOnlineIfNeeded();
    await this.scheduleAlarm(); // the silent-socket check runs while any socket is open
    return new Response(null, { status: 101, webSocket: client });
  }

  // ---- lifecycle: frames -----------------------------------------------------------

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let frameId: string | undefined;
    this.touch(ws);
    try {
      if (typeof message !== "string") throw new FrameError("binary_frame", "frames are JSON text");
      if (message.length > LIMITS.frameBytes || new TextEncoder().encode(message).length > LIMITS.frameBytes) {
        throw new FrameError("frame_too_large", `frames are at most ${LIMITS.frameBytes} bytes`);
      }
      let raw: unknown;
      try {
        raw = JSON.parse(message);
      } catch {
        throw new FrameError("invalid_json", "the frame is not valid JSON");
      }
      frameId = idOf(raw);
      const parsed = clientFrame.safeParse(raw);
      if (!parsed.success) throw new FrameError("invalid_frame", describe(parsed.error));
      await this.onFrame(ws, parsed.data);
    } catch (err) {
      if (err instanceof FrameError) return send(ws, { t: "error", ...(frameId ? { id: frameId } : {}), code: err.code, message: err.message });
      console.error(`Error in UserHub webSocketMessage: user=${this.store.meta("user")} frame=${frameId ?? "-"}`, err);
      send(ws, { t: "error", ...(frameId ? { id: frameId } : {}), code: "internal", message: "the server could not handle this frame; retry it" });
    }
  }

  private async onFrame(ws: WebSocket, frame: ClientFrame): Promise<void> {
    switch (frame.t) {
      case "hello":
        return this.hello(ws, frame.resume ?? (frame.fresh ? this.store.headSeq : 0), frame.device);
      case "send":
        return this.sendFrame(ws, frame);
      case "broadcast":
        throw new FrameError("unsupported_target", "broadcast goes to bound accounts, and this user has none yet");
      case "ack":
        return this.ack(frame.seq);
      case "read":
        return this.read(frame.conv, frame.msgIds);
    }
  }

  /**
   * Replays every event after `resume`, then `ready`: nothing runs in between (all
   * synchronous). A fresh device resumes at the head, so it gets nothing but `ready`.
   */
  private hello(ws: WebSocket, resume: number, device = "unknown"): void {
    const head = this.store.headSeq;
    const reset = resume > head;
    for (const row of this.store.eventsAfter(reset ? 0 : resume)) {
      ws.send(`{"t":"ev","seq":${row.seq},"ev":${row.ev}}`);
    }
    const attachment: Attachment = { ...(ws.deserializeAttachment() as Attachment), device, ready: true };
    ws.serializeAttachment(attachment);
    send(ws, reset ? { t: "ready", head, reset: true } : { t: "ready", head });
  }

  // ---- sending a 1:1 message ---------------------------------------------------------

  private async sendFrame(ws: WebSocket, frame: Extract<ClientFrame, { t: "send" }>): Promise<void> {
    this.checkBody(frame.body);
    if ("user" in frame.to) return send(ws, await this.sendToUser(frame.id, frame.to.user, frame.body));
    if ("group" in frame.to) return send(ws, await this.sendToGroup(frame.id, frame.to.group, frame.body));
    throw new FrameError("unsupported_target", "this server delivers to Unibox users and groups; other targets need bound accounts");
  }

  /** Idempotent by client id: a retry gets the first answer and is never delivered twice. */
  async sendToUser(clientId: string, to: string, body: Body): Promise<Accepted> {
    const me = this.me;
    const done = this.finished(clientId);
    if (done) return done;
    if (to === me) throw new FrameError("invalid_target", "you cannot message yourself");
    // Cached friend set: no D1 on the hot path.
    const peer = this.store.friend(to);
    if (!peer) throw new FrameError("not_friend", "you can only message your friends");
    const conv = directConversationId(me, to);
    const { msgId, at } = this.reserve(clientId, conv);
    const msg: Message = { id: msgId, from: me, source: "unibox", body, at };

    return this.inOrder(conv, async () => {
      const again = this.store.send(clientId);
      if (again?.done) return { t: "accepted", id: clientId, msgId, conv, at } as const;
      // The recipient's hub holds it first, so our log never shows a message they lack.
      const result = await hubOf(this.env, to).deliver(to, { conv, msg, from: this.profile() });
      if (!result.ok) throw new FrameError(result.code, result.message);
      if (!this.store.hasMessage(msgId)) {
        this.store.ensureConversation({ id: conv, kind: "direct", source: "unibox", title: peer.displayName, peer }, at);
        this.appendAndPush({ type: "message", conv, msg }, (seq) => this.store.insertMessage(conv, msg, seq, true));
        for (const receipt of this.store.takeEarlyReceipts<StatusInput>(msgId)) this.applyStatus(me, receipt);
      }
      this.store.finishSend(clientId);
      return { t: "accepted", id: clientId, msgId, conv, at } as const;
    });
  }

  /** The first answer to a send that already went through, for a retry of it. */
  private finished(clientId: string): Accepted | undefined {
    const prior = this.store.send(clientId);
    return prior?.done ? { t: "accepted", id: clientId, msgId: prior.msg_id, conv: prior.conv, at: prior.at } : undefined;
  }

  /** The message id and time for a send: reserved on the first try, reused by every retry. */
  private reserve(clientId: string, conv: string): { msgId: string; at: number } {
    const prior = this.store.send(clientId);
    if (prior) return { msgId: prior.msg_id, at: prior.at };
    const reserved = { msgId: newId("m"), at: Date.now() };
    this.store.reserveSend(clientId, reserved.msgId, conv, reserved.at);
    return reserved;
  }

  /** Called by the sender's hub. Deduped by message id, so a retried delivery is harmless. */
  async deliver(self: string, input: DeliverInput): Promise<DeliverResult> {
    this.bind(self);
    if (this.store.hasMessage(input.msg.id)) return { ok: true };
    if (!this.store.isFriend(input.from.id)) return { ok: false, code: "not_friend", message: "you can only message your friends" };
    const peer = this.store.friend(input.from.id) ?? input.from;
    this.store.ensureConversation({ id: input.conv, kind: "direct", source: "unibox", title: peer.displayName, peer }, input.msg.at);
    this.appendAndPush({ type: "message", conv: input.conv, msg: input.msg }, (seq) => this.store.insertMessage(input.conv, input.msg, seq, false));
    return { ok: true };
  }

  /** Media bodies must name the sender's own upload of a fitting kind (checked here, no D1). */
  private checkBody(body: Body): void {
    if (body.type === "email") throw new FrameError("unsupported_body", "email bodies go to mail accounts, which this user has not bound");
    if (!("media" in body)) return;
    const kind = this.store.ownMediaKind(body.media);
    if (!kind) throw new FrameError("invalid_media", "that media is not one of your uploads");
    if (!MEDIA_FOR[body.type]!.includes(kind)) throw new FrameError("invalid_media", `a ${body.type} message cannot carry ${kind} media`);
  }

  // ---- media -------------------------------------------------------------------------

  /** Called by the upload route once R2 and D1 hold the upload. */
  async mediaUploaded(self: string, media: { id: string; type: string }): Promise<void> {
    this.bind(self);
    this.store.addOwnMedia(media.id, media.type);
  }

  /**
   * Whether a conversation of this user carries the media. A group's media stays visible
   * in its read-only history after the group ended, but not to a member who left.
   */
  async canSeeMedia(self: string, mediaId: string): Promise<boolean> {
    this.bind(self);
    if (this.store.ownMediaKind(mediaId)) return true;
    return this.store.convsWithMedia(mediaId).some((conv) => {
      if (conv.startsWith("d:")) return true;
      const status = this.store.group(conv.slice(2))?.status;
      return status === "active" || status === "ended";
    });
  }

  // ---- group messages ------------------------------------------------------------------

  /** Same guarantees as 1:1: idempotent by client id, `accepted` once the room and our hub hold it. */
  async sendToGroup(clientId: string, groupId: string, body: Body): Promise<Accepted> {
    const me = this.me;
    const done = this.finished(clientId);
    if (done) return done;
    // Cached membership: no D1 on the hot path (the room checks again).
    const group = this.store.group(groupId);
    if (!group || group.status === "left") throw new FrameError("group_not_found", "you are not in this group");
    if (group.status === "ended") throw new FrameError("group_ended", "this group has ended");
    const conv = groupConversationId(groupId);
    const { msgId, at } = this.reserve(clientId, conv);
    return this.inOrder(conv, async () => {
      const result = await roomOf(this.env, groupId).post(me, clientId, { id: msgId, body, at });
      if (!result.ok) throw new FrameError(result.code, result.message);
      this.store.finishSend(clientId);
      return { t: "accepted", id: clientId, msgId, conv, at } as const;
    });
  }

  /** Called by a group's room with entries in its log order; entries already seen are skipped. */
  async groupDeliver(self: string, groupId: string, entries: RoomEntry[]): Promise<void> {
    this.bind(self);
    const conv = groupConversationId(groupId);
    for (const entry of entries) {
      if (entry.seq <= this.store.groupRoomSeq(groupId)) continue;
      if (entry.kind === "message") this.groupMessage(conv, entry.msg);
      else this.groupEvent(groupId, conv, entry.ev);
      this.store.setGroupRoomSeq(groupId, entry.seq);
    }
  }

  private groupMessage(conv: string, m: Extract<RoomEntry, { kind: "message" }>["msg"]): void {
    if (this.store.hasMessage(m.id)) return;
    const msg: Message = { id: m.id, from: m.from, source: "unibox", body: m.body, at: m.at };
    this.appendAndPush({ type: "message", conv, msg }, (seq) => this.store.insertMessage(conv, msg, seq, m.from === this.me));
  }

  private groupEvent(groupId: string, conv: string, ev: HubEvent): void {
    if (ev.type === "group.invited") {
      this.store.joinGroup(groupId, ev.group.name, Date.now());
      this.store.ensureConversation({ id: conv, kind: "group", source: "unibox", title: groupTitle(ev.group, this.me) }, ev.group.createdAt);
    }
    if (ev.type === "group.member.left" && ev.user === this.me) this.store.setGroupStatus(groupId, "left");
    if (ev.type === "group.expired") this.store.setGroupStatus(groupId, "ended", ev.reason);
    this.appendAndPush(ev);
  }

  // ---- receipts --------------------------------------------------------------------

  /** A device stored everything up to `seq`: others' messages in that range are now delivered. */
  private ack(seq: number): void {
    if (seq > this.store.headSeq) throw new FrameError("invalid_ack", `seq ${seq} is past the head ${this.store.headSeq}`);
    const from = this.store.numberMeta("delivered");
    if (seq <= from) return;
    const delivered = this.store.receivedBetween(this.me, from, seq);
    this.store.setMeta("delivered", seq);
    this.notifySenders(delivered, "delivered");
  }

  private read(conv: string, msgIds: string[]): void {
    if (!this.store.hasConversation(conv)) throw new FrameError("not_found", "no such conversation");
    const found = this.store.messagesIn(conv, msgIds);
    if (found.length === 0) throw new FrameError("not_found", "none of these messages are in this conversation");
    this.store.markRead(conv, Math.max(...found.map((m) => m.pos)));
    const theirs = found.filter((m) => m.sender !== this.me).map((m) => ({ ...m, conv }));
    // Own devices learn the conversation was read, and how many are still unread after it:
    // a message that came in after the ids this device saw is not read by this.
    const unread = this.store.unread(conv, this.me);
    this.appendAndPush({ type: "status", conv, msgIds: theirs.map((m) => m.id), state: "read", by: this.me, at: Date.now(), unread });
    this.notifySenders(theirs, "read");
  }

  private notifySenders(msgs: { id: string; conv: string; sender: string }[], state: "delivered" | "read"): void {
    const groups = new Map<string, { peer: string; conv: string; ids: string[] }>();
    for (const m of msgs) {
      const key = `${m.sender}\n${m.conv}`;
      const g = groups.get(key) ?? { peer: m.sender, conv: m.conv, ids: [] };
      g.ids.push(m.id);
      groups.set(key, g);
    }
    const at = Date.now();
    let now = false;
    for (const g of groups.values()) {
      const until = this.receiptSlot(`${g.peer}\n${g.conv}\n${state}`, at);
      this.store.holdReceipt(g.peer, { conv: g.conv, msgIds: g.ids, state, by: this.me, at } satisfies StatusInput, until);
      now ||= until === at;
    }
    if (now) this.flushOutbox();
    else if (groups.size > 0) void this.scheduleAlarm();
  }

  /**
   * When a receipt for this sender, conversation and state goes out. The first one of a
   * while goes at once; those that follow within the hold window wait for its end and
   * leave together (the alarm sends them). A burst of acks or reads costs the sender's hub
   * two notifications, a lone receipt none of the wait. Kept in memory: after a restart
   * the next receipt simply goes at once.
   */
  private receiptSlot(key: string, at: number): number {
    const hold = Number(this.env.RECEIPT_HOLD_MS ?? 200);
    const last = this.lastReceipt.get(key);
    let until = at; // quiet for a while: at once
    if (last !== undefined && last > at) until = last; // one is held: join it
    else if (last !== undefined && at - last < hold) until = last + hold; // one just went: wait out the window
    if (this.lastReceipt.size > 1000) for (const [k, t] of this.lastReceipt) if (t + hold <= at) this.lastReceipt.delete(k);
    this.lastReceipt.set(key, until);
    return until;
  }

  /** Called by a recipient's hub: our messages were delivered or read. */
  async receiveStatus(self: string, input: StatusInput): Promise<void> {
    this.bind(self);
    // A fast reader's receipt can arrive while our own copy waits for `deliver` to return
    // (we write it after the recipient's). Keep it for that message; it applies once written.
    for (const id of this.store.inFlightSends(input.msgIds)) this.store.keepEarlyReceipt(id, { ...input, msgIds: [id] });
    this.applyStatus(self, input);
  }

  private applyStatus(self: string, input: StatusInput): void {
    const changed = this.store.raiseState(self, input.msgIds, input.state);
    // In a group every reader counts: who has read is shown, not just that someone did.
    const news = input.conv.startsWith("g:") && input.state === "read" ? this.store.addReadReceipts(self, input.msgIds, input.by, input.at) : changed;
    if (news.length > 0) this.appendAndPush({ type: "status", ...input, msgIds: news });
  }

  // ---- friends and presence ----------------------------------------------------------

  async friendAdded(self: string, user: User, since: number, event?: HubEvent): Promise<void> {
    this.bind(self);
    this.store.putFriend(user, since);
    if (event) this.appendAndPush(event);
    // Tell the new friend whether we are here right now.
    if (this.ctx.getWebSockets().length > 0) {
      this.store.enqueue(user.id, "presence", { user: self, online: true, at: Date.now() });
      this.flushOutbox();
    }
  }

  async friendRemoved(self: string, userId: string): Promise<void> {
    this.bind(self);
    this.store.removeFriend(userId);
    this.appendAndPush({ type: "friend.removed", user: userId });
  }

  async pushEvent(self: string, ev: HubEvent): Promise<number> {
    this.bind(self);
    return this.appendAndPush(ev);
  }

  async receivePresence(self: string, input: { user: string; online: boolean; at: number }): Promise<void> {
    this.bind(self);
    if (!this.store.isFriend(input.user)) return;
    this.store.setPresence(input.user, input.online, input.at);
    this.appendAndPush({ type: "presence", ...input });
  }

  async presence(self: string): Promise<Record<string, { online: boolean; seenAt: number | null }>> {
    this.bind(self);
    return this.store.presence();
  }

  // ---- Web Push ---------------------------------------------------------------------

  async addPushSubscription(self: string, sub: PushSub): Promise<void> {
    this.bind(self);
    this.store.addPushSub(sub, Date.now());
  }

  async removePushSubscription(self: string, endpoint: string): Promise<boolean> {
    this.bind(self);
    return this.store.removePushSub(endpoint);
  }

  /**
   * With no socket open, a message from someone else or a friend request goes to each of
   * the user's browsers as a Web Push, through the outbox: retried while the push service
   * is unreachable, dropped for a subscription it says is gone.
   */
  private notifyAway(ev: HubEvent): void {
    if (!this.vapid()) return;
    const notice = noticeFor(ev, this.me, {
      // Group members who are not friends are not cached here: their notice names the group only.
      person: (id) => this.store.friend(id)?.displayName,
      conversation: (id) => this.store.conversationTitle(id),
    });
    if (!notice) return;
    const subs = this.store.pushSubs();
    if (subs.length === 0) return;
    const topic = notice.type === "message" ? notice.conv : "friend-requests";
    for (const s of subs) this.store.enqueue(this.me, "push", { endpoint: s.endpoint, notice, topic });
    this.flushOutbox();
  }

  private vapid(): VapidKeys | undefined {
    const { VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey } = this.env;
    return publicKey && privateKey ? { publicKey, privateKey, subject: this.env.VAPID_SUBJECT ?? `mailto:push@${this.env.MAIL_DOMAIN}` } : undefined;
  }

  /** One push from the outbox. Throws to be retried; a push that cannot be delivered is dropped. */
  private async sendQueuedPush(payload: { endpoint: string; notice: unknown; topic: string }, attempts: number): Promise<void> {
    const sub = this.store.pushSub(payload.endpoint);
    const keys = this.vapid();
    if (!sub || !keys) return; // unsubscribed since, or push turned off
    const outcome = await sendPush(sub, JSON.stringify(payload.notice), keys, { topic: await pushTopic(payload.topic) });
    if (outcome === "gone") this.store.removePushSub(sub.endpoint);
    if (outcome === "rejected") console.warn(`UserHub push rejected by ${new URL(sub.endpoint).origin}: user=${this.me}`);
    if (outcome === "retry" && attempts < PUSH_ATTEMPTS) throw new Error(`push service ${new URL(sub.endpoint).origin} busy or unreachable`);
  }

  async isOnline(): Promise<boolean> {
    return this.store.meta("online") === "1";
  }

  /** The moment the user came online: account links open their upstream sessions here. */
  protected onCameOnline(): void {
    this.broadcastPresence(true);
  }

  /** The moment the grace period ran out with no socket: account links close here. */
  protected onWentOffline(): void {
    this.broadcastPresence(false);
  }

  private cameOnlineIfNeeded(): void {
    this.store.setMeta("offline_check", 0);
    if (this.store.meta("online") === "1") return;
    this.store.setMeta("online", 1);
    this.onCameOnline();
  }

  private broadcastPresence(online: boolean): void {
    const at = Date.now();
    for (const friend of this.store.friendIds()) this.store.enqueue(friend, "presence", { user: this.me, online, at });
    this.flushOutbox();
  }

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Since compatibility date 2026-04-07 the runtime answers the peer's Close frame
    // itself (web_socket_auto_reply_to_close), so there is nothing to reciprocate here.
    this.socketGone(ws);
  }

  async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    console.error(`Error in UserHub webSocketError: user=${this.store.meta("user")}`, error);
    this.socketGone(ws);
  }

  private socketGone(closing: WebSocket): void {
    const live = this.ctx.getWebSockets().filter((ws) => ws !== closing && ws.readyState === WebSocket.OPEN);
    if (live.length > 0) return;
    this.store.setMeta("offline_check", Date.now() + this.graceMs());
    void this.scheduleAlarm();
  }

  async alarm(): Promise<void> {
    try {
      const now = Date.now();
      this.reapSilentSockets(now);
      const check = this.store.numberMeta("offline_check");
      if (check && check <= now && this.ctx.getWebSockets().length === 0) {
        this.store.setMeta("offline_check", 0);
        if (this.store.meta("online") === "1") {
          this.store.setMeta("online", 0);
          this.onWentOffline();
        }
      }
      await this.flushOutboxNow();
    } catch (err) {
      console.error(`Error in UserHub alarm: user=${this.store.meta("user")}`, err);
      throw err; // the runtime retries alarms that throw
    } finally {
      await this.scheduleAlarm();
    }
  }

  /** Any frame proves the socket alive; written at most a few times per grace period. */
  private touch(ws: WebSocket): void {
    const a = ws.deserializeAttachment() as Attachment;
    const now = Date.now();
    if (now - a.activeAt > this.graceMs() / 4) ws.serializeAttachment({ ...a, activeAt: now });
  }

  /**
   * A phone that vanished without a Close frame goes silent: no `ping` (answered by the
   * runtime, so only its timestamp tells) and no frames. Close it after the grace period.
   */
  private reapSilentSockets(now: number): void {
    for (const ws of this.ctx.getWebSockets()) {
      const a = ws.deserializeAttachment() as Attachment;
      const lastPing = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      if (now - Math.max(lastPing, a.activeAt) > this.graceMs()) {
        ws.close(1001, "no keepalive");
        this.socketGone(ws);
      }
    }
  }

  private async scheduleAlarm(): Promise<void> {
    const times = [this.store.numberMeta("offline_check") || Infinity, this.store.nextOutboxAt() ?? Infinity];
    // While sockets are open, look in once per grace period for ones that went silent.
    if (this.ctx.getWebSockets().length > 0) times.push(Date.now() + this.graceMs());
    const next = Math.min(...times);
    if (next === Infinity) return this.ctx.storage.deleteAlarm();
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next || current < Date.now()) await this.ctx.storage.setAlarm(next);
  }

  private graceMs(): number {
    return Number(this.env.PRESENCE_GRACE_SECONDS ?? 60) * 1000;
  }

  // ---- history (served to the Worker's HTTP routes) ----------------------------------

  async listConversations(self: string) {
    this.bind(self);
    return this.store.conversations(self);
  }

  async listMessages(self: string, conv: string, before: number | undefined, limit: number) {
    this.bind(self);
    if (this.store.hasConversation(conv)) return this.store.page(conv, before, limit);
    // A friend you have not written to yet: the conversation exists, it is just empty.
    const peer = directPeer(conv, self);
    return peer && this.store.isFriend(peer) ? { messages: [] } : null;
  }

  // ---- internals -----------------------------------------------------------------------

  /** Writes the event (and whatever goes with it) before any device sees it, then pushes. */
  private appendAndPush(ev: HubEvent, withIt?: (seq: number) => void): number {
    const seq = this.store.append(ev);
    withIt?.(seq);
    const frame = JSON.stringify({ t: "ev", seq, ev });
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) {
      if ((ws.deserializeAttachment() as Attachment | null)?.ready) trySend(ws, frame);
    }
    // A socket that is open but not ready yet gets this in its replay; none at all: push.
    if (sockets.length === 0) this.notifyAway(ev);
    return seq;
  }

  private profile(): User {
    const p = this.store.meta("profile");
    return p ? (JSON.parse(p) as User) : { id: this.me, handle: this.me, address: "", displayName: this.me };
  }

  private inOrder<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }

  private flushOutbox(): void {
    void this.flushOutboxNow().catch((err) => console.error(`Error in UserHub flushOutbox: user=${this.store.meta("user")}`, err));
  }

  /**
   * One flush at a time. A row enqueued while a flush awaits a peer (a read right after its
   * ack, say) sets `flushAgain`, and the running flush goes round once more for it rather
   * than leaving it to the alarm.
   */
  private async flushOutboxNow(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        for (const row of this.store.dueOutbox(Date.now())) {
          try {
            const payload = JSON.parse(row.payload);
            if (row.kind === "push") await this.sendQueuedPush(payload, row.attempts + 1);
            else if (row.kind === "status") await hubOf(this.env, row.peer).receiveStatus(row.peer, payload);
            else await hubOf(this.env, row.peer).receivePresence(row.peer, payload);
            this.store.outboxDone(row.id);
          } catch (err) {
            const attempts = row.attempts + 1;
            console.error(`UserHub outbox retry: user=${this.store.meta("user")} peer=${row.peer} kind=${row.kind} attempt=${attempts}`, err);
            this.store.outboxRetry(row.id, attempts, Date.now() + Math.min(60_000, 500 * 2 ** attempts));
          }
        }
      } while (this.flushAgain);
    } finally {
      this.flushing = false;
      await this.scheduleAlarm();
    }
  }
}

/** A group without a name is called after its members, as messengers do. */
function groupTitle(group: Group, me: string): string {
  if (group.name) return group.name;
  const others = group.members.filter((m) => m.id !== me).map((m) => m.displayName);
  return others.slice(0, 3).join(", ") + (others.length > 3 ? ` +${others.length - 3}` : "");
}

/** A push the push service keeps refusing with 429/5xx is dropped after this many tries. */
const PUSH_ATTEMPTS = 5;

/** Which uploaded kinds a body type may carry. */
const MEDIA_FOR: Record<string, string[]> = { image: ["image"], audio: ["audio", "video"], video: ["audio", "video"], file: ["image", "audio", "video"] };

function idOf(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === "string" && id.length > 0 && id.length <= LIMITS.clientIdChars ? id : undefined;
}

function send(ws: WebSocket, frame: ServerFrame): void {
  trySend(ws, JSON.stringify(frame));
}

function trySend(ws: WebSocket, data: string): void {
  try {
    ws.send(data);
  } catch {
    // The socket closed under us; its close handler does the bookkeeping.
  }
}
