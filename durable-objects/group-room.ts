import { DurableObject } from "cloudflare:workers";
import { and, eq, isNull } from "drizzle-orm";
import { chunked, db } from "../worker/db/client";
import { groups } from "../worker/db/schema";
import { refusal, type Result } from "../core/errors";
import { groupConversationId } from "../core/conversation";
import type { Env } from "../worker/env";
import type { GroupAck, GroupRoomApi, RoomEntry, RoomInit } from "./api";
import { countedSql } from "./call-count";
import { hubOf } from "./stubs";
import type { Body, Group, HubEvent, User } from "../core/protocol";

/**
 * One per temporary group: its members and its ordered log. Messages and membership
 * events share the log, so every member's hub receives them in one order. Each member
 * has a delivery cursor; fan-out sends what is past it, in batches, and retries from it,
 * so a member whose hub was unreachable catches up in order.
 *
 * Under load, fan-out is windowed: the first entry after a quiet spell goes at once, and
 * what follows within FANOUT_WINDOW_MS of a member's last delivery waits for the window's
 * end and goes in one call. `delivered` receipts come back here (in the answer to a
 * delivery, or on their own when no delivery came for a while), and the room tells each
 * sender once per message, at most once per window: a 100-member group no longer costs
 * its sender's hub 99 receipt calls per message.
 */

export type { RoomEntry };

type MemberRow = { user_id: string; user: string; joined_seq: number; delivered_seq: number; left_seq: number | null };
type LogRow = { seq: number; kind: "message" | "event"; msg_id: string | null; sender: string | null; payload: string; at: number; only: string | null };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  user_id TEXT PRIMARY KEY, user TEXT NOT NULL, joined_seq INTEGER NOT NULL,
  delivered_seq INTEGER NOT NULL DEFAULT 0, left_seq INTEGER
);
CREATE TABLE IF NOT EXISTS log (
  seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, msg_id TEXT UNIQUE, sender TEXT,
  payload TEXT NOT NULL, at INTEGER NOT NULL, only TEXT
);
CREATE TABLE IF NOT EXISTS posts (sender TEXT NOT NULL, client_id TEXT NOT NULL, msg_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (sender, client_id));
CREATE TABLE IF NOT EXISTS receipted (msg_id TEXT PRIMARY KEY);
`;

const BATCH = 200;
const FANOUT_CONCURRENCY = 32;
const HOUR = 3_600_000;

type HeldReceipt = { ids: Set<string>; by: string; at: number; timer?: ReturnType<typeof setTimeout> };

export class GroupRoom extends DurableObject<Env> implements GroupRoomApi {
  private sql: SqlStorage;
  /** Members whose delivery loop is running, and those that got new entries meanwhile. */
  private pumping = new Set<string>();
  private again = new Set<string>();
  private waiters = new Map<string, (() => void)[]>();
  /** When each member's last delivery call started, and how to cut its window short. */
  private lastCall = new Map<string, number>();
  private wake = new Map<string, () => void>();
  private urgent = new Set<string>();
  /** `delivered` receipts per sender, waiting for that sender's window. */
  private heldReceipts = new Map<string, HeldReceipt>();
  private lastReceipt = new Map<string, number>();
  /** One stub per member hub for the life of this object (making one per call showed in the profile). */
  private hubs = new Map<string, ReturnType<typeof hubOf>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = countedSql(env, "GroupRoom", ctx.storage.sql);
    this.sql.exec(SCHEMA);
  }

  // ---- meta -------------------------------------------------------------------------
  // Meta and members are read on every delivery; they live in memory as well, written
  // through to SQLite (this object is their only writer), and are read back after a restart.
  private metaCache?: Map<string, string>;
  private memberCache?: Map<string, MemberRow>;

  private meta(k: string): string | undefined {
    this.metaCache ??= new Map(this.sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta").toArray().map((r) => [r.k, r.v]));
    return this.metaCache.get(k);
  }
  private setMeta(k: string, v: string | number | null): void {
    this.meta(k); // loaded before the first write
    if (v === null) {
      this.sql.exec("DELETE FROM meta WHERE k = ?", k);
      this.metaCache!.delete(k);
    } else {
      this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, String(v));
      this.metaCache!.set(k, String(v));
    }
  }
  private get state(): "none" | "active" | "expiring" | "expired" {
    return (this.meta("state") as "active" | "expiring" | "expired" | undefined) ?? "none";
  }
  private get head(): number {
    return Number(this.meta("head") ?? 0);
  }
  private get id(): string {
    return this.meta("id")!;
  }
  private get conv(): string {
    return groupConversationId(this.id);
  }

  private members(): Map<string, MemberRow> {
    this.memberCache ??= new Map(this.sql.exec<MemberRow>("SELECT * FROM members").toArray().map((m) => [m.user_id, m]));
    return this.memberCache;
  }
  private activeMembers(): MemberRow[] {
    return [...this.members().values()].filter((m) => m.left_seq === null);
  }
  private member(userId: string): MemberRow | undefined {
    return this.members().get(userId);
  }
  /** After a membership write: read back on the next use. */
  private membersChanged(): void {
    this.memberCache = undefined;
  }

  /** What every member's client shows of the group. */
  private snapshot(): Group {
    return {
      id: this.id,
      conv: this.conv,
      name: this.meta("name") ?? null,
      owner: this.meta("owner")!,
      members: this.activeMembers().map((m) => JSON.parse(m.user) as User),
      ttlHours: Number(this.meta("ttl_hours")),
      createdAt: Number(this.meta("created_at")),
      endedAt: this.meta("ended_at") ? Number(this.meta("ended_at")) : null,
      endReason: (this.meta("end_reason") as Group["endReason"]) ?? null,
    };
  }

  private append(entry: { kind: "message"; msgId: string; sender: string; body: Body; at: number } | { kind: "event"; ev: HubEvent; only?: string }): number {
    const seq = this.head + 1;
    const at = entry.kind === "message" ? entry.at : Date.now();
    if (entry.kind === "message") {
      this.sql.exec("INSERT INTO log (seq, kind, msg_id, sender, payload, at) VALUES (?, 'message', ?, ?, ?, ?)", seq, entry.msgId, entry.sender, JSON.stringify(entry.body), at);
    } else {
      this.sql.exec("INSERT INTO log (seq, kind, payload, at, only) VALUES (?, 'event', ?, ?, ?)", seq, JSON.stringify(entry.ev), at, entry.only ?? null);
    }
    this.setMeta("head", seq);
    return seq;
  }

  private invite(user: User, by: string): void {
    // The invitation is the member's first entry; the snapshot in it already lists them.
    const joinedSeq = this.head + 1;
    this.sql.exec(
      `INSERT INTO members (user_id, user, joined_seq, delivered_seq) VALUES (?, ?, ?, ?)
       ON CONFLICT(user_id) DO UPDATE SET user = excluded.user, joined_seq = excluded.joined_seq, delivered_seq = excluded.delivered_seq, left_seq = NULL`,
      user.id, JSON.stringify(user), joinedSeq, joinedSeq - 1,
    );
    this.membersChanged();
    this.append({ kind: "event", ev: { type: "group.invited", conv: this.conv, group: this.snapshot(), by }, only: user.id });
  }

  // ---- lifecycle ----------------------------------------------------------------------

  async create(init: RoomInit): Promise<Result> {
    if (this.state !== "none") return this.meta("id") === init.id ? { ok: true } : refusal("internal", "room already used");
    this.setMeta("id", init.id);
    if (init.name) this.setMeta("name", init.name);
    this.setMeta("owner", init.owner);
    this.setMeta("ttl_hours", init.ttlHours);
    this.setMeta("created_at", init.createdAt);
    this.setMeta("last_activity", init.createdAt);
    this.setMeta("state", "active");
    // Everyone is in before the first invitation goes out, so each snapshot lists them all.
    for (const user of init.members) {
      this.sql.exec("INSERT INTO members (user_id, user, joined_seq) VALUES (?, ?, 0)", user.id, JSON.stringify(user));
    }
    this.membersChanged();
    for (const user of init.members) this.invite(user, init.owner);
    await this.scheduleAlarm();
    this.fanOut();
    return { ok: true };
  }

  /** A member's message. Idempotent by (sender, client id); returns once the sender's hub holds it. */
  async post(sender: string, clientId: string, msg: { id: string; body: Body; at: number }): Promise<Result> {
    const refused = this.refuse(sender);
    if (refused) return refused;
    const prior = this.sql.exec<{ seq: number }>("SELECT seq FROM posts WHERE sender = ? AND client_id = ?", sender, clientId).toArray()[0];
    let seq = prior?.seq;
    if (seq === undefined) {
      seq = this.append({ kind: "message", msgId: msg.id, sender, body: msg.body, at: msg.at });
      this.sql.exec("INSERT INTO posts (sender, client_id, msg_id, seq) VALUES (?, ?, ?, ?)", sender, clientId, msg.id, seq);
      this.setMeta("last_activity", Date.now());
    }
    // The sender's own copy first, in log order: `accepted` means their hub holds it.
    await this.deliveredTo(sender, seq);
    this.fanOut();
    return { ok: true };
  }

  async addMembers(by: string, users: User[]): Promise<Result> {
    const refused = this.refuse(by);
    if (refused) return refused;
    const fresh = users.filter((u) => !this.member(u.id) || this.member(u.id)!.left_seq !== null);
    if (fresh.length === 0) return refusal("already_members", "they are all in the group already");
    for (const user of fresh) {
      this.append({ kind: "event", ev: { type: "group.member.joined", conv: this.conv, group: this.id, user, by } });
      this.invite(user, by);
    }
    this.fanOut();
    return { ok: true };
  }

  async leave(userId: string): Promise<Result> {
    const refused = this.refuse(userId);
    if (refused) return refused;
    const seq = this.append({ kind: "event", ev: { type: "group.member.left", conv: this.conv, group: this.id, user: userId } });
    // The leaver still receives everything up to and including their own leaving.
    this.sql.exec("UPDATE members SET left_seq = ? WHERE user_id = ?", seq, userId);
    this.membersChanged();
    if (this.activeMembers().length === 0) await this.expire("ended");
    this.fanOut();
    return { ok: true };
  }

  async end(by: string): Promise<Result> {
    const refused = this.refuse(by);
    if (refused) return refused;
    if (this.meta("owner") !== by) return refusal("not_owner", "only the group's creator can end it");
    await this.expire("ended");
    return { ok: true };
  }

  async info(): Promise<{ state: string; head: number; members: string[] }> {
    return { state: this.state, head: this.head, members: this.activeMembers().map((m) => m.user_id) };
  }

  private refuse(userId: string): Result | null {
    const state = this.state;
    if (state === "none") return refusal("group_not_found", "no such group");
    if (state !== "active") return refusal("group_ended", "this group has ended");
    const m = this.member(userId);
    if (!m || m.left_seq !== null) return refusal("group_not_found", "you are not in this group");
    return null;
  }

  // ---- expiry ---------------------------------------------------------------------------

  /**
   * Alarms are at-least-once: every step here is safe to run again. Expiry appends
   * `group.expired` once (state → expiring), delivers it, then frees the log.
   */
  async alarm(): Promise<void> {
    try {
      const state = this.state;
      if (state === "active" && Date.now() >= this.expiresAt()) await this.expire("ttl");
      else await this.pumpAll();
      await this.finishExpiryIfDelivered();
    } catch (err) {
      console.error(`Error in GroupRoom alarm: group=${this.meta("id")}`, err);
      throw err;
    } finally {
      await this.scheduleAlarm();
    }
  }

  private expiresAt(): number {
    return Number(this.meta("last_activity")) + Number(this.meta("ttl_hours")) * HOUR;
  }

  private async expire(reason: "ttl" | "ended"): Promise<void> {
    if (this.state !== "active") return;
    const at = Date.now();
    this.append({ kind: "event", ev: { type: "group.expired", conv: this.conv, group: this.id, reason, at } });
    this.setMeta("state", "expiring");
    this.setMeta("ended_at", at);
    this.setMeta("end_reason", reason);
    await db(this.env.DB).update(groups).set({ endedAt: at, endReason: reason }).where(and(eq(groups.id, this.id), isNull(groups.endedAt)));
    await this.pumpAll();
    await this.finishExpiryIfDelivered();
  }

  /** Once every member holds `group.expired`, the log goes; a tombstone keeps refusing sends. */
  private async finishExpiryIfDelivered(): Promise<void> {
    if (this.state !== "expiring") return;
    const head = this.head;
    if (this.activeMembers().some((m) => m.delivered_seq < head)) return;
    const keep = { id: this.id, state: "expired", ended_at: this.meta("ended_at")!, end_reason: this.meta("end_reason")!, owner: this.meta("owner")! };
    await this.ctx.storage.deleteAll();
    this.metaCache = undefined;
    this.membersChanged();
    this.sql.exec(SCHEMA);
    for (const [k, v] of Object.entries(keep)) this.setMeta(k, v);
  }

  private async scheduleAlarm(): Promise<void> {
    const state = this.state;
    let next: number | null = null;
    if (state === "active") next = this.expiresAt();
    const retry = this.meta("retry_at");
    if (retry && state !== "expired") next = Math.min(next ?? Infinity, Number(retry));
    if (next === null) return this.ctx.storage.deleteAlarm();
    await this.ctx.storage.setAlarm(next);
  }

  // ---- fan-out ----------------------------------------------------------------------------

  /** Starts delivery to every member that is behind; does not wait. */
  private fanOut(): void {
    void this.pumpAll().catch((err) => console.error(`Error in GroupRoom fanOut: group=${this.meta("id")}`, err));
  }

  private async pumpAll(): Promise<void> {
    const head = this.head;
    const behind = [...this.members().values()].filter((m) => m.delivered_seq < Math.min(head, m.left_seq ?? head)).map((m) => m.user_id);
    let next = 0;
    const worker = async () => {
      while (next < behind.length) await this.pump(behind[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(FANOUT_CONCURRENCY, behind.length) }, worker));
  }

  /** Waits until the member's hub holds everything up to `seq` (or delivery failed). */
  private async deliveredTo(userId: string, seq: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.pump(userId, true);
      if ((this.member(userId)?.delivered_seq ?? 0) >= seq) return;
    }
    throw new Error(`GroupRoom could not deliver seq ${seq} to ${userId}`);
  }

  /**
   * One delivery loop per member at a time, so each hub gets entries in log order.
   * `urgent` (the sender's own copy, which `accepted` waits for) skips the window.
   */
  private pump(userId: string, urgent = false): Promise<void> {
    if (urgent) {
      this.urgent.add(userId);
      this.wake.get(userId)?.();
    }
    if (this.pumping.has(userId)) {
      this.again.add(userId);
      return new Promise((resolve) => this.waiters.set(userId, [...(this.waiters.get(userId) ?? []), resolve]));
    }
    this.pumping.add(userId);
    return this.pumpLoop(userId).finally(() => {
      this.pumping.delete(userId);
      for (const w of this.waiters.get(userId) ?? []) w();
      this.waiters.delete(userId);
    });
  }

  private async pumpLoop(userId: string): Promise<void> {
    for (;;) {
      await this.windowOf(userId);
      this.again.delete(userId);
      this.urgent.delete(userId);
      const m = this.member(userId);
      if (!m) return;
      const upTo = m.left_seq ?? Number.MAX_SAFE_INTEGER;
      const headNow = this.head;
      if (m.delivered_seq >= Math.min(headNow, upTo)) return; // nothing new for this member
      const rows = this.sql
        .exec<LogRow>("SELECT * FROM log WHERE seq > ? AND seq <= ? AND (only IS NULL OR only = ?) ORDER BY seq LIMIT ?", m.delivered_seq, upTo, userId, BATCH)
        .toArray();
      // A short page means nothing else up to headNow is for this member: skip past it.
      const last = rows.length === BATCH ? rows.at(-1)!.seq : Math.min(headNow, upTo);
      if (rows.length > 0) {
        try {
          this.lastCall.set(userId, Date.now());
          const ack = await this.hubOf(userId).groupDeliver(this.id, rows.map(toEntry));
          if (ack?.delivered.length) this.noteDelivered(ack.by, ack.delivered, ack.at);
        } catch (err) {
          console.error(`GroupRoom delivery failed: group=${this.id} member=${userId}`, err);
          this.hubs.delete(userId); // a stub that failed may be broken for good: the next try makes a new one
          this.setMeta("retry_at", Date.now() + 2000);
          await this.scheduleAlarm();
          return;
        }
      }
      // Entries addressed to other members are skipped by moving the cursor past them.
      if (last > m.delivered_seq) {
        this.sql.exec("UPDATE members SET delivered_seq = MAX(delivered_seq, ?) WHERE user_id = ?", last, userId);
        const cached = this.member(userId);
        if (cached) cached.delivered_seq = Math.max(cached.delivered_seq, last);
      }
      if (rows.length < BATCH && !this.again.has(userId)) return;
    }
  }

  private hubOf(userId: string) {
    let stub = this.hubs.get(userId);
    if (!stub) this.hubs.set(userId, (stub = hubOf(this.env, userId)));
    return stub;
  }

  /** Waits out the member's fan-out window, unless an urgent delivery cuts it short. */
  private windowOf(userId: string): Promise<void> {
    const window = Number(this.env.FANOUT_WINDOW_MS ?? 200);
    const wait = (this.lastCall.get(userId) ?? 0) + window - Date.now();
    if (wait <= 0 || this.urgent.has(userId)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(userId);
        resolve();
      };
      const timer = setTimeout(done, wait);
      this.wake.set(userId, done);
    });
  }

  // ---- receipts -----------------------------------------------------------------------------

  async delivered(by: string, msgIds: string[], at: number): Promise<void> {
    this.noteDelivered(by, msgIds, at);
  }

  /** The first `delivered` per message is held for its sender; later ones change nothing and stop here. */
  private noteDelivered(by: string, msgIds: string[], at: number): void {
    for (const ids of chunked(msgIds, 1, 1)) {
      const fresh = this.sql
        .exec<{ msg_id: string; sender: string }>(
          `SELECT l.msg_id, l.sender FROM log l LEFT JOIN receipted r ON r.msg_id = l.msg_id
           WHERE l.msg_id IN (${ids.map(() => "?").join(",")}) AND r.msg_id IS NULL AND l.sender != ?`,
          ...ids, by,
        )
        .toArray();
      for (const row of fresh) {
        this.sql.exec("INSERT INTO receipted (msg_id) VALUES (?) ON CONFLICT DO NOTHING", row.msg_id);
        const held = this.heldReceipts.get(row.sender) ?? { ids: new Set<string>(), by, at };
        held.ids.add(row.msg_id);
        held.by = by;
        held.at = Math.max(held.at, at);
        this.heldReceipts.set(row.sender, held);
      }
    }
    for (const sender of this.heldReceipts.keys()) this.forwardSoon(sender);
  }

  /** One `receiveStatus` per sender per RECEIPT_HOLD_MS: the first at once, the rest at the window's end. */
  private forwardSoon(sender: string): void {
    const held = this.heldReceipts.get(sender);
    if (!held || held.timer) return;
    const hold = Number(this.env.RECEIPT_HOLD_MS ?? 200);
    const wait = Math.max(0, (this.lastReceipt.get(sender) ?? 0) + hold - Date.now());
    held.timer = setTimeout(() => void this.forward(sender), wait);
  }

  private async forward(sender: string): Promise<void> {
    const held = this.heldReceipts.get(sender);
    if (!held) return;
    this.heldReceipts.delete(sender);
    this.lastReceipt.set(sender, Date.now());
    try {
      await this.hubOf(sender).receiveStatus({ conv: this.conv, msgIds: [...held.ids], state: "delivered", by: held.by, at: held.at });
    } catch (err) {
      // Kept in memory and tried again: a receipt is state, not a message; after a restart
      // the next member's receipt for a later message still moves the ticks on.
      console.error(`GroupRoom receipt failed: group=${this.id} sender=${sender}`, err);
      this.hubs.delete(sender);
      const again = this.heldReceipts.get(sender) ?? { ids: new Set<string>(), by: held.by, at: held.at };
      for (const id of held.ids) again.ids.add(id);
      this.heldReceipts.set(sender, again);
      this.lastReceipt.set(sender, Date.now() + 2000);
    }
    this.forwardSoon(sender);
  }
}

function toEntry(r: LogRow): RoomEntry {
  if (r.kind === "message") return { seq: r.seq, kind: "message", msg: { id: r.msg_id!, from: r.sender!, body: JSON.parse(r.payload), at: r.at } };
  return { seq: r.seq, kind: "event", ev: JSON.parse(r.payload) };
}
