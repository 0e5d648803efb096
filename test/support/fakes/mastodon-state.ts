// What a Mastodon instance knows: accounts, follows, statuses, home feeds, notifications
// and media, with the rules that decide who sees what (Mastodon's StatusPolicy and
// FanOutOnWriteService / FeedManager, as the docs describe them).
import {
  type AccountRow,
  type Lookup,
  MENTION,
  type MediaRow,
  type NotificationRow,
  type NotificationType,
  type StatusRow,
  type Visibility,
} from "./mastodon-entities";

export type Listener = {
  onHome(accountId: string, statusId: string): void;
  onNotification(row: NotificationRow): void;
};

export class MastodonState {
  readonly accounts = new Map<string, AccountRow>();
  readonly statuses = new Map<string, StatusRow>();
  readonly media = new Map<string, MediaRow>();
  readonly notifications: NotificationRow[] = [];
  /** Status ids in each account's home feed, in insertion order. */
  readonly home = new Map<string, string[]>();
  private seq = 0;
  private notificationSeq = 30_000;
  private accountSeq = 100;
  listener: Listener | undefined;

  constructor(private now: () => number) {}

  /** Snowflake-like ids, as Mastodon makes them: milliseconds << 16 plus a sequence. */
  nextId(): string {
    return ((BigInt(this.now()) << 16n) | BigInt(++this.seq & 0xffff)).toString();
  }

  addAccount(username: string, displayName: string): AccountRow {
    if (this.byUsername(username)) throw new Error(`account ${username} exists`);
    const day = new Date(this.now()).toISOString().slice(0, 10);
    const row: AccountRow = { id: String(++this.accountSeq), username, displayName, createdAt: `${day}T00:00:00.000Z`, statuses: 0, lastStatusAt: null, followers: new Set(), following: new Set() };
    this.accounts.set(row.id, row);
    this.home.set(row.id, []);
    return row;
  }

  byUsername(name: string): AccountRow | undefined {
    for (const a of this.accounts.values()) if (a.username.toLowerCase() === name.toLowerCase()) return a;
    return undefined;
  }

  follow(follower: AccountRow, followee: AccountRow): void {
    if (follower.following.has(followee.id)) return;
    follower.following.add(followee.id);
    followee.followers.add(follower.id);
    this.notify(followee.id, "follow", follower.id, null);
  }

  /** Local accounts named with @ in the text, as ProcessMentionsService finds them. */
  mentionsIn(text: string): AccountRow[] {
    const found = new Map<string, AccountRow>();
    for (const m of text.matchAll(MENTION)) {
      const who = this.byUsername(m[2]!);
      if (who) found.set(who.id, who);
    }
    return [...found.values()];
  }

  createStatus(author: AccountRow, input: { text: string; spoilerText: string; visibility: Visibility; sensitive: boolean; inReplyTo: StatusRow | null; mediaIds: string[]; application: string }): StatusRow {
    const mentions = this.mentionsIn(input.text).filter((a) => a.id !== author.id);
    const row: StatusRow = {
      id: this.nextId(),
      accountId: author.id,
      text: input.text,
      spoilerText: input.spoilerText,
      visibility: input.visibility,
      sensitive: input.sensitive || input.spoilerText !== "",
      inReplyToId: input.inReplyTo?.id ?? null,
      inReplyToAccountId: input.inReplyTo?.accountId ?? null,
      mentions: mentions.map((a) => a.id),
      mediaIds: input.mediaIds,
      reblogOf: null,
      createdAt: new Date(this.now()).toISOString(),
      favouritedBy: new Set(),
      rebloggedBy: new Set(),
      replies: 0,
      application: input.application,
    };
    this.statuses.set(row.id, row);
    for (const id of input.mediaIds) this.media.get(id)!.statusId = row.id;
    if (input.inReplyTo) input.inReplyTo.replies++;
    this.counted(author);
    this.fanOut(row, author);
    for (const m of mentions) this.notify(m.id, "mention", author.id, row.id);
    return row;
  }

  reblog(booster: AccountRow, original: StatusRow): StatusRow {
    const existing = [...this.statuses.values()].find((s) => s.reblogOf === original.id && s.accountId === booster.id);
    if (existing) return existing;
    const row: StatusRow = { ...this.createStatusShell(booster), reblogOf: original.id, visibility: "public" };
    this.statuses.set(row.id, row);
    original.rebloggedBy.add(booster.id);
    this.counted(booster);
    this.fanOut(row, booster);
    if (original.accountId !== booster.id) this.notify(original.accountId, "reblog", booster.id, original.id);
    return row;
  }

  favourite(who: AccountRow, s: StatusRow): void {
    if (s.favouritedBy.has(who.id)) return;
    s.favouritedBy.add(who.id);
    if (s.accountId !== who.id) this.notify(s.accountId, "favourite", who.id, s.id);
  }

  /** StatusPolicy#show?: public and unlisted to anyone, private to followers, direct to the mentioned. */
  canSee(viewerId: string | null, s: StatusRow): boolean {
    if (s.reblogOf) return this.canSee(viewerId, this.statuses.get(s.reblogOf)!);
    if (s.visibility === "public" || s.visibility === "unlisted") return true;
    if (!viewerId) return false;
    if (viewerId === s.accountId) return true;
    if (s.visibility === "private") return this.accounts.get(s.accountId)!.followers.has(viewerId);
    return s.mentions.includes(viewerId);
  }

  /** StatusPolicy#reblog?: not direct, and private only by its author. */
  canReblog(viewerId: string, s: StatusRow): boolean {
    return s.visibility !== "direct" && (s.visibility !== "private" || s.accountId === viewerId) && this.canSee(viewerId, s);
  }

  lookup(origin: string): Lookup {
    return {
      origin,
      host: new URL(origin).host,
      account: (id) => this.accounts.get(id)!,
      status: (id) => this.statuses.get(id)!,
      media: (id) => this.media.get(id)!,
      byUsername: (name) => this.byUsername(name),
      now: this.now,
    };
  }

  private createStatusShell(author: AccountRow): StatusRow {
    return {
      id: this.nextId(), accountId: author.id, text: "", spoilerText: "", visibility: "public", sensitive: false,
      inReplyToId: null, inReplyToAccountId: null, mentions: [], mediaIds: [], reblogOf: null,
      createdAt: new Date(this.now()).toISOString(), favouritedBy: new Set(), rebloggedBy: new Set(), replies: 0, application: "Web",
    };
  }

  private counted(author: AccountRow): void {
    author.statuses++;
    author.lastStatusAt = new Date(this.now()).toISOString().slice(0, 10);
  }

  /**
   * FanOutOnWriteService: the author's own feed, then every follower for public, unlisted
   * and private; for direct only the mentioned accounts that follow the author.
   * FeedManager keeps a reply to someone out of the feed of a follower who does not follow them.
   */
  private fanOut(s: StatusRow, author: AccountRow): void {
    const recipients = s.visibility === "direct" ? [...author.followers].filter((id) => s.mentions.includes(id)) : [...author.followers];
    this.deliver(author.id, s);
    for (const id of recipients) {
      const replyToStranger = s.inReplyToAccountId && s.inReplyToAccountId !== author.id && s.inReplyToAccountId !== id && !this.accounts.get(id)!.following.has(s.inReplyToAccountId);
      if (!replyToStranger) this.deliver(id, s);
    }
  }

  private deliver(accountId: string, s: StatusRow): void {
    this.home.get(accountId)!.push(s.id);
    this.listener?.onHome(accountId, s.id);
  }

  private notify(accountId: string, type: NotificationType, fromId: string, statusId: string | null): void {
    const row: NotificationRow = { id: String(++this.notificationSeq), type, accountId, fromId, statusId, createdAt: new Date(this.now()).toISOString() };
    this.notifications.push(row);
    this.listener?.onNotification(row);
  }
}
