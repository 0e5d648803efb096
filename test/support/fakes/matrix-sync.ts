// GET /sync's answer, built from the store as the spec's "Syncing" section describes:
// `state` is the room state at the *start* of the returned timeline (a delta over the gap
// when an incremental timeline is `limited`), `prev_batch` points just before the timeline,
// and everything newer than `since` is reported once. Filters follow definitions/sync_filter.
import { badJson } from "./matrix-errors";
import { type HomeserverState, type Room, type Session, type StoredEvent, stateKey } from "./matrix-store";

export type EventFilter = { limit?: number; types?: string[]; not_types?: string[]; senders?: string[]; not_senders?: string[] };
export type RoomEventFilter = EventFilter & { rooms?: string[]; not_rooms?: string[]; contains_url?: boolean };
export type SyncFilter = {
  room?: { rooms?: string[]; not_rooms?: string[]; timeline?: RoomEventFilter; state?: RoomEventFilter; ephemeral?: RoomEventFilter; account_data?: RoomEventFilter; include_leave?: boolean };
  account_data?: EventFilter;
  presence?: EventFilter;
  event_fields?: string[];
  event_format?: "client" | "federation";
};

/** Synapse's default timeline limit when the filter gives none. */
const DEFAULT_TIMELINE_LIMIT = 10;
/** What a room's invite_state carries (spec: "Stripped state", recommended events). */
const STRIPPED_TYPES = ["m.room.create", "m.room.name", "m.room.avatar", "m.room.topic", "m.room.join_rules", "m.room.canonical_alias", "m.room.encryption"];
const NOTIFYING_TYPES = new Set(["m.room.message", "m.room.encrypted", "m.sticker"]);

export function checkFilter(value: unknown): SyncFilter {
  const f = object(value, "filter");
  if (f.event_format !== undefined && f.event_format !== "client" && f.event_format !== "federation") throw badJson("filter.event_format must be 'client' or 'federation'");
  strings(f.event_fields, "filter.event_fields");
  if (f.account_data !== undefined) checkEventFilter(f.account_data, "filter.account_data");
  if (f.presence !== undefined) checkEventFilter(f.presence, "filter.presence");
  if (f.room !== undefined) {
    const room = object(f.room, "filter.room");
    strings(room.rooms, "filter.room.rooms");
    strings(room.not_rooms, "filter.room.not_rooms");
    if (room.include_leave !== undefined && typeof room.include_leave !== "boolean") throw badJson("filter.room.include_leave must be a boolean");
    for (const part of ["timeline", "state", "ephemeral", "account_data"]) {
      if (room[part] !== undefined) checkEventFilter(room[part], `filter.room.${part}`);
    }
  }
  return f as SyncFilter;
}

export function checkEventFilter(value: unknown, where: string): RoomEventFilter {
  const f = object(value, where);
  if (f.limit !== undefined && !(Number.isInteger(f.limit) && (f.limit as number) > 0)) throw badJson(`${where}.limit must be an integer greater than 0`);
  for (const key of ["types", "not_types", "senders", "not_senders", "rooms", "not_rooms"]) strings(f[key], `${where}.${key}`);
  for (const key of ["contains_url", "lazy_load_members", "include_redundant_members", "unread_thread_notifications"]) {
    if (f[key] !== undefined && typeof f[key] !== "boolean") throw badJson(`${where}.${key} must be a boolean`);
  }
  return f as RoomEventFilter;
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badJson(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function strings(value: unknown, where: string): void {
  if (value !== undefined && !(Array.isArray(value) && value.every((v) => typeof v === "string"))) throw badJson(`${where} must be a list of strings`);
}

/** `*` matches any run of characters in `types` and `not_types`. */
const typeMatches = (pattern: string, type: string) =>
  new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(type);

export function matches(f: RoomEventFilter | undefined, ev: Pick<StoredEvent, "type" | "sender" | "content">): boolean {
  if (!f) return true;
  if (f.not_types?.some((t) => typeMatches(t, ev.type))) return false;
  if (f.types && !f.types.some((t) => typeMatches(t, ev.type))) return false;
  if (f.not_senders?.includes(ev.sender)) return false;
  if (f.senders && !f.senders.includes(ev.sender)) return false;
  if (f.contains_url !== undefined && f.contains_url !== "url" in ev.content) return false;
  return true;
}

const roomAllowed = (f: { rooms?: string[]; not_rooms?: string[] } | undefined, roomId: string) =>
  !f?.not_rooms?.includes(roomId) && (!f?.rooms || f.rooms.includes(roomId));

/** An event as clients see it; only the device that sent it gets `unsigned.transaction_id`. */
export function clientEvent(ev: StoredEvent, viewer: Session | undefined, withRoomId: boolean): Record<string, unknown> {
  const unsigned: Record<string, unknown> = { age: Math.max(0, Date.now() - ev.origin_server_ts) };
  if (viewer && ev.txn?.device === `${viewer.userId}|${viewer.deviceId}`) unsigned.transaction_id = ev.txn.txnId;
  const out: Record<string, unknown> = { event_id: ev.event_id, type: ev.type, sender: ev.sender, origin_server_ts: ev.origin_server_ts, content: ev.content, unsigned };
  if (ev.state_key !== undefined) out.state_key = ev.state_key;
  if (withRoomId) out.room_id = ev.room_id;
  return out;
}

export type SyncResult = { body: Record<string, unknown>; empty: boolean };

export function buildSync(hs: HomeserverState, session: Session, since: number | undefined, fullState: boolean, filter: SyncFilter): SyncResult {
  const user = hs.user(session.userId);
  const join: Record<string, unknown> = {};
  const invite: Record<string, unknown> = {};
  const leave: Record<string, unknown> = {};
  for (const room of hs.rooms.values()) {
    if (!roomAllowed(filter.room, room.id)) continue;
    const membership = hs.membership(room, user.userId);
    if (membership === "join") {
      const joined = joinedRoom(hs, room, session, since, fullState, filter);
      if (joined) join[room.id] = joined;
    } else if (membership === "invite") {
      const ev = room.state.get(stateKey("m.room.member", user.userId))!;
      if (since === undefined || ev.stream > since) invite[room.id] = { invite_state: { events: strippedState(room, user.userId) } };
    } else if (since !== undefined && (membership === "leave" || membership === "ban")) {
      const ev = room.state.get(stateKey("m.room.member", user.userId))!;
      if (ev.stream > since) leave[room.id] = leftRoom(room, ev, session, since);
    }
  }
  const accountData = [...user.accountData].filter(([type, d]) => (since === undefined || d.stream > since) && matches(filter.account_data, { type, sender: user.userId, content: d.content }));
  const body = {
    next_batch: `s${hs.stream}`,
    rooms: { join, invite, leave, knock: {} },
    account_data: { events: accountData.map(([type, d]) => ({ type, content: d.content })) },
    presence: { events: [] },
    to_device: { events: [] },
  };
  const empty = !Object.keys(join).length && !Object.keys(invite).length && !Object.keys(leave).length && !accountData.length;
  return { body, empty };
}

function joinedRoom(hs: HomeserverState, room: Room, session: Session, since: number | undefined, fullState: boolean, filter: SyncFilter): Record<string, unknown> | undefined {
  const me = session.userId;
  const joinedAt = room.state.get(stateKey("m.room.member", me))!.stream;
  const fresh = since === undefined || joinedAt > since;
  const tf = filter.room?.timeline;
  const candidates = room.events.filter((e) => (fresh || e.stream > since!) && matches(tf, e));
  const timeline = candidates.slice(-(tf?.limit ?? DEFAULT_TIMELINE_LIMIT));
  const limited = candidates.length > timeline.length;
  const start = timeline[0]?.stream ?? hs.stream + 1;
  let state: StoredEvent[] = [];
  if (fresh || fullState) state = hs.stateBefore(room, start);
  else if (limited) state = hs.stateBefore(room, start, since);
  state = state.filter((e) => matches(filter.room?.state, e));
  const ephemeral = receiptEvent(room, me, fresh ? undefined : since, filter.room?.ephemeral);
  const roomData = [...(hs.user(me).roomAccountData.get(room.id) ?? [])].filter(([type, d]) => (fresh || d.stream > since!) && matches(filter.room?.account_data, { type, sender: me, content: d.content }));
  if (!fresh && !timeline.length && !state.length && !ephemeral.length && !roomData.length) return undefined;
  return {
    summary: summary(hs, room, me),
    state: { events: state.map((e) => clientEvent(e, session, false)) },
    timeline: { events: timeline.map((e) => clientEvent(e, session, false)), limited, prev_batch: `s${(timeline[0]?.stream ?? start) - 1}` },
    ephemeral: { events: ephemeral },
    account_data: { events: roomData.map(([type, d]) => ({ type, content: d.content })) },
    unread_notifications: { notification_count: unread(room, me), highlight_count: 0 },
  };
}

/** One m.receipt event in the spec's shape: `{ $event: { m.read: { @user: { ts, thread_id? } } } }`. Private receipts go only to their owner. */
function receiptEvent(room: Room, me: string, since: number | undefined, f: RoomEventFilter | undefined): Record<string, unknown>[] {
  if (!matches(f, { type: "m.receipt", sender: me, content: {} })) return [];
  const content: Record<string, Record<string, Record<string, Record<string, unknown>>>> = {};
  for (const r of room.receipts.values()) {
    if (since !== undefined && r.stream <= since) continue;
    if (r.type === "m.read.private" && r.userId !== me) continue;
    const byType = (content[r.eventId] ??= {});
    const byUser = (byType[r.type] ??= {});
    byUser[r.userId] = r.threadId ? { ts: r.ts, thread_id: r.threadId } : { ts: r.ts };
  }
  return Object.keys(content).length ? [{ type: "m.receipt", content }] : [];
}

function summary(hs: HomeserverState, room: Room, me: string): Record<string, unknown> {
  const joined = hs.members(room, "join");
  const invited = hs.members(room, "invite");
  const out: Record<string, unknown> = { "m.joined_member_count": joined.length, "m.invited_member_count": invited.length };
  if (!room.state.get(stateKey("m.room.name", ""))?.content.name) out["m.heroes"] = [...joined, ...invited].filter((u) => u !== me).slice(0, 5);
  return out;
}

/** Messages from others after the user's furthest read receipt (public or private). */
function unread(room: Room, me: string): number {
  let readUpTo = 0;
  for (const r of room.receipts.values()) {
    if (r.userId !== me) continue;
    const ev = room.events.find((e) => e.event_id === r.eventId);
    if (ev && ev.stream > readUpTo) readUpTo = ev.stream;
  }
  return room.events.filter((e) => e.stream > readUpTo && e.sender !== me && NOTIFYING_TYPES.has(e.type)).length;
}

/** The room's stripped state plus the invitee's own invite event. */
function strippedState(room: Room, me: string): Record<string, unknown>[] {
  return [...room.state.values()]
    .filter((e) => STRIPPED_TYPES.includes(e.type) || (e.type === "m.room.member" && e.state_key === me))
    .map((e) => ({ type: e.type, state_key: e.state_key, content: e.content, sender: e.sender }));
}

function leftRoom(room: Room, leaveEv: StoredEvent, session: Session, since: number): Record<string, unknown> {
  const timeline = room.events.filter((e) => e.stream > since && e.stream <= leaveEv.stream);
  return { state: { events: [] }, timeline: { events: timeline.map((e) => clientEvent(e, session, false)), limited: false }, account_data: { events: [] } };
}
