// A fake Matrix homeserver on 127.0.0.1 for connector tests, written from the client-server
// API's OpenAPI (matrix-org/matrix-spec, data/api/client-server/) and the spec text, since
// no homeserver can run here. It refuses what the spec says a server refuses, with the
// spec's error shapes, and gives tests controls no HTTP client has (remote people talking,
// revoking tokens, rate limits, outages).
//
// Served (v3 client API unless noted): GET /_matrix/client/versions; GET|POST /login
// (m.login.password, `identifier` m.id.user or the deprecated `user`); POST /logout,
// /logout/all; GET /account/whoami; GET /sync (since, timeout long-poll, full_state,
// filter inline or by id, set_presence); POST|GET /user/{userId}/filter; GET|PUT
// /user/{userId}/account_data/{type}; GET /joined_rooms;
// GET /rooms/{id}/joined_members, /state, /state/{type}/{key}, /event/{id}, /messages;
// GET /profile/{userId}; PUT /rooms/{id}/send/{type}/{txnId}; POST /rooms/{id}/receipt/...,
// /read_markers, /rooms/{id}/join, /join/{id}; POST /_matrix/media/v3/upload; GET
// /_matrix/client/v1/media/config and /download/...; the legacy /_matrix/media/v3/download.
//
// Choices where the spec leaves room, made as Synapse does: an unknown room answers 403
// M_FORBIDDEN like a room one is not in; a receipt or read marker for an event not in the
// room answers 404 M_NOT_FOUND; the access token may also come as `?access_token=` (deprecated,
// removed after v1.19), unless `{queryTokens: false}`; tokens are `sN` stream positions.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { BodyTooLarge, LoopbackServer, type Outage, readBody, sendJson } from "./http";
import { MatrixError, limitExceeded, missingToken, tooLarge, unknownToken, unrecognized } from "./matrix-errors";
import { mediaRoutes } from "./matrix-media";
import { Answer, type Ctx, type Route, clientRoutes } from "./matrix-routes";
import { type Content, HomeserverState, type Receipt, type ReceiptType, type Session } from "./matrix-store";
import { clientEvent } from "./matrix-sync";

export type FakeMatrixOptions = {
  /** The server name in user ids, room ids and mxc URIs. */
  serverName?: string;
  /** Accept `?access_token=` as Synapse still does (default true). */
  queryTokens?: boolean;
  /** The deprecated unauthenticated download: "frozen" (404 for new media, the default) or "served". */
  legacyMedia?: "frozen" | "served";
  maxUploadBytes?: number;
};

export type LoggedRequest = { method: string; path: string; status: number; token?: "header" | "query" };

export type RoomSpec = { creator: string; members?: string[]; name?: string; direct?: boolean; encrypted?: boolean };

/** The spec's recommended CORS headers, on every answer ("Web Browser Clients"). */
const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization",
};

export class FakeMatrix {
  readonly serverName: string;
  /** Every request: method, path (no query), status; how the token came, never the token. */
  readonly requests: LoggedRequest[] = [];
  private hs: HomeserverState;
  private server = new LoopbackServer((req, res) => this.handle(req, res));
  private routes: Route[];
  private limited = { left: 0, retryAfterMs: 0 };
  private opts: Required<FakeMatrixOptions>;

  constructor(opts: FakeMatrixOptions = {}) {
    this.opts = { serverName: "matrix.test", queryTokens: true, legacyMedia: "frozen", maxUploadBytes: 50 * 1024 * 1024, ...opts };
    this.serverName = this.opts.serverName;
    this.hs = new HomeserverState(this.serverName);
    this.routes = [...clientRoutes(this.hs), ...mediaRoutes(this.hs, this.opts)];
  }

  /** The homeserver's base URL, e.g. http://127.0.0.1:PORT (clients append /_matrix/...). */
  get url(): string {
    return this.server.origin;
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  // ---- test controls -------------------------------------------------------------------

  /** A local account; a full `@user:other.server` id makes a remote person who cannot log in here. */
  addUser(localpart: string, password?: string, displayName?: string): { userId: string } {
    return { userId: this.hs.addUser(localpart, password, displayName).userId };
  }

  /** An access token for the user, as if it had logged in (a new device unless one is named). */
  tokenFor(userId: string, deviceId?: string): string {
    this.hs.user(userId);
    return this.hs.login(userId, deviceId).token;
  }

  /** A room as Synapse's /createRoom builds it, with every member invited and joined. */
  createRoom(spec: RoomSpec): string {
    const { creator, members = [] } = spec;
    const room = this.hs.newRoom(!!spec.encrypted);
    const state = (type: string, content: Content, sender = creator, key = "") => this.hs.append(room, { type, state_key: key, sender, content });
    state("m.room.create", { room_version: "11" });
    state("m.room.member", this.memberContent(creator, "join"), creator, creator);
    state("m.room.power_levels", { users: { [creator]: 100 }, users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0 });
    state("m.room.join_rules", { join_rule: "invite" });
    state("m.room.history_visibility", { history_visibility: "shared" });
    if (spec.name) state("m.room.name", { name: spec.name });
    if (spec.encrypted) state("m.room.encryption", { algorithm: "m.megolm.v1.aes-sha2" });
    for (const member of members) {
      state("m.room.member", { ...this.memberContent(member, "invite"), ...(spec.direct ? { is_direct: true } : {}) }, creator, member);
      state("m.room.member", this.memberContent(member, "join"), member, member);
    }
    if (spec.direct) this.markDirect(room.id, [creator, ...members]);
    return room.id;
  }

  /** `by` invites `userId`; the invitee sees it in rooms.invite and may POST /join. */
  invite(roomId: string, by: string, userId: string, direct = false): void {
    const room = this.mustRoom(roomId);
    this.hs.append(room, { type: "m.room.member", state_key: userId, sender: by, content: { ...this.memberContent(userId, "invite"), ...(direct ? { is_direct: true } : {}) } });
  }

  /** `by` removes `userId` from the room (it moves to rooms.leave in their next sync). */
  kick(roomId: string, userId: string, by: string): void {
    this.hs.append(this.mustRoom(roomId), { type: "m.room.member", state_key: userId, sender: by, content: { membership: "leave" } });
  }

  /**
   * A message from someone (usually a remote person); wakes long-polls. Text becomes an
   * m.text message. In an encrypted room it arrives as m.room.encrypted ciphertext that no
   * client here can decrypt, whatever the content.
   */
  say(userId: string, roomId: string, content: Content | string, type = "m.room.message"): string {
    const room = this.mustRoom(roomId);
    if (this.hs.membership(room, userId) !== "join") throw new Error(`fake matrix: ${userId} is not in ${roomId}`);
    const body = typeof content === "string" ? { msgtype: "m.text", body: content } : content;
    if (room.encrypted) return this.hs.append(room, { type: "m.room.encrypted", sender: userId, content: megolmLike() }).event_id;
    return this.hs.append(room, { type, sender: userId, content: body }).event_id;
  }

  /** A read receipt from someone (public m.read unless told otherwise). */
  readAs(userId: string, roomId: string, eventId: string, type: ReceiptType = "m.read"): void {
    const room = this.mustRoom(roomId);
    if (!this.hs.event(room, eventId)) throw new Error(`fake matrix: no event ${eventId} in ${roomId}`);
    this.hs.putReceipt(room, { userId, type, eventId });
  }

  /** Media from someone, as a client upload would store it; returns the mxc:// URI. */
  upload(bytes: Uint8Array, contentType: string, filename?: string): string {
    const mediaId = randomBytes(18).toString("base64url");
    this.hs.media.set(`${this.serverName}/${mediaId}`, { serverName: this.serverName, mediaId, contentType, filename, bytes: Buffer.from(bytes), uploadedAt: Date.now() });
    return `mxc://${this.serverName}/${mediaId}`;
  }

  /** What was uploaded under an mxc:// URI (to check what a client sent). */
  media(mxc: string): { contentType: string; filename?: string; bytes: Buffer } | undefined {
    const media = this.hs.media.get(mxc.replace(/^mxc:\/\//, ""));
    return media && { contentType: media.contentType, filename: media.filename, bytes: media.bytes };
  }

  /** Everything in the room, oldest first, in the client format with room_id. */
  timeline(roomId: string): Record<string, unknown>[] {
    return this.mustRoom(roomId).events.map((e) => clientEvent(e, undefined, true));
  }

  receipts(roomId: string): Omit<Receipt, "stream">[] {
    return [...this.mustRoom(roomId).receipts.values()].map(({ stream: _, ...r }) => r);
  }

  /** The token stops working: M_UNKNOWN_TOKEN, with soft_logout as given (an expired session is soft). */
  revoke(token: string, opts: { softLogout?: boolean } = {}): void {
    const session = this.hs.sessions.get(token);
    if (!session) throw new Error("fake matrix: unknown token");
    session.revoked = { softLogout: !!opts.softLogout };
  }

  /** The next `n` requests (any endpoint but OPTIONS) get 429 M_LIMIT_EXCEEDED. */
  limitNext(n: number, retryAfterMs: number): void {
    this.limited = { left: n, retryAfterMs };
  }

  /** See Outage in http.ts: "bad-gateway" (default) is the homeserver dead behind its proxy. */
  down(mode: Outage = "bad-gateway"): void {
    this.server.down(mode);
  }

  up(): void {
    this.server.up();
  }

  // ---- HTTP ----------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const entry: LoggedRequest = { method: req.method ?? "GET", path: url.pathname, status: 0 };
    this.requests.push(entry);
    res.on("finish", () => (entry.status = res.statusCode));
    if (req.method === "OPTIONS") return void res.writeHead(204, CORS).end();
    try {
      const answer = await this.answer(req, res, url, entry);
      if (answer instanceof Answer) return this.write(res, answer.status, answer.body, answer.headers);
      this.write(res, 200, answer, {});
    } catch (err) {
      if (!(err instanceof MatrixError)) throw err;
      this.write(res, err.status, err.body, err.headers);
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse, url: URL, entry: LoggedRequest): Promise<unknown> {
    if (this.limited.left > 0) {
      this.limited.left--;
      throw limitExceeded(this.limited.retryAfterMs);
    }
    const { route, params } = this.match(req.method ?? "GET", url.pathname);
    const session = route.auth === "none" ? undefined : this.authenticate(req, url, route.auth === "required", entry);
    let body: Promise<Buffer> | undefined;
    const limit = Math.max(this.opts.maxUploadBytes, 1024 * 1024);
    const ctx: Ctx = {
      url,
      params,
      session,
      contentType: req.headers["content-type"],
      raw: () => (body ??= readBody(req, limit).catch((err) => Promise.reject(err instanceof BodyTooLarge ? tooLarge("Request too large") : err))),
      open: () => !res.writableEnded && !res.destroyed,
    };
    return route.handle(ctx);
  }

  private match(method: string, path: string): { route: Route; params: string[] } {
    let pathKnown = false;
    for (const route of this.routes) {
      const m = route.path.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (route.method === method) return { route, params: m.slice(1).map((v) => (v === undefined ? v! : decodeURIComponent(v))) };
    }
    throw unrecognized(pathKnown ? 405 : 404);
  }

  /** `Authorization: Bearer` (spec "Using access tokens"); a malformed header counts as missing, as on Synapse. */
  private authenticate(req: IncomingMessage, url: URL, required: boolean, entry: LoggedRequest): Session | undefined {
    const header = req.headers.authorization;
    let token: string | undefined;
    if (header !== undefined) {
      token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (!token) throw missingToken();
      entry.token = "header";
    } else if (this.opts.queryTokens && url.searchParams.has("access_token")) {
      token = url.searchParams.get("access_token")!;
      entry.token = "query";
    }
    if (token === undefined) {
      if (required) throw missingToken();
      return undefined;
    }
    const session = this.hs.sessions.get(token);
    if (!session) throw unknownToken(false);
    if (session.revoked) throw unknownToken(session.revoked.softLogout);
    return session;
  }

  private write(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    if (res.writableEnded) return;
    if (!Buffer.isBuffer(body)) return sendJson(res, status, body, { ...CORS, ...headers });
    const bytes = body as Buffer;
    res.writeHead(status, { ...CORS, "content-length": bytes.length, ...headers });
    res.end(bytes);
  }

  private memberContent(userId: string, membership: string): Content {
    const name = this.hs.users.get(userId)?.displayName;
    return { membership, ...(name ? { displayname: name } : {}) };
  }

  /** m.direct in each member's global account data: other member → [room ids]. */
  private markDirect(roomId: string, members: string[]): void {
    for (const userId of members) {
      const user = this.hs.users.get(userId);
      if (!user) continue;
      const direct = structuredClone(user.accountData.get("m.direct")?.content ?? {}) as Record<string, string[]>;
      for (const other of members) if (other !== userId) direct[other] = [...(direct[other] ?? []), roomId];
      this.hs.setAccountData(user, "m.direct", direct);
    }
  }

  private mustRoom(roomId: string) {
    const room = this.hs.room(roomId);
    if (!room) throw new Error(`fake matrix: no room ${roomId}`);
    return room;
  }
}

/** What a megolm event carries; the ciphertext is random, so no one can read it. */
function megolmLike(): Content {
  return {
    algorithm: "m.megolm.v1.aes-sha2",
    ciphertext: randomBytes(96).toString("base64").replace(/=+$/, ""),
    device_id: "REMOTEDEVICE",
    sender_key: randomBytes(32).toString("base64").replace(/=+$/, ""),
    session_id: randomBytes(32).toString("base64").replace(/=+$/, ""),
  };
}

export async function startFakeMatrix(opts: FakeMatrixOptions = {}): Promise<FakeMatrix> {
  return new FakeMatrix(opts).start();
}

