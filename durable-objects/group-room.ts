import { DurableObject } from "cloudflare:workers";
import { and, eq, isNull } from "drizzle-orm";
import { chunked, db } from "../worker/db/client";
import { groups } from "../worker/db/schema";
import { type Refusal, refusal, type Result, statusOf } from "../core/errors";
import { groupConversationId, NATIVE_SOURCE } from "../core/conversation";
import { newId } from "../core/ids";
import type { Env } from "../worker/env";
import type { GroupAck, GroupRoomApi, RoomEntry, RoomInit, SessionFilter, StatusInput } from "./api";
import { countedSql } from "./call-count";
import { hubOf } from "./stubs";
import { type Body, type ClientFrame, type Group, type HubEvent, type ServerFrame, type User, plainGroupText } from "../core/protocol";
import { parseFrame } from "./frames";
import { Refused } from "./user-hub/context";
import { SendLimit } from "./user-hub/send-limit";
import { attachmentOf, send, setAttachment, tryClose, trySend } from "./user-hub/socket-io";

/**
 * One per temporary group: its members and its ordered log. Messages and membership
 * events share the log, so every member sees them in one order.
 *
 * Live delivery is the room's own: a member's devices hold a socket to the room (room
 * sockets, GET /api/groups/:id/ws), and each new entry is encoded once and written to
 * every one of them, as a chat room would. Sends come in on those sockets too, and their
 * `delivered` receipts (the sockets' acks) end here.
 *
 * Each member's hub also gets every entry, from a delivery cursor per member, in batches,
 * retried from the cursor, so history, search, unread counts and Web Push work without
 * the room. For a member without a room socket open it is the live path
 * (FANOUT_WINDOW_MS): the hub logs and pushes the entries on its own socket, or sends Web
 * Push. For a member with one it is a digest of what their devices acked, stored and
 * pushed nowhere, and it is lazy: it goes when the hub needs its copy (it asks, `catchUp`:
 * a history page, the conversation list, search, a read), when the member's last room
 * socket closes, when about a page has piled up (`pileOf`), or at the latest GROUP_DIGEST_MS after
 * the oldest entry it lacks (the room's alarm). What no device acked within
 * GROUP_ACK_GRACE_MS is handed to the hub at once, to log and push (a socket can die with
 * frames in flight).
 *
 * `delivered` receipts come here (from room sockets, or with a hub's answer to a
 * delivery), and the room tells each sender once per message, at most once per window.
 */

export type { RoomEntry };

type MemberRow = { user_id: string; user: string; joined_seq: number; delivered_seq: number; left_seq: number | null };
export type LogRow = { seq: number; kind: "message" | "event"; msg_id: string | null; sender: string | null; payload: string; at: number; only: string | null };

/** The columns of a `LogRow`: a page read from the log has the shape of one from the tail. */
const LOG_ROW = "seq, kind, msg_id, sender, payload, at, only";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  user_id TEXT PRIMARY KEY, user TEXT NOT NULL, joined_seq INTEGER NOT NULL,
  delivered_seq INTEGER NOT NULL DEFAULT 0, left_seq INTEGER
);
CREATE TABLE IF NOT EXISTS log (
  seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, msg_id TEXT UNIQUE, sender TEXT,
  payload TEXT NOT NULL, at INTEGER NOT NULL, only TEXT, client_id TEXT
);
CREATE TABLE IF NOT EXISTS receipted (msg_id TEXT PRIMARY KEY);
`;
/** A send's claim: (sender, client id) once per log. Events have neither (NULLs never collide). */
const CLAIM_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS log_claim ON log (sender, client_id)";

/**
 * Creates the room's tables. Rooms from before 2026-12-03 claimed a send in a table of its
 * own (`posts`: a second insert and a transaction per message); their claims move into the
 * log once, here, in one transaction, and `posts` goes.
 */
export function roomSchema(storage: DurableObjectStorage, sql: SqlStorage): void {
  sql.exec(SCHEMA);
  if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'posts'").toArray().length > 0) {
    storage.transactionSync(() => {
      if (!sql.exec<{ name: string }>("PRAGMA table_info(log)").toArray().some((c) => c.name === "client_id")) sql.exec("ALTER TABLE log ADD COLUMN client_id TEXT");
      sql.exec("UPDATE log SET client_id = p.client_id FROM posts p WHERE p.seq = log.seq AND p.sender = log.sender");
      sql.exec("DROP TABLE posts");
    });
  }
  sql.exec(CLAIM_INDEX);
}

const BATCH = 200;
/** Hub deliveries in flight at once (a 500-member group must not open 500 calls together). */
const FANOUT_CONCURRENCY = 32;
/**
 * Of those, digests to live members' hubs: never in a hurry, and a burst of them (the
 * alarm, pages piling up on every member at once) must leave the room's live writes and
 * the live path their turn.
 */
const DIGEST_CONCURRENCY = 4;
/**
 * The longest an entry a live member's devices have not acked waits for their acks while
 * those keep moving (a room far behind); past it, their hub pushes it as well.
 */
const ACK_LAG_MAX_MS = 30_000;
/** Ends of live members' ack grace closer than this are looked at in one turn of the room's timer. */
const GRACE_TICK_MS = 50;
/** A `hello` replays at most this many entries; a device further behind reloads over HTTP. */
const MAX_REPLAY = 10_000;
const HOUR = 3_600_000;
/** Messages whose receipts are answered from memory (see `recent`). */
const RECENT = 2_000;
/** Log rows kept in memory for the members' pages: every member's pile is at most a page behind while live. */
const TAIL = 4 * BATCH;
/** `last_activity` (the TTL's clock, counted in hours) is written at most this often. */
const ACTIVITY_EVERY_MS = 60_000;

/** Close codes of room sockets (docs/protocol.md). */
export const ROOM_CLOSE = {
  signedOut: [4001, "signed out"],
  left: [4004, "left the group"],
  ended: [4010, "group ended"],
} as const;

type HeldReceipt = { ids: Set<string>; by: string; at: number; timer?: ReturnType<typeof setTimeout> };
/** A room socket's state, kept with the socket so it survives hibernation. */
type RoomSocket = { user: string; device: string; ready: boolean; session?: string; expiresAt?: number };

export class GroupRoom extends DurableObject<Env> implements GroupRoomApi {
  private sql: SqlStorage;
  /** Members whose delivery loop is running, and those that got new entries meanwhile. */
  private pumping = new Set<string>();
  private again = new Set<string>();
  private waiters = new Map<string, (() => void)[]>();
  /** When each member's last delivery call started, and how to cut its window short. */
  private lastCall = new Map<string, number>();
  private wake = new Map<string, () => void>();
  /**
   * Live members waiting out the ack grace, with when it ends, and the room's one timer for
   * them all: a message no longer starts a timer, a promise and a loop turn per live member
   * (at 500 members those were half of the room's profile), and a member whose devices acked
   * costs one comparison when the grace ends.
   */
  private graceDue = new Map<string, number>();
  private graceTimer?: { at: number; timer: ReturnType<typeof setTimeout> };
  /** Members whose next delivery skips the window and holds nothing back (urgent), or only skips the window (soon). */
  private urgent = new Set<string>();
  private soon = new Set<string>();
  /** Hub calls in flight, and loops waiting for one to finish. */
  private inFlight = 0;
  private digestsInFlight = 0;
  private slotWaiters: (() => void)[] = [];
  private digestWaiters: (() => void)[] = [];
  /** `delivered` receipts per sender, waiting for that sender's window. */
  private heldReceipts = new Map<string, HeldReceipt>();
  private lastReceipt = new Map<string, number>();
  /** One stub per member hub for the life of this object (making one per call showed in the profile). */
  private hubs = new Map<string, ReturnType<typeof hubOf>>();
  /**
   * Ready room sockets by member, each with when its session ends (read on every push: kept
   * here, not looked up per socket per entry); rebuilt from the runtime's list after hibernation.
   */
  private liveCache?: Map<string, Map<WebSocket, number | undefined>>;
  /**
   * Per member, the newest seq one of their devices acked on a room socket: up to there
   * their hub stores quietly (a device holds it). Written to a socket is not enough: a
   * socket can die with frames in flight, and a device without a cursor (hello fresh)
   * would never be brought them. Receipts start after it too.
   */
  private acked = new Map<string, number>();
  /**
   * Per member, when one of their devices last acked past what was acked before: a socket
   * whose acks keep moving works and delivers in order, so the ack grace of what it has not
   * acked yet counts from then (`graceStart`), not from the entry's time.
   */
  private lastAck = new Map<string, number>();
  private sendLimits = new Map<string, SendLimit>();
  /** The newest message's time (message times rise strictly with the log). */
  private lastAt?: number;
  /** Parsed entries by seq, for the deliveries to every member's hub (each parses once). */
  private entries = new Map<number, RoomEntry>();
  /**
   * The log's newest rows, as written (seqs without a gap, up to the head): a member's next
   * page is read from here while it is still in memory. Each member's hub reads every entry,
   * so at 10 members the page's statement and rows were a twentieth of the room's profile.
   */
  private tail = new Map<number, LogRow>();
  /**
   * The newest messages by seq, and which of them have had their `delivered`: every member's
   * device acks every burst, and nearly all of those acks change nothing. Answered from here,
   * they cost no statement; after a restart (empty) the log answers.
   */
  private recent = new Map<number, { msgId: string; sender: string }>();
  private receiptedRecent = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = countedSql(env, "GroupRoom", ctx.storage.sql);
    roomSchema(ctx.storage, this.sql);
    // Answered by the runtime without waking the object (the client's keepalive).
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
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
  /**
   * The log's newest seq, in memory: the log is never trimmed, so after a restart its last
   * row says it (rooms from before 2026-12-03 also wrote it to meta `head` on every entry,
   * one statement per message).
   */
  private headCache?: number;
  private get head(): number {
    this.headCache ??= Math.max(Number(this.meta("head") ?? 0), this.sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM log").one().s ?? 0);
    return this.headCache;
  }
  private get id(): string {
    return this.meta("id")!;
  }
  private convCache?: string;
  private get conv(): string {
    // The id is written once, at creation (and kept through expiry).
    if (this.convCache === undefined && this.meta("id") !== undefined) this.convCache = groupConversationId(this.id);
    return this.convCache ?? groupConversationId(this.id);
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
  /** Whether entry `seq` is the member's to see: from their invitation on, up to their leaving. */
  private sees(m: MemberRow, seq: number): boolean {
    return seq >= m.joined_seq && (m.left_seq === null || seq <= m.left_seq);
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

  /**
   * Writes the entry with the next seq, then to the room sockets that may see it. A message
   * is also its send's claim: if its (sender, client id) is in the log already, nothing is
   * written and the answer is undefined.
   */
  private append(entry: { kind: "message"; msgId: string; sender: string; clientId: string; body: Body; at: number }): number | undefined;
  private append(entry: { kind: "event"; ev: HubEvent; only?: string }): number;
  private append(entry: { kind: "message"; msgId: string; sender: string; clientId: string; body: Body; at: number } | { kind: "event"; ev: HubEvent; only?: string }): number | undefined {
    const seq = this.head + 1;
    const at = entry.kind === "message" ? entry.at : Date.now();
    let ev: string;
    if (entry.kind === "message") {
      const body = JSON.stringify(entry.body);
      const written = this.sql.exec(
        "INSERT INTO log (seq, kind, msg_id, sender, payload, at, client_id) VALUES (?, 'message', ?, ?, ?, ?, ?) ON CONFLICT (sender, client_id) DO NOTHING",
        seq, entry.msgId, entry.sender, body, at, entry.clientId,
      ).rowsWritten;
      if (written === 0) return undefined;
      ev = messageEvent(this.conv, entry.msgId, entry.sender, body, at);
      this.remember({ seq, kind: "message", msg_id: entry.msgId, sender: entry.sender, payload: body, at, only: null });
      this.recent.set(seq, { msgId: entry.msgId, sender: entry.sender });
      if (this.recent.size > RECENT) {
        const oldest = this.recent.keys().next().value!;
        this.receiptedRecent.delete(this.recent.get(oldest)!.msgId);
        this.recent.delete(oldest);
      }
    } else {
      ev = JSON.stringify(entry.ev);
      this.sql.exec("INSERT INTO log (seq, kind, payload, at, only) VALUES (?, 'event', ?, ?, ?)", seq, ev, at, entry.only ?? null);
      this.remember({ seq, kind: "event", msg_id: null, sender: null, payload: ev, at, only: entry.only ?? null });
    }
    this.headCache = seq;
    this.pushLive(seq, ev, entry.kind === "event" ? entry.only : undefined);
    return seq;
  }

  /** Keeps the row just written in the tail (a row that does not follow the tail's last starts it afresh). */
  private remember(row: LogRow): void {
    if (this.tail.size > 0 && !this.tail.has(row.seq - 1)) this.tail.clear();
    this.tail.set(row.seq, row);
    if (this.tail.size > TAIL) this.tail.delete(this.tail.keys().next().value!);
  }

  /** The member's next page of the log after `after`, up to `upTo`: from the tail when it holds all of it. */
  private pageOf(userId: string, after: number, upTo: number): LogRow[] {
    const first = this.tail.keys().next().value;
    if (first === undefined || after + 1 < first) {
      return this.sql
        .exec<LogRow>(`SELECT ${LOG_ROW} FROM log WHERE seq > ? AND seq <= ? AND (only IS NULL OR only = ?) ORDER BY seq LIMIT ?`, after, upTo, userId, BATCH)
        .toArray();
    }
    const page: LogRow[] = [];
    const end = Math.min(this.head, upTo);
    for (let s = after + 1; s <= end && page.length < BATCH; s++) {
      const r = this.tail.get(s)!;
      if (r.only === null || r.only === userId) page.push(r);
    }
    return page;
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

  /**
   * A member's message through their hub (a send on /api/ws). Idempotent by (sender,
   * client id), across both ways in: a retry gets the message id and time the first try
   * stored. Returns once the sender's hub holds it.
   */
  async post(sender: string, clientId: string, msg: { id: string; body: Body; at: number }): Promise<Result<{ msgId: string; at: number }>> {
    const refused = this.refuse(sender);
    if (refused) return refused;
    const stored = this.postEntry(sender, clientId, msg);
    // The sender's own copy first, in log order: `accepted` means their hub holds it.
    await this.deliveredTo(sender, stored.seq);
    this.fanOut();
    return { ok: true, msgId: stored.msgId, at: stored.at };
  }

  /**
   * Takes the send into the log, or finds the one a retry repeats. One statement for a new
   * send (the log row is the claim, unique by sender and client id), the lookup only for a
   * retry: no transaction of its own. A `posts` row and a savepoint per message were a fifth
   * of the room's profile samples at 22 msg/s; in CPU the change measured neutral (the
   * turn's first write costs the same), and it writes one B-tree fewer (docs/performance.md).
   */
  private postEntry(sender: string, clientId: string, msg: { id: string; body: Body; at: number }): { seq: number; msgId: string; at: number } {
    // Message times rise with the log: a thread shown by time is in the room's order on
    // every device (a send through a hub brings the time its hub gave it, which can be
    // earlier than a message the room took meanwhile).
    this.lastAt ??= this.sql.exec<{ at: number | null }>("SELECT MAX(at) AS at FROM log WHERE kind = 'message'").one().at ?? 0;
    const at = Math.max(msg.at, this.lastAt + 1);
    const seq = this.append({ kind: "message", msgId: msg.id, sender, clientId, body: msg.body, at });
    if (seq === undefined) {
      const prior = this.sql.exec<{ seq: number; msg_id: string; at: number }>("SELECT seq, msg_id, at FROM log WHERE sender = ? AND client_id = ?", sender, clientId).one();
      return { seq: prior.seq, msgId: prior.msg_id, at: prior.at };
    }
    this.lastAt = at;
    if (at - Number(this.meta("last_activity")) > ACTIVITY_EVERY_MS) this.setMeta("last_activity", at);
    return { seq, msgId: msg.id, at };
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
    // The leaver still receives everything up to and including their own leaving; their
    // room sockets get it, then close.
    const seq = this.head + 1;
    this.sql.exec("UPDATE members SET left_seq = ? WHERE user_id = ?", seq, userId);
    this.membersChanged();
    this.append({ kind: "event", ev: { type: "group.member.left", conv: this.conv, group: this.id, user: userId } });
    this.closeSockets((u) => u === userId, ROOM_CLOSE.left);
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

  private refuse(userId: string): Refusal | null {
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
      else {
        // Cleared before the deliveries: one that fails again sets `retry_at` anew (left set,
        // it would bring the alarm back at once, forever).
        const retryDue = this.due("retry_at");
        if (retryDue) this.setMeta("retry_at", null);
        if (this.due("digest_at")) this.setMeta("digest_at", null);
        // A retry holds nothing back; a digest holds back what a device may not have acked yet.
        await this.pumpAll(retryDue ? "urgent" : "soon");
      }
      await this.finishExpiryIfDelivered();
    } catch (err) {
      console.error(`Error in GroupRoom alarm: group=${this.meta("id")}`, err);
      throw err;
    } finally {
      await this.scheduleAlarm();
    }
  }

  private due(k: "retry_at" | "digest_at"): boolean {
    const at = this.meta(k);
    return at !== undefined && Number(at) <= Date.now();
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
    this.closeSockets(() => true, ROOM_CLOSE.ended);
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
    this.entries.clear();
    this.tail.clear();
    this.recent.clear();
    this.lastAt = this.headCache = undefined;
    roomSchema(this.ctx.storage, this.sql);
    for (const [k, v] of Object.entries(keep)) this.setMeta(k, v);
  }

  private async scheduleAlarm(): Promise<void> {
    const state = this.state;
    let next: number | null = null;
    if (state === "active") next = this.expiresAt();
    for (const k of ["retry_at", "digest_at"]) {
      const at = this.meta(k);
      if (at && state !== "expired") next = Math.min(next ?? Infinity, Number(at));
    }
    if (next === null) return this.ctx.storage.deleteAlarm();
    await this.ctx.storage.setAlarm(next);
  }

  // ---- room sockets -------------------------------------------------------------------------

  /** The Worker hands over a member's socket it has authenticated (user and session in the headers). */
  async fetch(request: Request): Promise<Response> {
    const user = request.headers.get("X-Unibox-User");
    if (!user || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return Response.json({ error: { code: "upgrade_required", message: "this endpoint speaks WebSocket only" } }, { status: 426 });
    const refused = this.refuse(user);
    if (refused) return Response.json({ error: { code: refused.code, message: refused.message } }, { status: statusOf(refused.code) });
    const expires = Number(request.headers.get("X-Unibox-Session-Expires") ?? 0);
    const state: RoomSocket = {
      user,
      device: "unknown",
      ready: false,
      ...(request.headers.get("X-Unibox-Session") ? { session: request.headers.get("X-Unibox-Session")! } : {}),
      ...(expires > 0 ? { expiresAt: expires } : {}),
    };
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [user]);
    setSocketState(server, state);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const a = socketState(ws);
    if (!a) return;
    if (a.expiresAt !== undefined && a.expiresAt <= Date.now()) return tryClose(ws, ...ROOM_CLOSE.signedOut);
    const { frame, id, refused } = parseFrame(message, plainGroupText);
    try {
      if (refused) throw refused;
      const answer = await this.onFrame(ws, a, frame!);
      if (answer) send(ws, answer);
    } catch (err) {
      if (err instanceof Refused) {
        send(ws, { t: "error", ...(id ? { id } : {}), code: err.code, message: err.message, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) });
        return;
      }
      console.error(`GroupRoom frame failed: group=${this.meta("id")} frame=${id ?? "-"}`, err);
      send(ws, { t: "error", ...(id ? { id } : {}), code: "internal", message: "the server could not handle this frame; retry it" });
    }
  }

  private async onFrame(ws: WebSocket, a: RoomSocket, frame: ClientFrame): Promise<ServerFrame | void> {
    switch (frame.t) {
      case "hello":
        return this.hello(ws, a, frame);
      case "send":
        return this.socketSend(a.user, frame);
      case "ack":
        return this.ack(a.user, frame.seq);
      default:
        throw new Refused("unsupported_frame", `send "${frame.t}" on /api/ws; a group's socket takes hello, send and ack`);
    }
  }

  async webSocketClose(ws: WebSocket): Promise<void> {
    this.dropSocket(ws);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    this.dropSocket(ws);
  }

  /**
   * Replays the member's entries after `resume`, then `ready`: nothing runs in between
   * (all synchronous), so no entry falls between the replay and the live pushes. `fresh`
   * starts from what the member's hub holds, which is what the device loads over HTTP.
   */
  private hello(ws: WebSocket, a: RoomSocket, frame: Extract<ClientFrame, { t: "hello" }>): ServerFrame {
    const m = this.member(a.user);
    if (!m || this.state !== "active" || m.left_seq !== null) {
      const active = this.state === "active";
      const [code, reason] = active ? ROOM_CLOSE.left : ROOM_CLOSE.ended;
      tryClose(ws, code, reason);
      throw new Refused(active ? "group_not_found" : "group_ended", "you are no longer in this group");
    }
    const head = this.head;
    const resume = frame.resume ?? (frame.fresh ? m.delivered_seq : 0);
    const from = Math.max(resume, m.joined_seq - 1);
    const reset = resume > head || head - from > MAX_REPLAY;
    if (!reset) {
      const rows = this.sql.exec<LogRow>(`SELECT ${LOG_ROW} FROM log WHERE seq > ? AND (only IS NULL OR only = ?) ORDER BY seq LIMIT ?`, from, a.user, MAX_REPLAY);
      for (const r of rows) ws.send(`{"t":"ev","seq":${r.seq},"ev":${r.kind === "message" ? messageEvent(this.conv, r.msg_id!, r.sender!, r.payload, r.at) : r.payload}}`);
    }
    setSocketState(ws, { ...a, device: frame.device ?? a.device, ready: true });
    const live = this.live();
    live.set(a.user, (live.get(a.user) ?? new Map()).set(ws, a.expiresAt));
    return reset ? { t: "ready", head, reset: true } : { t: "ready", head };
  }

  /** A send on a room socket: accepted once the room's log holds it (the hub gets it with the rest). */
  private async socketSend(sender: string, frame: Extract<ClientFrame, { t: "send" }>): Promise<ServerFrame> {
    if (!("group" in frame.to) || frame.to.group !== this.id) throw new Refused("invalid_target", "this socket sends to its own group only");
    const refused = this.refuse(sender);
    if (refused) throw new Refused(refused.code, refused.message);
    const limit = this.sendLimits.get(sender) ?? new SendLimit(() => this.env.RATE_SENDS_PER_USER);
    this.sendLimits.set(sender, limit);
    limit.take();
    if ("media" in frame.body) {
      // The sender's uploads are their hub's to know: one call, for media sends only.
      const checked = await this.hubOf(sender).checkMedia(frame.body);
      if (!checked.ok) throw new Refused(checked.code, checked.message);
      if (this.refuse(sender)) throw new Refused("group_ended", "this group has ended");
    }
    const stored = this.postEntry(sender, frame.id, { id: newId("m"), body: frame.body, at: Date.now() });
    this.fanOut();
    return { t: "accepted", id: frame.id, msgId: stored.msgId, conv: this.conv, at: stored.at };
  }

  /** A member's device holds every entry up to `seq`: others' messages in it are delivered. */
  private ack(user: string, seq: number): void {
    if (seq > this.head) throw new Refused("invalid_ack", `seq ${seq} is past the head ${this.head}`);
    // After a restart the last ack is not known: look back a bounded way (receipted ones are skipped).
    const from = this.acked.get(user) ?? Math.max(0, seq - BATCH);
    if (seq <= from) return;
    this.acked.set(user, seq);
    this.lastAck.set(user, Date.now());
    const oldest = this.recent.keys().next().value;
    if (oldest !== undefined && from + 1 >= oldest) {
      // The first device to ack a message: its sender is known, no statement.
      const fresh: { msg_id: string; sender: string }[] = [];
      for (let s = from + 1; s <= seq; s++) {
        const m = this.recent.get(s);
        if (m && m.sender !== user && !this.receiptedRecent.has(m.msgId)) fresh.push({ msg_id: m.msgId, sender: m.sender });
      }
      if (fresh.length > 0) this.hold(user, fresh, Date.now());
      return;
    }
    const ids = this.sql
      .exec<{ msg_id: string }>("SELECT msg_id FROM log WHERE seq > ? AND seq <= ? AND kind = 'message' AND sender != ?", from, seq, user)
      .toArray()
      .map((r) => r.msg_id);
    if (ids.length > 0) this.noteDelivered(user, ids, Date.now());
  }

  /** Closes the room sockets of ended sessions (the member's hub forwards sign-outs here). */
  async endSessions(userId: string, which: SessionFilter): Promise<number> {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(userId)) {
      const session = socketState(ws)?.session;
      const hit = "only" in which ? session !== undefined && which.only.includes(session) : session !== which.except;
      if (!hit) continue;
      tryClose(ws, ...ROOM_CLOSE.signedOut);
      this.dropSocket(ws);
      closed++;
    }
    return closed;
  }

  /** Ready sockets by member. */
  private live(): Map<string, Map<WebSocket, number | undefined>> {
    if (!this.liveCache) {
      this.liveCache = new Map();
      for (const ws of this.ctx.getWebSockets()) {
        const a = socketState(ws);
        if (a?.ready && ws.readyState === WebSocket.OPEN) this.liveCache.set(a.user, (this.liveCache.get(a.user) ?? new Map()).set(ws, a.expiresAt));
      }
    }
    return this.liveCache;
  }

  private dropSocket(ws: WebSocket): void {
    const user = socketState(ws)?.user;
    if (!user) return;
    const set = this.live().get(user);
    set?.delete(ws);
    if (set && set.size === 0) this.live().delete(user);
    // The member's last room socket went: their hub takes over, with what no device acked to push.
    const m = this.member(user);
    if (!this.live().has(user) && m && m.delivered_seq < Math.min(this.head, m.left_seq ?? this.head)) {
      void this.pump(user, "soon").catch((err) => console.error(`Error in GroupRoom hand-over: group=${this.meta("id")}`, err));
    }
  }

  private closeSockets(which: (user: string) => boolean, [code, reason]: readonly [number, string]): void {
    for (const [user, set] of this.live()) {
      if (!which(user)) continue;
      for (const ws of set.keys()) tryClose(ws, code, reason);
      this.live().delete(user);
    }
  }

  /** One encoding of the entry, written to every ready socket of the members who may see it. */
  private pushLive(seq: number, ev: string, only?: string): void {
    const live = this.live();
    if (live.size === 0) return;
    const frame = `{"t":"ev","seq":${seq},"ev":${ev}}`;
    const now = Date.now();
    for (const [user, set] of live) {
      if (only !== undefined && user !== only) continue;
      const m = this.member(user);
      if (!m || !this.sees(m, seq)) continue;
      for (const [ws, expiresAt] of set) {
        if (expiresAt !== undefined && expiresAt <= now) {
          tryClose(ws, ...ROOM_CLOSE.signedOut);
          set.delete(ws);
          continue;
        }
        trySend(ws, frame);
      }
      if (set.size === 0) live.delete(user);
    }
  }

  // ---- fan-out to the members' hubs ---------------------------------------------------------

  /** Starts delivery to every member that is behind; does not wait. */
  private fanOut(): void {
    const head = this.head;
    const live = this.live();
    const graceEnds = Date.now() + this.ackGrace;
    for (const m of this.members().values()) {
      const end = Math.min(head, m.left_seq ?? head);
      if (end <= m.delivered_seq) continue;
      if (this.pumping.has(m.user_id)) this.again.add(m.user_id);
      // A live member's pile goes with the message that makes it, so members' piles stay as
      // spread as `pileOf` makes them; left to the shared timer's turn, a third of a busy
      // group of 100 piled up in the same turn and their hubs' pages held the room up (p99
      // 18 → 260 ms at 30 msg/s). The rest of a live member's wait is the grace.
      else if (live.has(m.user_id) && !this.piled(m.user_id, m, end)) this.afterGrace(m.user_id, graceEnds);
      else void this.pump(m.user_id, live.has(m.user_id) ? "soon" : "window").catch((err) => console.error(`Error in GroupRoom fanOut: group=${this.meta("id")}`, err));
    }
    // The latest a lazy digest waits: the alarm, armed once per digest (one write, not one per message).
    if (this.meta("digest_at") === undefined && this.live().size > 0) {
      this.setMeta("digest_at", Date.now() + Number(this.env.GROUP_DIGEST_MS ?? 600_000));
      void this.scheduleAlarm().catch((err) => console.error(`Error in GroupRoom digest alarm: group=${this.meta("id")}`, err));
    }
  }

  /** Delivers to every member that is behind and waits for it (the alarm, expiry). */
  private async pumpAll(how: "soon" | "urgent" = "urgent"): Promise<void> {
    const head = this.head;
    const behind = [...this.members().values()].filter((m) => m.delivered_seq < Math.min(head, m.left_seq ?? head)).map((m) => m.user_id);
    await Promise.all(behind.map((u) => this.pump(u, how)));
  }

  /** Waits until the member's hub holds everything up to `seq` (or delivery failed). */
  private async deliveredTo(userId: string, seq: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.pump(userId, "urgent");
      if ((this.member(userId)?.delivered_seq ?? 0) >= seq) return;
    }
    throw new Error(`GroupRoom could not deliver seq ${seq} to ${userId}`);
  }

  /** A member's hub is about to read its copy (a `read` of messages it does not hold yet): deliver now. */
  async catchUp(userId: string): Promise<void> {
    if (this.member(userId)) await this.pump(userId, "urgent");
  }

  /**
   * One delivery loop per member at a time, so each hub gets entries in log order.
   * `urgent` (the sender's own copy, which `accepted` waits for; a hub that must read its
   * copy; expiry) skips the window and holds nothing back; `soon` only skips the window.
   */
  private pump(userId: string, how: "window" | "soon" | "urgent" = "window"): Promise<void> {
    if (how !== "window") {
      (how === "urgent" ? this.urgent : this.soon).add(userId);
      this.wake.get(userId)?.();
    }
    if (this.pumping.has(userId)) {
      this.again.add(userId);
      return new Promise((resolve) => {
        const list = this.waiters.get(userId);
        if (list) list.push(resolve);
        else this.waiters.set(userId, [resolve]);
      });
    }
    this.pumping.add(userId);
    return this.pumpLoop(userId).finally(() => {
      this.pumping.delete(userId);
      for (const w of this.waiters.get(userId) ?? []) w();
      this.waiters.delete(userId);
    });
  }

  private async pumpLoop(userId: string): Promise<void> {
    // A full page means more is waiting: the next page goes at once, whatever the window.
    for (let full = false; ; ) {
      if (!full) {
        // A live member's next look is when the grace ends, on the room's one timer.
        if (this.live().has(userId) && !this.urgent.has(userId) && !this.soon.has(userId)) return this.afterGrace(userId, Date.now() + this.ackGrace);
        await this.windowOf(userId);
      }
      const urgent = this.urgent.has(userId);
      const soon = this.soon.has(userId);
      this.again.delete(userId);
      this.urgent.delete(userId);
      this.soon.delete(userId);
      const m = this.member(userId);
      if (!m) return;
      const upTo = m.left_seq ?? Number.MAX_SAFE_INTEGER;
      const headNow = this.head;
      if (m.delivered_seq >= Math.min(headNow, upTo)) return; // nothing new for this member
      const live = this.live().has(userId);
      if (live && !urgent && !soon && !full) {
        // The member opened a room socket while their window ran: the grace decides.
        const next = this.afterGraceOf(userId, m);
        if (next !== "now") return next === "done" ? undefined : this.afterGrace(userId, next);
      }
      const page = this.pageOf(userId, m.delivered_seq, upTo);
      // A short page means nothing else up to headNow is for this member: skip past it.
      let last = page.length === BATCH ? page.at(-1)!.seq : Math.min(headNow, upTo);
      // Quiet (stored, not pushed): what a device acked, and, while the member has a room
      // socket, their own messages (the device that sent one holds it; the others got it live).
      const quiet = { upTo: this.acked.get(userId) ?? 0, own: live };
      let rows = page;
      if (live && !urgent) {
        // A live member's devices ack within a fraction of a second: what they have not
        // acked yet waits (then goes quiet with a later digest), unless it is older than
        // the grace (then their hub logs and pushes it: a device may not have it).
        const cutoff = Date.now() - this.ackGrace;
        const held = page.findIndex((r) => r.seq > quiet.upTo && r.sender !== userId && this.graceStart(userId, r.at) > cutoff);
        if (held >= 0) {
          rows = page.slice(0, held);
          last = page[held]!.seq - 1;
          // The next look is when the first held entry's grace ends (the loop's own turn would add a grace on top).
          this.afterGrace(userId, this.graceStart(userId, page[held]!.at) + this.ackGrace);
        }
      }
      if (rows.length > 0) {
        // The member's held receipts ride along: their hub applies them after the copies they are about.
        const held = this.heldReceipts.get(userId);
        if (held) {
          clearTimeout(held.timer);
          this.heldReceipts.delete(userId);
        }
        const receipts: StatusInput | undefined = held && { conv: this.conv, msgIds: [...held.ids], state: "delivered", by: held.by, at: held.at };
        const digest = live && !urgent;
        await this.slot(digest);
        try {
          this.lastCall.set(userId, Date.now());
          const ack = await this.hubOf(userId).groupDeliver(this.id, rows.map((r) => this.entry(r)), quiet, receipts);
          if (held) {
            this.lastReceipt.set(userId, Date.now());
            this.sent(held);
          }
          if (ack?.delivered.length) this.noteDelivered(ack.by, ack.delivered, ack.at);
        } catch (err) {
          console.error(`GroupRoom delivery failed: group=${this.id} member=${userId}`, err);
          this.hubs.delete(userId); // a stub that failed may be broken for good: the next try makes a new one
          if (held) this.holdAgain(userId, held);
          this.setMeta("retry_at", Date.now() + 2000);
          await this.scheduleAlarm();
          return;
        } finally {
          this.release(digest);
        }
      }
      // Entries addressed to other members are skipped by moving the cursor past them.
      if (last > m.delivered_seq) {
        this.sql.exec("UPDATE members SET delivered_seq = MAX(delivered_seq, ?) WHERE user_id = ?", last, userId);
        const cached = this.member(userId);
        if (cached) cached.delivered_seq = Math.max(cached.delivered_seq, last);
      }
      full = rows.length === BATCH;
      if (!full && !this.again.has(userId)) return;
    }
  }

  private entry(r: LogRow): RoomEntry {
    let e = this.entries.get(r.seq);
    if (!e) {
      e = toEntry(r);
      this.entries.set(r.seq, e);
      // Every member's delivery of an entry comes within a few windows: keep the newest few.
      if (this.entries.size > 4 * BATCH) this.entries.delete(this.entries.keys().next().value!);
    }
    return e;
  }

  private async slot(digest: boolean): Promise<void> {
    while (this.inFlight >= FANOUT_CONCURRENCY || (digest && this.digestsInFlight >= DIGEST_CONCURRENCY)) {
      await new Promise<void>((resolve) => (digest ? this.digestWaiters : this.slotWaiters).push(resolve));
    }
    this.inFlight++;
    if (digest) this.digestsInFlight++;
  }
  private release(digest: boolean): void {
    this.inFlight--;
    if (digest) this.digestsInFlight--;
    // The live path first; a digest when its own limit allows. A waiter that loses its
    // slot to another meanwhile queues again, and the next release wakes the next one.
    const next = this.slotWaiters.shift() ?? (this.digestsInFlight < DIGEST_CONCURRENCY ? this.digestWaiters.shift() : undefined);
    next?.();
  }

  private hubOf(userId: string) {
    let stub = this.hubs.get(userId);
    if (!stub) this.hubs.set(userId, (stub = hubOf(this.env, userId)));
    return stub;
  }

  /**
   * Waits out the fan-out window of a member without a room socket (the first entry after a
   * quiet spell at once), unless an urgent delivery cuts it short. Live members wait out
   * the ack grace on the room's one timer instead (`afterGrace`).
   */
  private windowOf(userId: string): Promise<void> {
    const wait = (this.lastCall.get(userId) ?? 0) + Number(this.env.FANOUT_WINDOW_MS ?? 200) - Date.now();
    if (wait <= 0 || this.urgent.has(userId) || this.soon.has(userId)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (early: boolean) => {
        // Only a wake cuts the timer short; one that fired is not cleared (clearTimeout showed
        // as 17 % of the room's profile when every member had a window per message).
        if (early) clearTimeout(timer);
        this.wake.delete(userId);
        resolve();
      };
      const timer = setTimeout(() => done(false), wait);
      this.wake.set(userId, () => done(true));
    });
  }

  /** The member's next look at `at` (or earlier, if one is due already). */
  private afterGrace(userId: string, at: number): void {
    const due = this.graceDue.get(userId);
    if (due !== undefined && due <= at) return;
    this.graceDue.set(userId, at);
    this.armGrace(at);
  }

  private armGrace(at: number): void {
    if (this.graceTimer && this.graceTimer.at <= at) return;
    if (this.graceTimer) clearTimeout(this.graceTimer.timer);
    this.graceTimer = { at, timer: setTimeout(() => this.sweepGrace(), Math.max(0, at - Date.now())) };
  }

  /** Every live member whose grace ended: their hub is called if it must be, the others wait on. */
  private sweepGrace(): void {
    this.graceTimer = undefined;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [userId, at] of [...this.graceDue]) {
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.graceDue.delete(userId);
      const m = this.member(userId);
      if (!m) continue;
      if (this.pumping.has(userId)) {
        this.again.add(userId); // the running loop looks again when it is done
        continue;
      }
      const look = this.live().has(userId) ? this.afterGraceOf(userId, m) : "window";
      if (look === "done") continue;
      if (typeof look === "number") {
        this.graceDue.set(userId, look);
        next = Math.min(next, look);
        continue;
      }
      void this.pump(userId, look === "now" ? "soon" : "window").catch((err) => console.error(`Error in GroupRoom grace: group=${this.meta("id")}`, err));
    }
    // Ends close together share a turn: at most one every GRACE_TICK_MS.
    if (next !== Number.POSITIVE_INFINITY) this.armGrace(Math.max(next, now + GRACE_TICK_MS));
  }

  /**
   * A live member's hub waits for its digest (see the class comment) unless about a page
   * piled up, or a device has not acked an entry within the grace (then it may not have it):
   * `now` calls the hub, `done` leaves it to the digest, a time is when to look again.
   */
  private afterGraceOf(userId: string, m: MemberRow): "now" | "done" | number {
    const upTo = m.left_seq ?? Number.MAX_SAFE_INTEGER;
    const head = Math.min(this.head, upTo);
    if (m.delivered_seq >= head) return "done";
    if (this.piled(userId, m, head)) return "now";
    const oldest = this.oldestUnacked(userId, m, upTo);
    if (oldest === undefined) return "done";
    const due = this.graceStart(userId, oldest) + this.ackGrace;
    return due > Date.now() ? due : "now";
  }

  /**
   * Whether a live member's digest goes now: about a page piled up (`pileOf`, counted in
   * entries, so members' piles come due spread over the messages), and, while their devices'
   * acks run more than half a page behind the head (a room past what it sustains), half a
   * page of it acked. What is not acked waits out the grace, so a pile of that alone had the
   * room read a page it could not send with every message, and push to the hub what the
   * room sockets were still carrying: the overload fed itself with duplicates.
   */
  private piled(userId: string, m: MemberRow, head: number): boolean {
    const pile = pileOf(userId);
    if (head - m.delivered_seq < pile) return false;
    const acked = this.acked.get(userId) ?? 0;
    return head - acked < pile / 2 || acked - m.delivered_seq >= pile / 2;
  }

  /**
   * When a live member's grace for an entry of time `at` starts: at the entry, or at their
   * devices' last ack after it (acks that keep moving come from a socket that works and
   * delivers in order; one that stops moving lets the grace run out), but no later than
   * ACK_LAG_MAX_MS before the entry must go to the hub whatever the acks say.
   */
  private graceStart(userId: string, at: number): number {
    const last = this.lastAck.get(userId) ?? 0;
    return last > at ? Math.min(last, at + ACK_LAG_MAX_MS - this.ackGrace) : at;
  }

  /** How long a live member's devices have to ack an entry before their hub pushes it too. */
  private get ackGrace(): number {
    return Number(this.env.GROUP_ACK_GRACE_MS ?? 2000);
  }

  /** The time of the member's oldest entry no device of theirs acked (their own messages aside), if any. */
  private oldestUnacked(userId: string, m: MemberRow, upTo: number): number | undefined {
    const from = Math.max(this.acked.get(userId) ?? 0, m.delivered_seq);
    if (from >= Math.min(this.head, upTo)) return undefined; // a device acked it all: no statement
    return this.sql
      .exec<{ at: number }>("SELECT at FROM log WHERE seq > ? AND seq <= ? AND (only IS NULL OR only = ?) AND (sender IS NULL OR sender != ?) ORDER BY seq LIMIT 1", from, upTo, userId, userId)
      .toArray()[0]?.at;
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
      for (const id of ids) this.receiptedRecent.add(id);
      this.hold(by, fresh, at);
    }
  }

  /**
   * Holds receipts for their senders. Nothing is written here: `receipted` gets them when
   * they go (`sent`), so an ack turn writes nothing and commits nothing. A receipt held when
   * the room restarts is lost either way (it is state; the next one moves the ticks on).
   */
  private hold(by: string, fresh: { msg_id: string; sender: string }[], at: number): void {
    for (const row of fresh) {
      this.receiptedRecent.add(row.msg_id);
      const held = this.heldReceipts.get(row.sender) ?? { ids: new Set<string>(), by, at };
      held.ids.add(row.msg_id);
      held.by = by;
      held.at = Math.max(held.at, at);
      this.heldReceipts.set(row.sender, held);
    }
    if (this.receiptedRecent.size > 2 * RECENT) this.receiptedRecent.clear(); // a cache: the table is the truth
    for (const sender of this.heldReceipts.keys()) this.forwardSoon(sender);
  }

  /** Receipts that reached their sender's hub: later `delivered` for them stop at the table. */
  private sent(held: HeldReceipt): void {
    for (const ids of chunked([...held.ids], 1, 0)) {
      this.sql.exec(`INSERT INTO receipted (msg_id) VALUES ${ids.map(() => "(?)").join(", ")} ON CONFLICT DO NOTHING`, ...ids);
    }
  }

  /**
   * One forward per sender per GROUP_RECEIPT_HOLD_MS: the first at once, the rest at the
   * window's end. Each is a call to the sender's hub, with their own copies when it lacks
   * them (sent on a room socket): at 200 ms (RECEIPT_HOLD_MS, the hubs' window) a busy
   * group's sender got five a second, most of a 10-member group's hub calls.
   */
  private forwardSoon(sender: string): void {
    const held = this.heldReceipts.get(sender);
    if (!held || held.timer) return;
    const hold = Number(this.env.GROUP_RECEIPT_HOLD_MS ?? 1500);
    const wait = Math.max(0, (this.lastReceipt.get(sender) ?? 0) + hold - Date.now());
    held.timer = setTimeout(() => void this.forward(sender), wait);
  }

  /**
   * The sender's hub must hold its copies before their receipts come (a copy sent on a
   * room socket reaches it with the digest): a sender that is behind gets its delivery
   * now, the receipts riding along; otherwise they go on their own.
   */
  private async forward(sender: string): Promise<void> {
    const held = this.heldReceipts.get(sender);
    if (!held) return;
    const m = this.member(sender);
    if (m && m.delivered_seq < Math.min(this.head, m.left_seq ?? this.head)) {
      held.timer = undefined;
      await this.pump(sender, "soon");
      if (!this.heldReceipts.has(sender)) return;
    }
    this.heldReceipts.delete(sender);
    this.lastReceipt.set(sender, Date.now());
    try {
      await this.hubOf(sender).receiveStatus({ conv: this.conv, msgIds: [...held.ids], state: "delivered", by: held.by, at: held.at });
      this.sent(held);
    } catch (err) {
      // Kept in memory and tried again: a receipt is state, not a message; after a restart
      // the next member's receipt for a later message still moves the ticks on.
      console.error(`GroupRoom receipt failed: group=${this.id} sender=${sender}`, err);
      this.hubs.delete(sender);
      this.holdAgain(sender, held);
      this.lastReceipt.set(sender, Date.now() + 2000);
    }
    this.forwardSoon(sender);
  }

  private holdAgain(sender: string, held: HeldReceipt): void {
    const again = this.heldReceipts.get(sender) ?? { ids: new Set<string>(), by: held.by, at: held.at };
    for (const id of held.ids) again.ids.add(id);
    this.heldReceipts.set(sender, again);
  }
}

/**
 * How many entries may pile up for a live member before their digest goes without being
 * asked for: between half a page and a page, spread by member, so a busy group's members
 * do not all get theirs in the same moment.
 */
function pileOf(userId: string): number {
  let h = 2166136261;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 16777619);
  return BATCH / 2 + ((h >>> 0) % (BATCH / 2));
}

/** A message entry as the event members' devices get (the body is already JSON). */
function messageEvent(conv: string, id: string, from: string, body: string, at: number): string {
  return `{"type":"message","conv":${JSON.stringify(conv)},"msg":{"id":${JSON.stringify(id)},"from":${JSON.stringify(from)},"source":"${NATIVE_SOURCE}","body":${body},"at":${at}}}`;
}

function toEntry(r: LogRow): RoomEntry {
  if (r.kind === "message") return { seq: r.seq, kind: "message", msg: { id: r.msg_id!, from: r.sender!, body: JSON.parse(r.payload), at: r.at } };
  return { seq: r.seq, kind: "event", ev: JSON.parse(r.payload) };
}

const socketState = (ws: WebSocket) => attachmentOf<RoomSocket | null>(ws);
const setSocketState = (ws: WebSocket, a: RoomSocket) => setAttachment<RoomSocket>(ws, a);
