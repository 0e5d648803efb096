// The fake homeserver's state: users, sessions (access token ↔ device), rooms as ordered
// event lists with their current state, receipts, account data and media. Everything that
// /sync reports carries a position in one stream, so a `since` token is just a position.
import { randomBytes } from "node:crypto";

export type Content = Record<string, unknown>;

export type StoredEvent = {
  event_id: string;
  room_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Content;
  state_key?: string;
  stream: number;
  /** Who sent it through PUT /send, so that device alone sees `unsigned.transaction_id`. */
  txn?: { device: string; txnId: string };
};

export type ReceiptType = "m.read" | "m.read.private";

export type Receipt = { userId: string; type: ReceiptType; eventId: string; threadId?: string; ts: number; stream: number };

export type Room = {
  id: string;
  events: StoredEvent[];
  state: Map<string, StoredEvent>;
  /** The latest receipt per (user, type, thread): receipts are "up to" markers. */
  receipts: Map<string, Receipt>;
  encrypted: boolean;
};

export type AccountData = Map<string, { content: Content; stream: number }>;

export type User = {
  userId: string;
  password?: string;
  displayName?: string;
  avatarUrl?: string;
  accountData: AccountData;
  roomAccountData: Map<string, AccountData>;
  filters: unknown[];
};

export type Session = { token: string; userId: string; deviceId: string; revoked?: { softLogout: boolean } };

export type Media = { serverName: string; mediaId: string; contentType: string; filename?: string; bytes: Buffer; uploadedAt: number };

export const stateKey = (type: string, key: string) => `${type}\u0000${key}`;
const receiptKey = (r: Pick<Receipt, "userId" | "type" | "threadId">) => `${r.userId}\u0000${r.type}\u0000${r.threadId ?? ""}`;
const opaque = (bytes: number) => randomBytes(bytes).toString("base64url");
const deviceIdOf = () => Array.from(randomBytes(10), (b) => String.fromCharCode(65 + (b % 26))).join("");

/** Room version 11 ids: `!opaque:server` rooms, `$` + 43 url-safe base64 characters for events. */
export class HomeserverState {
  stream = 0;
  readonly users = new Map<string, User>();
  readonly sessions = new Map<string, Session>();
  readonly rooms = new Map<string, Room>();
  readonly media = new Map<string, Media>();
  /** Answers to PUT requests with a txnId, per device and path (the spec's retransmission rule). */
  readonly transactions = new Map<string, { status: number; body: unknown }>();
  private waiters = new Set<() => void>();

  constructor(readonly serverName: string) {}

  userIdOf(localpartOrId: string): string {
    return localpartOrId.startsWith("@") ? localpartOrId : `@${localpartOrId.toLowerCase()}:${this.serverName}`;
  }

  addUser(localpartOrId: string, password?: string, displayName?: string): User {
    const userId = this.userIdOf(localpartOrId);
    if (this.users.has(userId)) throw new Error(`fake matrix: ${userId} already exists`);
    const user: User = { userId, password, displayName, accountData: new Map(), roomAccountData: new Map(), filters: [] };
    this.users.set(userId, user);
    return user;
  }

  user(userId: string): User {
    const user = this.users.get(userId);
    if (!user) throw new Error(`fake matrix: no user ${userId}`);
    return user;
  }

  /** A new access token; reusing a device id invalidates that device's earlier tokens (spec: "Relationship between access tokens and devices"). */
  login(userId: string, deviceId?: string): Session {
    if (deviceId) {
      for (const s of this.sessions.values()) {
        if (s.userId === userId && s.deviceId === deviceId && !s.revoked) s.revoked = { softLogout: false };
      }
    }
    const session: Session = { token: `syt_${opaque(24)}`, userId, deviceId: deviceId ?? deviceIdOf() };
    this.sessions.set(session.token, session);
    return session;
  }

  room(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  newRoom(encrypted: boolean): Room {
    const room: Room = { id: `!${opaque(12)}:${this.serverName}`, events: [], state: new Map(), receipts: new Map(), encrypted };
    this.rooms.set(room.id, room);
    return room;
  }

  membership(room: Room, userId: string): string | undefined {
    return room.state.get(stateKey("m.room.member", userId))?.content.membership as string | undefined;
  }

  members(room: Room, membership: string): string[] {
    const out: string[] = [];
    for (const ev of room.state.values()) {
      if (ev.type === "m.room.member" && ev.content.membership === membership) out.push(ev.state_key!);
    }
    return out;
  }

  append(room: Room, ev: Omit<StoredEvent, "event_id" | "room_id" | "origin_server_ts" | "stream">): StoredEvent {
    const stored: StoredEvent = { ...ev, event_id: `$${opaque(32)}`, room_id: room.id, origin_server_ts: Date.now(), stream: ++this.stream };
    room.events.push(stored);
    if (stored.state_key !== undefined) room.state.set(stateKey(stored.type, stored.state_key), stored);
    this.wake();
    return stored;
  }

  event(room: Room, eventId: string): StoredEvent | undefined {
    return room.events.find((e) => e.event_id === eventId);
  }

  /** Receipts only move forward, as Synapse keeps them: an older one for the same slot is ignored. */
  putReceipt(room: Room, r: Omit<Receipt, "stream" | "ts">): void {
    const target = this.event(room, r.eventId)!;
    const current = room.receipts.get(receiptKey(r));
    if (current && this.event(room, current.eventId)!.stream >= target.stream) return;
    room.receipts.set(receiptKey(r), { ...r, ts: Date.now(), stream: ++this.stream });
    this.wake();
  }

  setAccountData(user: User, type: string, content: Content, roomId?: string): void {
    let data = user.accountData;
    if (roomId) {
      data = user.roomAccountData.get(roomId) ?? new Map();
      user.roomAccountData.set(roomId, data);
    }
    data.set(type, { content, stream: ++this.stream });
    this.wake();
  }

  /** The room's state just before stream position `before` (the start of a timeline). */
  stateBefore(room: Room, before: number, after = 0): StoredEvent[] {
    const state = new Map<string, StoredEvent>();
    for (const ev of room.events) {
      if (ev.stream >= before) break;
      if (ev.state_key !== undefined && ev.stream > after) state.set(stateKey(ev.type, ev.state_key), ev);
    }
    return [...state.values()];
  }

  /** Resolves on the next change to anything /sync reports, or after `ms`. */
  nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
