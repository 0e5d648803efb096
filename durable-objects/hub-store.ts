// The UserHub's own SQLite: the user's event log, message history, conversations,
// send dedupe, cached friend set and the outbox of notifications to other hubs.
// Every method is synchronous: between two awaits in the hub nothing else runs, so a
// sequence of these calls is atomic (DO input/output gates).
import type { ConversationSummary, DeliveryState, HubEvent, Message, ReceiptState, User } from "../core/protocol";

const BASE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, ev TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  pos INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE, conv TEXT NOT NULL, sender TEXT NOT NULL, source TEXT NOT NULL,
  body TEXT NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL,
  state TEXT -- own messages only: sent | delivered | read
);
CREATE INDEX IF NOT EXISTS messages_conv ON messages(conv, pos);
CREATE INDEX IF NOT EXISTS messages_seq ON messages(seq);
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL,
  peer TEXT, last_pos INTEGER, read_pos INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sends (
  client_id TEXT PRIMARY KEY, msg_id TEXT NOT NULL, conv TEXT NOT NULL, at INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS friends (
  id TEXT PRIMARY KEY, user TEXT NOT NULL, since INTEGER NOT NULL,
  online INTEGER NOT NULL DEFAULT 0, seen_at INTEGER
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, kind TEXT NOT NULL,
  payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL
);
`;

/** Later schema steps, applied once each in order; `meta.schema` counts the ones applied. */
const MIGRATIONS = [
  `ALTER TABLE messages ADD COLUMN media TEXT;
   CREATE INDEX IF NOT EXISTS messages_media ON messages(media) WHERE media IS NOT NULL;
   CREATE TABLE IF NOT EXISTS own_media (id TEXT PRIMARY KEY, kind TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS groups (
     id TEXT PRIMARY KEY, name TEXT, status TEXT NOT NULL DEFAULT 'active', end_reason TEXT, joined_at INTEGER NOT NULL,
     room_seq INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE IF NOT EXISTS receipts (msg_id TEXT NOT NULL, user TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (msg_id, user));`,
  // Receipts that overtook our own copy of a message (see UserHub.receiveStatus).
  `CREATE TABLE IF NOT EXISTS early_receipts (msg_id TEXT NOT NULL, payload TEXT NOT NULL);
   CREATE INDEX IF NOT EXISTS early_receipts_msg ON early_receipts(msg_id);`,
  // Web Push subscriptions of this user's browsers (see UserHub.notifyAway).
  `CREATE TABLE IF NOT EXISTS push_subs (endpoint TEXT PRIMARY KEY, p256dh TEXT NOT NULL, auth TEXT NOT NULL, created_at INTEGER NOT NULL);`,
];

/** A user keeps at most this many push subscriptions (browsers); a new one replaces the oldest. */
const MAX_PUSH_SUBS = 10;

/** A held receipt grows to at most this many ids (a `status` event stays small). */
const MAX_HELD_IDS = 500;

export type StoredMessage = Message & { conv: string; seq: number; state?: DeliveryState; readBy?: string[] };
export type OutboxRow = { id: number; peer: string; kind: "status" | "presence" | "push"; payload: string; attempts: number };
export type PushSub = { endpoint: string; p256dh: string; auth: string };
type MessageRow = { pos: number; id: string; conv: string; sender: string; source: string; body: string; at: number; seq: number; state: string | null };

export class HubStore {
  private head: number;

  constructor(private sql: SqlStorage) {
    sql.exec(BASE_SCHEMA);
    for (let v = this.numberMeta("schema"); v < MIGRATIONS.length; v++) {
      sql.exec(MIGRATIONS[v]!);
      this.setMeta("schema", v + 1);
    }
    this.head = Number(this.meta("head") ?? 0);
  }

  // ---- meta ----------------------------------------------------------------------
  meta(k: string): string | undefined {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v;
  }
  setMeta(k: string, v: string | number): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, String(v));
  }
  numberMeta(k: string): number {
    return Number(this.meta(k) ?? 0);
  }

  // ---- event log -----------------------------------------------------------------
  get headSeq(): number {
    return this.head;
  }

  /** Appends an event with the next gap-free seq; the caller pushes it afterwards. */
  append(ev: HubEvent, at = Date.now()): number {
    const seq = this.head + 1;
    this.sql.exec("INSERT INTO events (seq, ev, at) VALUES (?, ?, ?)", seq, JSON.stringify(ev), at);
    this.setMeta("head", seq);
    this.head = seq;
    return seq;
  }

  eventsAfter(seq: number): Iterable<{ seq: number; ev: string }> {
    return this.sql.exec<{ seq: number; ev: string }>("SELECT seq, ev FROM events WHERE seq > ? ORDER BY seq", seq);
  }

  // ---- messages ------------------------------------------------------------------
  hasMessage(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM messages WHERE id = ?", id).toArray().length > 0;
  }

  insertMessage(conv: string, msg: Message, seq: number, own: boolean): number {
    const media = "media" in msg.body ? msg.body.media : null;
    this.sql.exec(
      "INSERT INTO messages (id, conv, sender, source, body, at, seq, state, media) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      msg.id, conv, msg.from, msg.source, JSON.stringify(msg.body), msg.at, seq, own ? "sent" : null, media,
    );
    const pos = this.sql.exec<{ pos: number }>("SELECT last_insert_rowid() AS pos").one().pos;
    this.sql.exec("UPDATE conversations SET last_pos = ?, updated_at = ? WHERE id = ?", pos, msg.at, conv);
    return pos;
  }

  /** Messages in `conv` with these ids, with their position; foreign ids are dropped. */
  messagesIn(conv: string, ids: string[]): { id: string; sender: string; pos: number }[] {
    const out: { id: string; sender: string; pos: number }[] = [];
    // SQLite in a Durable Object binds at most 100 parameters per statement.
    for (let i = 0; i < ids.length; i += 90) {
      const part = ids.slice(i, i + 90);
      out.push(
        ...this.sql
          .exec<{ id: string; sender: string; pos: number }>(`SELECT id, sender, pos FROM messages WHERE conv = ? AND id IN (${part.map(() => "?").join(",")})`, conv, ...part)
          .toArray(),
      );
    }
    return out;
  }

  /** Others' messages whose events fall in (from, to]: they just reached a device. */
  receivedBetween(me: string, from: number, to: number): { id: string; conv: string; sender: string }[] {
    return this.sql
      .exec<{ id: string; conv: string; sender: string }>(
        "SELECT id, conv, sender FROM messages WHERE seq > ? AND seq <= ? AND sender != ? ORDER BY seq",
        from, to, me,
      )
      .toArray();
  }

  /** Raises own messages' state (sent → delivered → read, never down); returns the ids that changed. */
  raiseState(me: string, ids: string[], state: ReceiptState): string[] {
    const below = state === "read" ? ["sent", "delivered"] : ["sent"];
    const changed: string[] = [];
    for (const id of ids) {
      const r = this.sql.exec(
        `UPDATE messages SET state = ? WHERE id = ? AND sender = ? AND state IN (${below.map(() => "?").join(",")})`,
        state, id, me, ...below,
      );
      if (r.rowsWritten > 0) changed.push(id);
    }
    return changed;
  }

  page(conv: string, before: number | undefined, limit: number): { messages: StoredMessage[]; before?: string } {
    const rows = this.sql
      .exec<MessageRow>("SELECT * FROM messages WHERE conv = ? AND pos < ? ORDER BY pos DESC LIMIT ?", conv, before ?? Number.MAX_SAFE_INTEGER, limit + 1)
      .toArray();
    const more = rows.length > limit;
    const pageRows = rows.slice(0, limit).reverse();
    const messages = pageRows.map(toMessage);
    if (conv.startsWith("g:")) for (const m of messages) if (m.state) m.readBy = this.readBy(m.id);
    return { messages, before: more ? String(pageRows[0]!.pos) : undefined };
  }

  // ---- conversations -------------------------------------------------------------
  hasConversation(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM conversations WHERE id = ?", id).toArray().length > 0;
  }

  ensureConversation(c: { id: string; kind: "direct" | "group"; source: string; title: string; peer?: User }, at: number): void {
    this.sql.exec(
      `INSERT INTO conversations (id, kind, source, title, peer, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET title = excluded.title, peer = COALESCE(excluded.peer, conversations.peer)`,
      c.id, c.kind, c.source, c.title, c.peer ? JSON.stringify(c.peer) : null, at,
    );
  }

  markRead(conv: string, pos: number): void {
    this.sql.exec("UPDATE conversations SET read_pos = MAX(read_pos, ?) WHERE id = ?", pos, conv);
  }

  /** Others' messages after the conversation's read mark. */
  unread(conv: string, me: string): number {
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages m JOIN conversations c ON c.id = m.conv WHERE m.conv = ? AND m.pos > c.read_pos AND m.sender != ?", conv, me)
      .one().n;
  }

  conversations(me: string): ConversationSummary[] {
    type Row = { cid: string; kind: "direct" | "group"; csource: string; title: string; peer: string | null; unread: number;
      gid: string | null; gstatus: "active" | "left" | "ended" | null; gend: "ttl" | "ended" | null } & Partial<MessageRow>;
    const rows = this.sql
      .exec<Row>(
        `SELECT c.id AS cid, c.kind, c.source AS csource, c.title, c.peer,
                (SELECT COUNT(*) FROM messages u WHERE u.conv = c.id AND u.pos > c.read_pos AND u.sender != ?) AS unread,
                g.id AS gid, g.status AS gstatus, g.end_reason AS gend,
                m.pos, m.id, m.conv, m.sender, m.source, m.body, m.at, m.seq, m.state
         FROM conversations c
         LEFT JOIN messages m ON m.pos = c.last_pos
         LEFT JOIN groups g ON c.kind = 'group' AND g.id = substr(c.id, 3)
         ORDER BY c.updated_at DESC`,
        me,
      )
      .toArray();
    return rows.map((r) => ({
      id: r.cid,
      kind: r.kind,
      source: r.csource,
      title: r.title,
      ...(r.peer ? { peer: JSON.parse(r.peer) as User } : {}),
      ...(r.gid ? { group: r.gid } : {}),
      last: r.id ? toMessage(r as MessageRow) : null,
      unread: r.unread,
      ...(r.gstatus === "ended" ? { ended: r.gend ?? "ttl" } : {}),
      ...(r.gstatus === "left" ? { left: true as const } : {}),
    }));
  }

  // ---- sends (idempotency by client id) ----------------------------------------------
  send(clientId: string): { msg_id: string; conv: string; at: number; done: number } | undefined {
    return this.sql.exec<{ msg_id: string; conv: string; at: number; done: number }>("SELECT msg_id, conv, at, done FROM sends WHERE client_id = ?", clientId).toArray()[0];
  }
  reserveSend(clientId: string, msgId: string, conv: string, at: number): void {
    this.sql.exec("INSERT INTO sends (client_id, msg_id, conv, at) VALUES (?, ?, ?, ?)", clientId, msgId, conv, at);
  }
  finishSend(clientId: string): void {
    this.sql.exec("UPDATE sends SET done = 1 WHERE client_id = ?", clientId);
  }

  // ---- friends (cached from D1; refreshed on connect and on every change) ---------
  isFriend(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM friends WHERE id = ?", id).toArray().length > 0;
  }
  friend(id: string): User | undefined {
    const row = this.sql.exec<{ user: string }>("SELECT user FROM friends WHERE id = ?", id).toArray()[0];
    return row && (JSON.parse(row.user) as User);
  }
  friendIds(): string[] {
    return this.sql.exec<{ id: string }>("SELECT id FROM friends").toArray().map((r) => r.id);
  }
  putFriend(user: User, since: number): void {
    this.sql.exec(
      "INSERT INTO friends (id, user, since) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET user = excluded.user, since = excluded.since",
      user.id, JSON.stringify(user), since,
    );
  }
  removeFriend(id: string): void {
    this.sql.exec("DELETE FROM friends WHERE id = ?", id);
  }
  /** Replaces the cached set with the store's, keeping known presence. */
  replaceFriends(list: { user: User; since: number }[]): void {
    const keep = new Set(list.map((f) => f.user.id));
    for (const id of this.friendIds()) if (!keep.has(id)) this.removeFriend(id);
    for (const f of list) this.putFriend(f.user, f.since);
  }
  setPresence(id: string, online: boolean, at: number): void {
    this.sql.exec("UPDATE friends SET online = ?, seen_at = ? WHERE id = ?", online ? 1 : 0, at, id);
  }
  presence(): Record<string, { online: boolean; seenAt: number | null }> {
    const out: Record<string, { online: boolean; seenAt: number | null }> = {};
    for (const r of this.sql.exec<{ id: string; online: number; seen_at: number | null }>("SELECT id, online, seen_at FROM friends")) {
      out[r.id] = { online: r.online === 1, seenAt: r.seen_at };
    }
    return out;
  }

  /** Message ids among `ids` that are ours but not written yet: sends still on their way. */
  inFlightSends(ids: string[]): string[] {
    return ids.filter((id) => !this.hasMessage(id) && this.sql.exec("SELECT 1 FROM sends WHERE msg_id = ? AND done = 0", id).toArray().length > 0);
  }
  keepEarlyReceipt(msgId: string, payload: unknown): void {
    this.sql.exec("INSERT INTO early_receipts (msg_id, payload) VALUES (?, ?)", msgId, JSON.stringify(payload));
  }
  takeEarlyReceipts<T>(msgId: string): T[] {
    const rows = this.sql.exec<{ payload: string }>("SELECT payload FROM early_receipts WHERE msg_id = ?", msgId).toArray();
    if (rows.length > 0) this.sql.exec("DELETE FROM early_receipts WHERE msg_id = ?", msgId);
    return rows.map((r) => JSON.parse(r.payload) as T);
  }

  // ---- Web Push subscriptions ------------------------------------------------------
  addPushSub(sub: PushSub, at: number): void {
    this.sql.exec(
      "INSERT INTO push_subs (endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at",
      sub.endpoint, sub.p256dh, sub.auth, at,
    );
    this.sql.exec("DELETE FROM push_subs WHERE endpoint NOT IN (SELECT endpoint FROM push_subs ORDER BY created_at DESC LIMIT ?)", MAX_PUSH_SUBS);
  }
  removePushSub(endpoint: string): boolean {
    return this.sql.exec("DELETE FROM push_subs WHERE endpoint = ?", endpoint).rowsWritten > 0;
  }
  pushSubs(): PushSub[] {
    return this.sql.exec<PushSub>("SELECT endpoint, p256dh, auth FROM push_subs ORDER BY created_at").toArray();
  }
  pushSub(endpoint: string): PushSub | undefined {
    return this.sql.exec<PushSub>("SELECT endpoint, p256dh, auth FROM push_subs WHERE endpoint = ?", endpoint).toArray()[0];
  }
  conversationTitle(id: string): string | undefined {
    return this.sql.exec<{ title: string }>("SELECT title FROM conversations WHERE id = ?", id).toArray()[0]?.title;
  }

  // ---- media ---------------------------------------------------------------------
  addOwnMedia(id: string, kind: string): void {
    this.sql.exec("INSERT OR IGNORE INTO own_media (id, kind) VALUES (?, ?)", id, kind);
  }
  ownMediaKind(id: string): string | undefined {
    return this.sql.exec<{ kind: string }>("SELECT kind FROM own_media WHERE id = ?", id).toArray()[0]?.kind;
  }
  /** Conversations holding a message that carries this media. */
  convsWithMedia(id: string): string[] {
    return this.sql.exec<{ conv: string }>("SELECT DISTINCT conv FROM messages WHERE media = ?", id).toArray().map((r) => r.conv);
  }

  // ---- groups (this user's memberships; the room is the source of truth) ---------
  group(id: string): { id: string; name: string | null; status: "active" | "left" | "ended"; end_reason: string | null } | undefined {
    return this.sql.exec<{ id: string; name: string | null; status: "active" | "left" | "ended"; end_reason: string | null }>("SELECT id, name, status, end_reason FROM groups WHERE id = ?", id).toArray()[0];
  }
  joinGroup(id: string, name: string | null, at: number): void {
    this.sql.exec(
      "INSERT INTO groups (id, name, joined_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, status = CASE WHEN groups.status = 'ended' THEN 'ended' ELSE 'active' END",
      id, name, at,
    );
  }
  groupRoomSeq(id: string): number {
    return this.sql.exec<{ s: number }>("SELECT room_seq AS s FROM groups WHERE id = ?", id).toArray()[0]?.s ?? 0;
  }
  setGroupRoomSeq(id: string, seq: number): void {
    this.sql.exec("UPDATE groups SET room_seq = MAX(room_seq, ?) WHERE id = ?", seq, id);
  }
  /** Group read receipts, one per reader; returns the message ids this reader had not read yet. */
  addReadReceipts(me: string, ids: string[], user: string, at: number): string[] {
    const fresh: string[] = [];
    for (const id of ids) {
      if (this.sql.exec("SELECT 1 FROM messages WHERE id = ? AND sender = ?", id, me).toArray().length === 0) continue;
      if (this.sql.exec("INSERT OR IGNORE INTO receipts (msg_id, user, at) VALUES (?, ?, ?)", id, user, at).rowsWritten > 0) fresh.push(id);
    }
    return fresh;
  }
  readBy(msgId: string): string[] {
    return this.sql.exec<{ user: string }>("SELECT user FROM receipts WHERE msg_id = ? ORDER BY at", msgId).toArray().map((r) => r.user);
  }
  setGroupStatus(id: string, status: "left" | "ended", reason?: string): void {
    this.sql.exec("UPDATE groups SET status = ?, end_reason = COALESCE(?, end_reason) WHERE id = ?", status, reason ?? null, id);
  }

  // ---- outbox: notifications to other hubs, retried until they land ---------------
  enqueue(peer: string, kind: OutboxRow["kind"], payload: unknown): void {
    this.sql.exec("INSERT INTO outbox (peer, kind, payload, next_at) VALUES (?, ?, ?, ?)", peer, kind, JSON.stringify(payload), Date.now());
  }
  /**
   * A receipt joins one still held for the same peer, conversation and state (ids merged,
   * the latest time kept); otherwise it is held in a new row until `until`. A burst of acks
   * or reads becomes one notification to the sender's hub.
   */
  holdReceipt(peer: string, receipt: { conv: string; msgIds: string[]; state: string; by: string; at: number }, until: number): void {
    const held = this.sql
      .exec<{ id: number; payload: string }>("SELECT id, payload FROM outbox WHERE peer = ? AND kind = 'status' AND attempts = 0 AND next_at > ? ORDER BY id", peer, Date.now())
      .toArray()
      .map((r) => ({ id: r.id, payload: JSON.parse(r.payload) as typeof receipt }))
      .find((r) => r.payload.conv === receipt.conv && r.payload.state === receipt.state && r.payload.msgIds.length + receipt.msgIds.length <= MAX_HELD_IDS);
    if (!held) {
      this.sql.exec("INSERT INTO outbox (peer, kind, payload, next_at) VALUES (?, 'status', ?, ?)", peer, JSON.stringify(receipt), until);
      return;
    }
    const msgIds = [...new Set([...held.payload.msgIds, ...receipt.msgIds])];
    this.sql.exec("UPDATE outbox SET payload = ? WHERE id = ?", JSON.stringify({ ...held.payload, msgIds, at: Math.max(held.payload.at, receipt.at) }), held.id);
  }
  dueOutbox(now: number): OutboxRow[] {
    return this.sql.exec<OutboxRow>("SELECT id, peer, kind, payload, attempts FROM outbox WHERE next_at <= ? ORDER BY id LIMIT 100", now).toArray();
  }
  nextOutboxAt(): number | undefined {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM outbox").one().t ?? undefined;
  }
  outboxDone(id: number): void {
    this.sql.exec("DELETE FROM outbox WHERE id = ?", id);
  }
  outboxRetry(id: number, attempts: number, nextAt: number): void {
    this.sql.exec("UPDATE outbox SET attempts = ?, next_at = ? WHERE id = ?", attempts, nextAt, id);
  }
}

function toMessage(r: MessageRow): StoredMessage {
  const msg: StoredMessage = { id: r.id, from: r.sender, source: r.source, body: JSON.parse(r.body), at: r.at, conv: r.conv, seq: r.seq };
  if (r.state) msg.state = r.state as StoredMessage["state"];
  return msg;
}
