import { DurableObject } from "cloudflare:workers";
import { groupOf, NATIVE_SOURCE } from "../core/conversation";
import { refusal, type Result } from "../core/errors";
import { type Account, type Body, type ClientFrame, type HubEvent, OWN_MAILBOX, type PersonHandle, type QuietHours, type Target, type User } from "../core/protocol";
import type { RemoteEvent, RemoteMail, StateReport } from "../worker/connectors/types";
import type { Env } from "../worker/env";
import type { DeliverInput, PresenceInput, PushSubscriptionKeys, QuietCopies, RoomEntry, SearchInput, SessionFilter, StatusInput, UserHubApi } from "./api";
import { Accounts } from "./user-hub/accounts";
import { Broadcasts } from "./user-hub/broadcast";
import { RemoteSends } from "./user-hub/remote-send";
import { Hub, Refused } from "./user-hub/context";
import { Feed } from "./user-hub/feed";
import { FeedActions } from "./user-hub/feed-actions";
import { Direct } from "./user-hub/direct";
import { Groups } from "./user-hub/groups";
import { History } from "./user-hub/history";
import { Mailboxes } from "./user-hub/mail";
import { MediaAccess } from "./user-hub/media";
import { Presence } from "./user-hub/presence";
import { Receipts } from "./user-hub/receipts";
import { SendLimit } from "./user-hub/send-limit";
import { type Accepted, SendLedger } from "./user-hub/sends";
import { attachmentOf, send } from "./user-hub/socket-io";
import { Sockets } from "./user-hub/sockets";
import { Typing } from "./user-hub/typing";
import { HubStore } from "./user-hub/store";
import type { MailFile } from "./user-hub/store/mail";
import { WebPush } from "./user-hub/web-push";
import { People } from "./user-hub/people";
import { Quiet } from "./user-hub/quiet";
import { Search } from "./user-hub/search";
import { countedSql } from "./call-count";
import { roomOf } from "./stubs";
import { Timelines } from "./user-hub/timeline";

/**
 * One per user (named by user id): the user's sockets, event log, history, receipts and
 * presence. This file is the lifecycle hooks and the RPC surface (api.ts); each concern
 * lives in its own module under user-hub/. Hot path rule: sending and delivering a message
 * never touches D1; the friend set is cached here and refreshed by the Worker.
 */
export class UserHub extends DurableObject<Env> implements UserHubApi {
  private hub: Hub;
  private sockets: Sockets;
  private presenceOf: Presence;
  private receipts: Receipts;
  private direct: Direct;
  private groups: Groups;
  private media: MediaAccess;
  private webPush: WebPush;
  private history: History;
  private sendLimit: SendLimit;
  private accounts: Accounts;
  private remote: RemoteSends;
  private broadcasts: Broadcasts;
  private typingOf: Typing;
  private feed: Feed;
  private feedActions: FeedActions;
  private mail: Mailboxes;
  private people: People;
  private searchOf: Search;
  private timelines: Timelines;
  private quiet: Quiet;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.hub = new Hub(ctx, () => this.env, new HubStore(countedSql(env, "UserHub", ctx.storage.sql)));
    this.presenceOf = new Presence(this.hub);
    this.sockets = new Sockets(this.hub, () => this.presenceOf.lastSocketGone());
    this.receipts = new Receipts(this.hub);
    const ledger = new SendLedger(this.hub);
    this.direct = new Direct(this.hub, ledger, this.receipts);
    this.groups = new Groups(this.hub, ledger, (id) => this.receipts.applyEarly(id));
    this.media = new MediaAccess(this.hub);
    this.quiet = new Quiet(this.hub);
    this.webPush = new WebPush(this.hub, this.quiet);
    this.history = new History(this.hub);
    this.sendLimit = new SendLimit(() => this.env.RATE_SENDS_PER_USER);
    this.accounts = new Accounts(this.hub, this.presenceOf);
    this.remote = new RemoteSends(this.hub, ledger);
    this.broadcasts = new Broadcasts(this.hub, (id, to, body) => this.sendTo(id, to, body));
    this.receipts.onRemoteRead((conv, ids) => this.accounts.read(conv, ids));
    this.typingOf = new Typing(this.hub);
    this.feed = new Feed(this.hub, this.accounts, this.remote);
    this.feedActions = new FeedActions(this.hub, this.remote);
    this.mail = new Mailboxes(this.hub, this.accounts, ledger);
    this.people = new People(this.hub);
    this.searchOf = new Search(this.hub, this.people);
    this.timelines = new Timelines(this.hub, this.remote);
    this.presenceOf.onChange((online) => {
      if (online) this.quiet.seen();
    });
    // Answered by the runtime without waking the object; must match the bare text
    // exactly, which is why the client's keepalive is "ping" and not JSON.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  // ---- lifecycle ---------------------------------------------------------------------

  /** The Worker hands over a socket it has authenticated (user and session in the headers). */
  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("X-Unibox-User") !== this.hub.me || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade from the Worker", { status: 400 });
    }
    const response = this.sockets.accept(request);
    this.hub.log("info", "socket.open", { sockets: this.ctx.getWebSockets().length });
    this.presenceOf.socketOpened();
    await this.hub.timers.schedule();
    return response;
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const { frame, id, refused } = this.sockets.parse(ws, message);
    try {
      if (refused) throw refused;
      await this.onFrame(ws, frame!);
    } catch (err) {
      if (err instanceof Refused) {
        return send(ws, { t: "error", ...(id ? { id } : {}), code: err.code, message: err.message, ...(err.retryAfterMs ? { retryAfterMs: err.retryAfterMs } : {}) });
      }
      this.hub.log("error", "hub.frame_failed", { frame: id ?? "-" }, err);
      send(ws, { t: "error", ...(id ? { id } : {}), code: "internal", message: "the server could not handle this frame; retry it" });
    }
  }

  private async onFrame(ws: WebSocket, frame: ClientFrame): Promise<void> {
    switch (frame.t) {
      case "hello":
        return this.sockets.hello(ws, frame);
      case "send":
        this.sendLimit.take();
        this.media.checkBody(frame.body);
        return send(ws, await this.sendTo(frame.id, frame.to, frame.body));
      case "broadcast":
        this.sendLimit.take();
        this.media.checkBody(frame.body);
        return send(ws, await this.broadcasts.send(frame.id, frame.to, frame.body));
      case "retry":
        return this.remote.retry(frame.msgId);
      case "ack":
        return this.receipts.ack(frame.seq);
      case "read":
        return await this.receipts.read(frame.conv, frame.msgIds);
      case "typing":
        return this.typingOf.from(frame.conv, frame.state);
    }
  }

  /** One send to one target, whatever it is; idempotent by client id. */
  private async sendTo(clientId: string, to: Target, body: Body): Promise<Accepted> {
    if ("person" in to) return this.sendTo(clientId, this.people.replyTarget(to.person, clientId), body);
    if ("contact" in to || "conv" in to) return this.remote.send(clientId, to, body);
    if ("network" in to) return this.remote.post(clientId, to, body);
    if ("post" in to) return this.feedActions.reply(clientId, to, body);
    if ("email" in to) return this.mail.send(clientId, to, body);
    if (body.type === "email") throw new Refused("unsupported_body", "an email goes to an address or a mail account");
    if ("user" in to) return this.direct.send(clientId, to.user, body);
    if ("group" in to) return this.groups.send(clientId, to.group, body);
    throw new Refused("unsupported_target", "this server cannot deliver to that target yet");
  }

  async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    this.hub.log("info", "socket.close", { code, device: attachmentOf(ws)?.device });
    // Since compatibility date 2026-04-07 the runtime answers the peer's Close frame
    // itself (web_socket_auto_reply_to_close), so there is nothing to reciprocate here.
    this.sockets.gone(ws);
    await this.hub.timers.schedule();
  }

  async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.hub.log("error", "hub.socket_error", {}, error);
    this.sockets.gone(ws);
    await this.hub.timers.schedule();
  }

  async alarm(): Promise<void> {
    try {
      await this.hub.timers.run();
    } catch (err) {
      this.hub.log("error", "hub.alarm_failed", {}, err);
      throw err; // the runtime retries alarms that throw
    } finally {
      await this.hub.timers.schedule();
    }
  }

  // ---- RPC (api.ts) ------------------------------------------------------------------

  async syncProfile(profile: User, friends: { user: User; since: number }[]) {
    this.presenceOf.syncProfile(profile, friends);
  }
  async deliver(input: DeliverInput) {
    return this.direct.deliver(input);
  }
  async receiveStatus(input: StatusInput) {
    // A read of a group message this hub has no copy of yet (sent on a room socket, its
    // digest not here yet): the copy first, so the ticks move now and not with the digest.
    const group = groupOf(input.conv);
    if (group && this.hub.store.messages.existing(input.msgIds).size < new Set(input.msgIds).size) await this.groups.catchUp([group]);
    this.receipts.receive(input);
  }
  async receivePresence(input: PresenceInput) {
    this.presenceOf.receive(input);
  }
  async groupDeliver(groupId: string, entries: RoomEntry[], quiet?: QuietCopies, receipts?: StatusInput) {
    this.groups.deliver(groupId, entries, quiet);
    if (receipts) this.receipts.receive(receipts);
    return this.receipts.groupAck(groupId);
  }
  async checkMedia(body: Body): Promise<Result> {
    try {
      this.media.checkBody(body);
      return { ok: true };
    } catch (err) {
      if (err instanceof Refused) return refusal(err.code, err.message);
      throw err;
    }
  }
  async friendAdded(user: User, since: number, event?: HubEvent) {
    this.presenceOf.friendAdded(user, since, event);
  }
  async friendRemoved(userId: string) {
    this.presenceOf.friendRemoved(userId);
  }
  async pushEvent(ev: HubEvent) {
    return this.hub.events.append(ev);
  }
  async presence() {
    return this.presenceOf.list();
  }
  async addPushSubscription(sub: PushSubscriptionKeys) {
    this.webPush.add(sub);
  }
  async removePushSubscription(endpoint: string) {
    return this.webPush.remove(endpoint);
  }
  async mediaUploaded(media: { id: string; type: string }) {
    this.media.uploaded(media);
  }
  async releaseUnsentMedia(ids: string[]) {
    return this.media.release(ids);
  }
  async canSeeMedia(mediaId: string) {
    return this.media.canSee(mediaId);
  }
  async listConversations() {
    await this.groups.catchUp();
    return this.history.conversations();
  }
  async listMessages(conv: string, before: number | undefined, limit: number) {
    const group = groupOf(conv);
    if (group && this.hub.store.groups.get(group)?.status === "active") await this.groups.catchUp([group]);
    return this.history.messages(conv, before, limit);
  }
  async endSessions(which: SessionFilter) {
    const closed = this.sockets.endSessions(which);
    // The same sessions' sockets to this user's groups close too.
    await Promise.allSettled(this.hub.store.groups.active().map((g) => roomOf(this.env, g).endSessions(this.hub.me, which)));
    await this.hub.timers.schedule();
    return closed;
  }
  async typing(input: { conv: string; from: string; state: "active" | "paused" }) {
    this.typingOf.to(input);
  }
  async accountBound(account: Account) {
    this.accounts.bound(account);
  }
  async accountRemoved(accountId: string) {
    this.accounts.removed(accountId);
  }
  async listAccounts() {
    return this.accounts.list();
  }
  async accountContacts(accountId: string) {
    return this.accounts.contacts(accountId);
  }
  async accountStatus(accountId: string, report: StateReport) {
    this.accounts.status(accountId, report);
  }
  async ingest(accountId: string, events: RemoteEvent[]) {
    return this.accounts.ingest(accountId, events);
  }
  async listPosts(account: string | undefined, before: number | undefined, limit: number) {
    return this.feed.page(account, before, limit);
  }
  async actOnPost(postId: string, action: "boost" | "like") {
    return this.feedActions.act(postId, action);
  }
  async hasMail(remoteId: string) {
    return this.mail.has(OWN_MAILBOX, remoteId);
  }
  async receiveMail(mail: RemoteMail) {
    const stored = this.mail.receive(OWN_MAILBOX, mail);
    return stored ? { id: stored.id } : { duplicate: true as const };
  }
  async listMail(account: string | undefined, before: number | undefined, limit: number) {
    return refusedAsResult(() => this.mail.page(account, before, limit));
  }
  async readMail(id: string) {
    return this.mail.read(id);
  }
  async markMailRead(id: string, read: boolean) {
    return this.mail.markRead(id, read);
  }
  async mailAttachment(id: string, media: string) {
    return this.mail.attachment(id, media);
  }
  async mailFileUploaded(file: MailFile) {
    this.mail.fileUploaded(file);
  }

  // ---- one inbox (issue 14) ----
  async listPeople() {
    return this.people.list();
  }
  async peopleSuggestions() {
    return this.people.suggestions();
  }
  async mergePeople(handles: PersonHandle[], name?: string, suggestion?: string) {
    return this.people.merge(handles, name, suggestion);
  }
  async splitPerson(id: string, handles?: PersonHandle[]) {
    return this.people.split(id, handles);
  }
  async dismissSuggestion(key: string) {
    this.people.dismiss(key);
  }
  async personMessages(id: string, before: string | undefined, limit: number) {
    const [at, pos] = (before ?? "").split(":").map(Number);
    return this.people.messages(id, before ? { at: at!, pos: pos! } : undefined, limit);
  }
  async search(input: SearchInput) {
    // Group messages are native: a search of other sources alone needs no rooms.
    if (!input.source || input.source === NATIVE_SOURCE) {
      const group = input.conv ? groupOf(input.conv) : undefined;
      if (group !== null) await this.groups.catchUp(group ? [group] : undefined);
    }
    return this.searchOf.find(input);
  }
  async messageTimeline(conv: string, msgId: string) {
    const group = groupOf(conv);
    if (group && !this.hub.store.messages.existing([msgId]).size) await this.groups.catchUp([group]);
    return this.timelines.of(conv, msgId);
  }
  async notifySettings() {
    return this.quiet.settings();
  }
  async setQuietHours(quiet: QuietHours | null) {
    return this.quiet.setQuiet(quiet);
  }
  async muteAll(until: number | null) {
    return this.quiet.muteAll(until);
  }
  async muteConversation(conv: string, until: number | null | "unmute") {
    return refusedAsResult(() => ({ settings: this.quiet.mute(conv, until) }));
  }
  async setClock(now: number) {
    this.quiet.setClock(now);
    await this.hub.timers.schedule();
  }
}

/** A hub refusal as an RPC result (a thrown error would lose its code crossing RPC). */
function refusedAsResult<T extends object>(fn: () => T): Result<T> {
  try {
    return { ok: true, ...fn() };
  } catch (err) {
    if (err instanceof Refused) return refusal(err.code, err.message);
    throw err;
  }
}
