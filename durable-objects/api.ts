// The Durable Objects' RPC surfaces, declared apart from the classes that implement them,
// so callers (the Worker, other objects) depend on these shapes and not on the classes:
// no import cycle, type-only ones included. Each class says `implements` its interface.
import type { Result } from "../core/errors";
import type { Account, Body, ConversationSummary, DeliveryState, Mail, MailAttachment, MailSummary, MergeSuggestion, NotifySettings, Person, PersonHandle, Post, HubEvent, Message, QuietHours, ReceiptState, RemoteContact, StoredMessage, TimelineStep, User } from "../core/protocol";
import type { AccountRef, RemoteEvent, RemoteMail, SendResult, StateReport, TextLimits } from "../worker/connectors/types";

// ---- UserHub ---------------------------------------------------------------------------

/** A conversation's messages in order; `msg` alone is the shape from before batches. */
export type DeliverInput = { conv: string; from: User } & ({ msgs: Message[] } | { msg: Message });
export type StatusInput = { conv: string; msgIds: string[]; state: ReceiptState; by: string; at: number };
export type PresenceInput = { user: string; online: boolean; at: number };
export type PresenceMap = Record<string, { online: boolean; seenAt: number | null }>;
export type PushSubscriptionKeys = { endpoint: string; p256dh: string; auth: string };
export type MessagesPage = { messages: StoredMessage[]; before?: string };
/** Which sockets to close: those of these sessions, or of every session but one (or all). */
export type SessionFilter = { only: string[] } | { except?: string };

export interface UserHubApi {
  /** The Worker, before handing over a socket: the profile and friend set from D1. */
  syncProfile(profile: User, friends: { user: User; since: number }[]): Promise<void>;
  /** Another user's hub: 1:1 messages for this user, in order (those sent while one was on its way go together). */
  deliver(input: DeliverInput): Promise<Result>;
  /** A recipient's hub: this user's messages were delivered or read. */
  receiveStatus(input: StatusInput): Promise<void>;
  /** A friend's hub: they came online or went offline. */
  receivePresence(input: PresenceInput): Promise<void>;
  /**
   * A group's room: entries of its log, in order. The answer carries the `delivered`
   * receipts this user's devices gave for the group since (held for the room), so a busy
   * group's receipts cost no call of their own. `quiet` entries are held by this user's
   * devices already (room sockets): stored (history, search, unread), not logged or pushed.
   * `receipts`: this user's own messages delivered, applied after the entries.
   */
  groupDeliver(groupId: string, entries: RoomEntry[], quiet?: QuietCopies, receipts?: StatusInput): Promise<GroupAck>;
  /**
   * A group's room, before it takes a media send from this user's room socket: whether
   * the body's media is this user's own upload of a fitting kind.
   */
  checkMedia(body: Body): Promise<Result>;
  friendAdded(user: User, since: number, event?: HubEvent): Promise<void>;
  friendRemoved(userId: string): Promise<void>;
  /** Appends an event to this user's log and pushes it; returns its seq. */
  pushEvent(ev: HubEvent): Promise<number>;
  presence(): Promise<PresenceMap>;
  addPushSubscription(sub: PushSubscriptionKeys): Promise<void>;
  removePushSubscription(endpoint: string): Promise<boolean>;
  mediaUploaded(media: { id: string; type: string }): Promise<void>;
  canSeeMedia(mediaId: string): Promise<boolean>;
  /** The unsent-upload sweep: forgets those of these uploads nothing of this user carries, and says which. */
  releaseUnsentMedia(ids: string[]): Promise<{ released: string[]; carried: string[] }>;
  listConversations(): Promise<ConversationSummary[]>;
  listMessages(conv: string, before: number | undefined, limit: number): Promise<MessagesPage | null>;
  /** A friend is typing in our conversation (ephemeral: to open sockets only). */
  typing(input: { conv: string; from: string; state: "active" | "paused" }): Promise<void>;
  /** Closes the sockets of ended sessions (sign-out, sign-out elsewhere, password change). */
  endSessions(which: SessionFilter): Promise<number>;

  // ---- bound accounts (user-hub/accounts.ts) ----
  /** The Worker bound an account for this user. */
  accountBound(account: Account): Promise<void>;
  /** The Worker removed an account: its link is gone, its conversations stay read-only. */
  accountRemoved(accountId: string): Promise<void>;
  listAccounts(): Promise<Account[]>;
  accountContacts(accountId: string): Promise<RemoteContact[] | null>;
  /** The account's link: its state changed. */
  accountStatus(accountId: string, report: StateReport): Promise<void>;
  /** The account's link: what the network said. Resolves once stored; the link then moves its cursor. */
  ingest(accountId: string, events: RemoteEvent[]): Promise<Result>;
  /** The Social tab's feed, newest first. */
  listPosts(account: string | undefined, before: number | undefined, limit: number): Promise<{ posts: Post[]; before?: string }>;
  /** Boost or like a post of the feed through its account's link; remembered on the post. */
  actOnPost(postId: string, action: "boost" | "like"): Promise<Result<{ url?: string }>>;

  // ---- mail (user-hub/mail.ts) ----
  /** The Worker's email(): whether the own address has this mail already (by its mailId). */
  hasMail(remoteId: string): Promise<boolean>;
  /** The Worker's email(): a mail to the own address, its attachments already in R2. */
  receiveMail(mail: RemoteMail): Promise<{ id: string } | { duplicate: true }>;
  /** The Mail tab, newest first; `account` an account id or `own`. */
  listMail(account: string | undefined, before: number | undefined, limit: number): Promise<Result<{ mails: MailSummary[]; before?: string }>>;
  readMail(id: string): Promise<Mail | null>;
  /** False when there is no such mail. */
  markMailRead(id: string, read: boolean): Promise<boolean>;
  /** The attachment `media` of mail `id`, if it carries it (what a download serves). */
  mailAttachment(id: string, media: string): Promise<MailAttachment | null>;
  /** The upload route kept a file for a mail's compose. */
  mailFileUploaded(file: { id: string; filename: string; mime: string; size: number }): Promise<void>;

  // ---- one inbox (issue 14): people, search, delivery timeline, quiet hours ----
  listPeople(): Promise<Person[]>;
  peopleSuggestions(): Promise<MergeSuggestion[]>;
  mergePeople(handles: PersonHandle[], name?: string, suggestion?: string): Promise<Result<{ person: Person }>>;
  /** Takes handles out of a person (all: the person is gone); conversations are untouched. */
  splitPerson(id: string, handles?: PersonHandle[]): Promise<Result<{ person: Person | null }>>;
  dismissSuggestion(key: string): Promise<void>;
  /** A person's conversations merged in time order; `before` is "at:pos". Null: no such person. */
  personMessages(id: string, before: string | undefined, limit: number): Promise<{ person: Person; messages: StoredMessage[]; before?: string } | null>;
  search(input: SearchInput): Promise<Result<{ hits: SearchHit[]; before?: string }>>;
  /** An own message's steps with times; null when it is not this user's message in that conversation. */
  messageTimeline(conv: string, msgId: string): Promise<MessageTimeline | null>;
  notifySettings(): Promise<NotifySettings>;
  setQuietHours(quiet: QuietHours | null): Promise<NotifySettings>;
  muteAll(until: number | null): Promise<NotifySettings>;
  muteConversation(conv: string, until: number | null | "unmute"): Promise<Result<{ settings: NotifySettings }>>;
  /** Tests only (the route checks CLOCK_CONTROL): the hub's clock for quiet hours. */
  setClock(now: number): Promise<void>;
}

export type SearchInput = { q: string; source?: string; person?: string; conv?: string; from?: number; to?: number; before?: string; limit?: number };
export type SearchHit = { message?: StoredMessage; mail?: MailSummary; title: string; snippet: string; person?: string };
export type MessageTimeline = { msgId: string; conv: string; state: DeliveryState; steps: TimelineStep[]; readBy?: string[] };

// ---- AccountLink -----------------------------------------------------------------------

export type LinkInit = { account: AccountRef; credentials: Record<string, unknown> };
export type LinkSend = { key: string; chat: string; body: Body; replyTo?: string; split?: boolean; references?: string[] };
export type LinkStatus = { state: StateReport; live: boolean; wanted: "open" | "closed"; cursor: string | null };

export interface AccountLinkApi {
  /** Verifies the credentials against the network and, only if they work, keeps them sealed. */
  bind(init: LinkInit): Promise<Result<{ remote: string; limits?: TextLimits }>>;
  /** New credentials for a bound account (after bad_credentials). */
  rebind(credentials: Record<string, unknown>): Promise<Result<{ remote: string }>>;
  /** Closes the session, tells the network (e.g. deleteWebhook) and forgets everything. */
  unbind(): Promise<void>;
  /** The owner came online / went offline: hold the upstream session only while they are here. */
  open(): Promise<void>;
  close(): Promise<void>;
  send(out: LinkSend): Promise<SendResult>;
  markRead(chat: string, remoteIds: string[]): Promise<void>;
  contacts(): Promise<RemoteContact[]>;
  /** Boost or like a post by its remote id (the feed's actions), where the network has them. */
  act(action: "boost" | "like", remoteId: string): Promise<SendResult>;
  /** One poll now (Cron → Queue → here). Returns when the link wants the next one. */
  poll(): Promise<{ nextAt: number | null }>;
  status(): Promise<LinkStatus>;
}

// ---- GroupRoom -------------------------------------------------------------------------

export type RoomEntry =
  | { seq: number; kind: "message"; msg: { id: string; from: string; body: Body; at: number } }
  | { seq: number; kind: "event"; ev: HubEvent };

/** Which entries of a delivery are quiet: up to `upTo`, and with `own` the user's own messages. */
export type QuietCopies = { upTo: number; own: boolean };

/** A member hub's answer to a delivery: ids of the group's messages its devices now hold. */
export type GroupAck = { delivered: string[]; by: string; at: number } | null;

export type RoomInit = { id: string; name: string | null; owner: string; ttlHours: number; createdAt: number; members: User[] };

export interface GroupRoomApi {
  create(init: RoomInit): Promise<Result>;
  /** Answers with the message id and time stored for this (sender, client id): a retry's are the first try's. */
  post(sender: string, clientId: string, msg: { id: string; body: Body; at: number }): Promise<Result<{ msgId: string; at: number }>>;
  addMembers(by: string, users: User[]): Promise<Result>;
  leave(userId: string): Promise<Result>;
  end(by: string): Promise<Result>;
  info(): Promise<{ state: string; head: number; members: string[] }>;
  /**
   * A member's devices hold these messages. The room tells each sender once per message
   * (only the first `delivered` changes anything), at most once per window per sender.
   */
  delivered(by: string, msgIds: string[], at: number): Promise<void>;
  /** The member's hub wants its copy now (a `read` of messages it does not hold yet). */
  catchUp(userId: string): Promise<void>;
  /** Closes the member's room sockets of ended sessions, as the hub does with its own. */
  endSessions(userId: string, which: SessionFilter): Promise<number>;
}

// ---- RateLimiter -----------------------------------------------------------------------

export interface RateLimiterApi {
  hit(limit: number, windowSeconds: number): Promise<{ allowed: boolean; retryAfter: number }>;
  /** GET /api/health: a Durable Object answers. */
  ping(): Promise<true>;
  reset(): Promise<void>;
}

export type UserHubRpc = UserHubApi & Rpc.DurableObjectBranded;
export type GroupRoomRpc = GroupRoomApi & Rpc.DurableObjectBranded;
export type RateLimiterRpc = RateLimiterApi & Rpc.DurableObjectBranded;
export type AccountLinkRpc = AccountLinkApi & Rpc.DurableObjectBranded;
