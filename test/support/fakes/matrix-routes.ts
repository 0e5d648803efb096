// The client-server API endpoints the fake serves, each written from its OpenAPI file in
// matrix-org/matrix-spec data/api/client-server/ (named beside each route).
import { MatrixError, badJson, forbidden, invalidParam, missingParam, notFound, notJson, tooLarge, unknownError } from "./matrix-errors";
import { type Content, type HomeserverState, type Room, type Session, stateKey } from "./matrix-store";
import { type RoomEventFilter, type SyncFilter, buildSync, checkEventFilter, checkFilter, clientEvent, matches } from "./matrix-sync";

export type Ctx = {
  url: URL;
  params: string[];
  session: Session | undefined;
  contentType: string | undefined;
  /** The raw body, read once. */
  raw(): Promise<Buffer>;
  /** False once the client hung up, so a long-poll stops waiting. */
  open(): boolean;
};

export type Route = {
  method: string;
  path: RegExp;
  auth: "required" | "optional" | "none";
  handle(ctx: Ctx): unknown | Promise<unknown>;
};

/** A route's answer when it is not `200` with a JSON body. */
export class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const CS = "/_matrix/client/v3";
const seg = "([^/]+)";
const p = (path: string) => new RegExp(`^${path.replaceAll("{}", seg)}$`);

/** Synapse's limit on an event's size, from the spec's "Size limits" (65536 bytes). */
const MAX_EVENT_BYTES = 65_536;
const RECEIPT_TYPES = ["m.read", "m.read.private", "m.fully_read"];

/** The versions this fake answers as; it implements the parts of them listed in matrix.ts. */
const VERSIONS = ["v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", "v1.12", "v1.13", "v1.14", "v1.15", "v1.16", "v1.17", "v1.18", "v1.19"];

export async function jsonObject(ctx: Ctx): Promise<Content> {
  const raw = await ctx.raw();
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    throw notJson();
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badJson("Content must be a JSON object.");
  return value as Content;
}

function roomIdParam(value: string): string {
  if (!value.startsWith("!")) throw invalidParam(`Expected room ID string to start with '!': ${value}`);
  return value;
}

export function parseToken(value: string, name: string): number {
  const m = /^s(\d+)$/.exec(value);
  if (!m) throw invalidParam(`Invalid ${name} token`);
  return Number(m[1]);
}

function intParam(url: URL, name: string, fallback: number): number {
  const value = url.searchParams.get(name);
  if (value === null) return fallback;
  if (!/^\d+$/.test(value)) throw invalidParam(`Query parameter '${name}' must be an integer`);
  return Number(value);
}

function boolParam(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  if (value === null) return false;
  if (value !== "true" && value !== "false") throw invalidParam(`Boolean query parameter '${name}' must be one of ['true', 'false']`);
  return value === "true";
}

export function clientRoutes(hs: HomeserverState): Route[] {
  const me = (ctx: Ctx) => ctx.session!;

  /** Rooms the caller is joined to; an unknown room looks the same, as on Synapse. */
  const joinedRoom = (ctx: Ctx, id: string): Room => {
    const roomId = roomIdParam(id);
    const room = hs.room(roomId);
    if (!room || hs.membership(room, me(ctx).userId) !== "join") throw forbidden(`User ${me(ctx).userId} not in room ${roomId}`);
    return room;
  };

  /** State a member may read: the current state, or the state when they left (rooms.yaml). */
  const readableState = (ctx: Ctx, id: string) => {
    const roomId = roomIdParam(id);
    const room = hs.room(roomId);
    const member = room?.state.get(stateKey("m.room.member", me(ctx).userId));
    const membership = member?.content.membership;
    if (!room || !member || (membership !== "join" && membership !== "leave" && membership !== "ban")) {
      throw forbidden(`User ${me(ctx).userId} not in room ${roomId}, and room previews are disabled`);
    }
    return membership === "join" ? [...room.state.values()] : hs.stateBefore(room, member.stream + 1);
  };

  const resolveFilter = (ctx: Ctx): SyncFilter => {
    const value = ctx.url.searchParams.get("filter");
    if (value === null) return {};
    if (value.startsWith("{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw notJson("Invalid filter JSON");
      }
      return checkFilter(parsed);
    }
    if (!/^\d+$/.test(value)) throw invalidParam("Invalid filter ID");
    const stored = hs.user(me(ctx).userId).filters[Number(value)];
    if (!stored) throw notFound("No such filter");
    return stored as SyncFilter;
  };

  return [
    // versions.yaml
    { method: "GET", path: p("/_matrix/client/versions"), auth: "optional", handle: () => ({ versions: VERSIONS, unstable_features: {} }) },

    // login.yaml
    { method: "GET", path: p(`${CS}/login`), auth: "none", handle: () => ({ flows: [{ type: "m.login.password" }] }) },
    { method: "POST", path: p(`${CS}/login`), auth: "none", handle: async (ctx) => login(hs, await jsonObject(ctx)) },

    // logout.yaml: empty body allowed.
    {
      method: "POST", path: p(`${CS}/logout`), auth: "required",
      handle: (ctx) => {
        me(ctx).revoked = { softLogout: false };
        return {};
      },
    },
    {
      method: "POST", path: p(`${CS}/logout/all`), auth: "required",
      handle: (ctx) => {
        for (const s of hs.sessions.values()) if (s.userId === me(ctx).userId) s.revoked = { softLogout: false };
        return {};
      },
    },

    // whoami.yaml
    { method: "GET", path: p(`${CS}/account/whoami`), auth: "required", handle: (ctx) => ({ user_id: me(ctx).userId, device_id: me(ctx).deviceId, is_guest: false }) },

    // sync.yaml: a real long-poll — held until something for this user arrives or `timeout` ms pass.
    {
      method: "GET", path: p(`${CS}/sync`), auth: "required",
      handle: async (ctx) => {
        const q = ctx.url.searchParams;
        const since = q.get("since") === null ? undefined : parseToken(q.get("since")!, "since");
        const timeout = intParam(ctx.url, "timeout", 0);
        const fullState = boolParam(ctx.url, "full_state");
        const presence = q.get("set_presence");
        if (presence !== null && !["offline", "online", "unavailable"].includes(presence)) throw invalidParam("Query parameter 'set_presence' must be one of ['offline', 'online', 'unavailable']");
        const filter = resolveFilter(ctx);
        const deadline = Date.now() + timeout;
        let result = buildSync(hs, me(ctx), since, fullState, filter);
        // full_state answers at once (the spec says `timeout` is then ignored).
        while (result.empty && since !== undefined && !fullState && ctx.open() && Date.now() < deadline) {
          await hs.nextChange(deadline - Date.now());
          result = buildSync(hs, me(ctx), since, fullState, filter);
        }
        return result.body;
      },
    },

    // filter.yaml
    {
      method: "POST", path: p(`${CS}/user/{}/filter`), auth: "required",
      handle: async (ctx) => {
        if (ctx.params[0] !== me(ctx).userId) throw forbidden("Cannot create filters for other users");
        const filter = checkFilter(await jsonObject(ctx));
        const filters = hs.user(me(ctx).userId).filters;
        filters.push(filter);
        return { filter_id: String(filters.length - 1) };
      },
    },
    {
      method: "GET", path: p(`${CS}/user/{}/filter/{}`), auth: "required",
      handle: (ctx) => {
        if (ctx.params[0] !== me(ctx).userId) throw forbidden("Cannot get filters for other users");
        const stored = /^\d+$/.test(ctx.params[1]!) ? hs.user(me(ctx).userId).filters[Number(ctx.params[1])] : undefined;
        if (!stored) throw notFound("No such filter");
        return stored;
      },
    },

    // account-data.yaml: global account data (m.direct and the like), only the user's own.
    {
      method: "GET", path: p(`${CS}/user/{}/account_data/{}`), auth: "required",
      handle: (ctx) => {
        if (ctx.params[0] !== me(ctx).userId) throw forbidden("Cannot get account data for other users.");
        const data = hs.user(me(ctx).userId).accountData.get(ctx.params[1]!);
        if (!data) throw notFound("Account data not found");
        return data.content;
      },
    },
    {
      method: "PUT", path: p(`${CS}/user/{}/account_data/{}`), auth: "required",
      handle: async (ctx) => {
        if (ctx.params[0] !== me(ctx).userId) throw forbidden("Cannot add account data for other users.");
        const type = ctx.params[1]!;
        const content = await jsonObject(ctx);
        // Server-controlled types are refused with 405 M_BAD_JSON (the spec's own example).
        if (type === "m.fully_read" || type === "m.push_rules") throw new MatrixError(405, "M_BAD_JSON", `Cannot set ${type} through this API.`);
        hs.setAccountData(hs.user(me(ctx).userId), type, content);
        return {};
      },
    },

    // list_joined_rooms.yaml
    { method: "GET", path: p(`${CS}/joined_rooms`), auth: "required", handle: (ctx) => ({ joined_rooms: [...hs.rooms.values()].filter((r) => hs.membership(r, me(ctx).userId) === "join").map((r) => r.id) }) },

    // rooms.yaml
    {
      method: "GET", path: p(`${CS}/rooms/{}/joined_members`), auth: "required",
      handle: (ctx) => {
        const room = joinedRoom(ctx, ctx.params[0]!);
        const joined: Record<string, Record<string, unknown>> = {};
        for (const userId of hs.members(room, "join")) {
          const content = room.state.get(stateKey("m.room.member", userId))!.content;
          joined[userId] = { display_name: content.displayname, avatar_url: content.avatar_url };
        }
        return { joined };
      },
    },
    { method: "GET", path: p(`${CS}/rooms/{}/state`), auth: "required", handle: (ctx) => readableState(ctx, ctx.params[0]!).map((e) => clientEvent(e, me(ctx), true)) },
    ...["/{}/{}", "/{}/", "/{}"].map((tail): Route => ({
      method: "GET", path: p(`${CS}/rooms/{}/state${tail}`), auth: "required",
      handle: (ctx) => {
        const [roomId, type, key = ""] = ctx.params;
        const ev = readableState(ctx, roomId!).find((e) => e.type === type && e.state_key === key);
        if (!ev) throw notFound("Event not found.");
        const format = ctx.url.searchParams.get("format") ?? "content";
        if (format !== "content" && format !== "event") throw invalidParam("Query parameter 'format' must be one of ['content', 'event']");
        return format === "event" ? clientEvent(ev, me(ctx), true) : ev.content;
      },
    })),
    {
      method: "GET", path: p(`${CS}/rooms/{}/event/{}`), auth: "required",
      handle: (ctx) => {
        const ev = hs.event(joinedRoom(ctx, ctx.params[0]!), ctx.params[1]!);
        if (!ev) throw notFound("Event not found.");
        return clientEvent(ev, me(ctx), true);
      },
    },

    // message_pagination.yaml
    { method: "GET", path: p(`${CS}/rooms/{}/messages`), auth: "required", handle: (ctx) => messages(hs, ctx, joinedRoom(ctx, ctx.params[0]!)) },

    // profile.yaml: readable without a token.
    {
      method: "GET", path: p(`${CS}/profile/{}`), auth: "optional",
      handle: (ctx) => {
        if (!ctx.params[0]!.startsWith("@")) throw invalidParam("Expected user ID string to start with '@'");
        const user = hs.users.get(ctx.params[0]!);
        if (!user) throw notFound("Profile not found");
        return { ...(user.displayName ? { displayname: user.displayName } : {}), ...(user.avatarUrl ? { avatar_url: user.avatarUrl } : {}) };
      },
    },

    // room_send.yaml, with the spec's "Transaction identifiers" rule.
    {
      method: "PUT", path: p(`${CS}/rooms/{}/send/{}/{}`), auth: "required",
      handle: async (ctx) => {
        const s = me(ctx);
        const key = `${s.userId}|${s.deviceId}|${ctx.url.pathname}`;
        const earlier = hs.transactions.get(key);
        if (earlier) return new Answer(earlier.status, earlier.body);
        const room = joinedRoom(ctx, ctx.params[0]!);
        if ((await ctx.raw()).length > MAX_EVENT_BYTES) throw tooLarge("Event too large");
        const content = await jsonObject(ctx);
        const ev = hs.append(room, { type: ctx.params[1]!, sender: s.userId, content, txn: { device: `${s.userId}|${s.deviceId}`, txnId: ctx.params[2]! } });
        const body = { event_id: ev.event_id };
        hs.transactions.set(key, { status: 200, body });
        return body;
      },
    },

    // receipts.yaml
    {
      method: "POST", path: p(`${CS}/rooms/{}/receipt/{}/{}`), auth: "required",
      handle: async (ctx) => {
        const [, receiptType, eventId] = ctx.params as [string, string, string];
        if (!RECEIPT_TYPES.includes(receiptType)) throw invalidParam(`Receipt type not recognized: ${receiptType}`);
        const room = joinedRoom(ctx, ctx.params[0]!);
        const body = await jsonObject(ctx);
        const threadId = body.thread_id;
        if (threadId !== undefined && (typeof threadId !== "string" || !threadId)) throw invalidParam("thread_id field must be a non-empty string");
        if (threadId !== undefined && receiptType === "m.fully_read") throw invalidParam("thread_id is not compatible with m.fully_read");
        mark(hs, room, me(ctx), receiptType, eventId, threadId as string | undefined);
        return {};
      },
    },

    // read_markers.yaml
    {
      method: "POST", path: p(`${CS}/rooms/{}/read_markers`), auth: "required",
      handle: async (ctx) => {
        const room = joinedRoom(ctx, ctx.params[0]!);
        const body = await jsonObject(ctx);
        for (const type of RECEIPT_TYPES) {
          if (body[type] !== undefined && typeof body[type] !== "string") throw badJson(`${type} must be an event ID string`);
        }
        for (const type of RECEIPT_TYPES) if (body[type] !== undefined) mark(hs, room, me(ctx), type, body[type] as string, undefined);
        return {};
      },
    },

    // joining.yaml: accepting an invite.
    { method: "POST", path: p(`${CS}/rooms/{}/join`), auth: "required", handle: async (ctx) => join(hs, ctx, await jsonObject(ctx)) },
    { method: "POST", path: p(`${CS}/join/{}`), auth: "required", handle: async (ctx) => join(hs, ctx, await jsonObject(ctx)) },
  ];
}

function login(hs: HomeserverState, body: Content): unknown {
  if (typeof body.type !== "string") throw badJson("'type' must be a string");
  if (body.type !== "m.login.password") throw unknownError("Unknown login type");
  if (typeof body.password !== "string") throw badJson("'password' must be a string");
  const user = hs.users.get(hs.userIdOf(loginUser(body)));
  if (!user || user.password === undefined || user.password !== body.password) throw forbidden("Invalid username or password");
  if (body.device_id !== undefined && typeof body.device_id !== "string") throw badJson("'device_id' must be a string");
  const session = hs.login(user.userId, body.device_id as string | undefined);
  return { user_id: user.userId, access_token: session.token, device_id: session.deviceId };
}

/** `identifier: {type: "m.id.user", user}` or the deprecated top-level `user`. */
function loginUser(body: Content): string {
  const identifier = body.identifier;
  if (identifier !== undefined) {
    if (typeof identifier !== "object" || identifier === null) throw badJson("'identifier' must be an object");
    const id = identifier as Content;
    if (id.type === "m.id.thirdparty" || id.type === "m.id.phone") throw forbidden("Third-party identifier not found");
    if (id.type !== "m.id.user") throw unknownError("Unknown login identifier type");
    if (typeof id.user !== "string") throw badJson("'identifier.user' must be a string");
    return id.user;
  }
  if (typeof body.user === "string") return body.user;
  throw missingParam("Invalid login submission");
}

function mark(hs: HomeserverState, room: Room, session: Session, type: string, eventId: string, threadId: string | undefined): void {
  if (!hs.event(room, eventId)) throw notFound("Event not found.");
  if (type === "m.fully_read") return hs.setAccountData(hs.user(session.userId), "m.fully_read", { event_id: eventId }, room.id);
  hs.putReceipt(room, { userId: session.userId, type: type as "m.read" | "m.read.private", eventId, threadId });
}

function join(hs: HomeserverState, ctx: Ctx, _body: Content): unknown {
  const target = ctx.params[0]!;
  if (target.startsWith("#")) throw notFound("Room alias not found");
  const room = hs.room(roomIdParam(target));
  if (!room) throw notFound("Unknown room");
  const userId = ctx.session!.userId;
  const membership = hs.membership(room, userId);
  if (membership === "join") return { room_id: room.id };
  if (membership !== "invite") throw forbidden("You are not invited to this room.");
  const user = hs.user(userId);
  hs.append(room, { type: "m.room.member", state_key: userId, sender: userId, content: { membership: "join", ...(user.displayName ? { displayname: user.displayName } : {}) } });
  return { room_id: room.id };
}

/** Tokens are stream positions: `dir=b` from sN returns events at or before N, newest first; `dir=f` returns events after N. */
function messages(hs: HomeserverState, ctx: Ctx, room: Room): unknown {
  const q = ctx.url.searchParams;
  const dir = q.get("dir");
  if (dir === null) throw missingParam("Missing string query parameter 'dir'");
  if (dir !== "b" && dir !== "f") throw invalidParam("Query parameter 'dir' must be one of ['b', 'f']");
  const limit = intParam(ctx.url, "limit", 10);
  if (limit < 1) throw invalidParam("Query parameter 'limit' must be greater than 0");
  const from = q.get("from") === null ? (dir === "b" ? hs.stream : 0) : parseToken(q.get("from")!, "from");
  const to = q.get("to") === null ? undefined : parseToken(q.get("to")!, "to");
  let filter: RoomEventFilter | undefined;
  if (q.get("filter") !== null) {
    try {
      filter = checkEventFilter(JSON.parse(q.get("filter")!), "filter");
    } catch (err) {
      if (err instanceof SyntaxError) throw notJson("Invalid filter JSON");
      throw err;
    }
  }
  const inRange = (n: number) => (dir === "b" ? n <= from && (to === undefined || n > to) : n > from && (to === undefined || n <= to));
  const candidates = room.events.filter((e) => inRange(e.stream) && matches(filter, e));
  if (dir === "b") candidates.reverse();
  const chunk = candidates.slice(0, Math.min(limit, 1000));
  const body: Record<string, unknown> = { start: `s${from}`, chunk: chunk.map((e) => clientEvent(e, ctx.session, true)) };
  const last = chunk.at(-1);
  if (last && candidates.length > chunk.length) body.end = `s${dir === "b" ? last.stream - 1 : last.stream}`;
  return body;
}
