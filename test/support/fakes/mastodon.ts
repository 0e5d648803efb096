// A Mastodon instance on 127.0.0.1 for connector tests, written from docs.joinmastodon.org
// (methods/accounts, instance, timelines, notifications, statuses, media, streaming;
// api/guidelines#pagination, api/rate-limits, entities/Error) because no real one runs
// here. It refuses what Mastodon refuses, with Mastodon's statuses and bodies: bad or
// revoked tokens (401), missing scopes (403), invisible statuses (404), the 422s of
// posting, the throttles (429). Test controls add accounts, post as someone, revoke
// tokens, exhaust limits and take the instance down.
import { randomBytes } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { Socket } from "node:net";
import type { mastodon } from "masto";
import * as wire from "./mastodon-entities";
import { type AccountRow, LIMITS, type StatusRow, type Visibility } from "./mastodon-entities";
import { many, one, type Params, parseRequest, readBody, type Upload } from "./mastodon-forms";
import { ApiError, PROXY_ERROR_PAGE, type Throttle, Throttles, type TokenRow, checkScope, checkToken } from "./mastodon-http";
import { linkHeader, page, pageQuery } from "./mastodon-pages";
import { MastodonState } from "./mastodon-state";
import { Streaming } from "./mastodon-streaming";

export type MastodonOptions = {
  /** How long video and audio stay "processing" after upload (GET /api/v1/media/:id answers 206). */
  asyncMediaMs?: number;
  /** The per-token throttle; Mastodon's is 300 requests in 5 minutes. */
  rateLimit?: { limit: number; periodS: number };
};

export type LoggedRequest = { method: string; path: string; status: number; at: number; idempotencyKey?: string };

type Ctx = { method: string; url: URL; params: Params; files: Record<string, Upload>; token: TokenRow | null; me: AccountRow | null; headers: IncomingMessage["headers"] };
type Reply = { status?: number; body: unknown; headers?: Record<string, string> };
type Auth = { scope: string } | "public" | "optional";
type Route = { method: string; path: RegExp; auth: Auth; handle: (ctx: Ctx, m: string[]) => Reply };

const ALL_SCOPES = ["read", "write", "follow", "push"];
const IDEMPOTENCY_MS = 3600_000; // "Idempotency keys are stored for up to 1 hour."
const VISIBILITIES = ["public", "unlisted", "private", "direct"];

export class FakeMastodon {
  readonly requests: LoggedRequest[] = [];
  origin = "";
  private server!: Server;
  private offsetMs = 0;
  private readonly now = () => Date.now() + this.offsetMs;
  private readonly state = new MastodonState(this.now);
  private readonly tokens = new Map<string, TokenRow>();
  private readonly idempotency = new Map<string, { statusId: string; at: number }>();
  private readonly throttles = new Throttles(this.now);
  private readonly perToken: Throttle;
  private readonly media: Throttle = { name: "throttle_api_media", limit: 30, periodS: 1800 };
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private streaming!: Streaming;
  private outage: { status: number; hang: boolean } | null = null;
  private forced429 = 0;
  private readonly asyncMediaMs: number;

  constructor(opts: MastodonOptions = {}) {
    this.asyncMediaMs = opts.asyncMediaMs ?? 200;
    this.perToken = { name: "throttle_per_token_api", limit: opts.rateLimit?.limit ?? 300, periodS: opts.rateLimit?.periodS ?? 300 };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    this.streaming = new Streaming(this.server, {
      authenticate: (token) => {
        const row = token ? this.tokens.get(token) : undefined;
        return row && !row.revoked ? row.accountId : null;
      },
      isDown: () => this.outage,
      render: (accountId, statusId) => wire.status(this.state.statuses.get(statusId)!, accountId, this.lookup()),
      renderNotification: (row) => wire.notification(row, this.lookup()),
    });
    this.state.listener = {
      onHome: (accountId, statusId) => this.streaming.update(accountId, statusId),
      onNotification: (row) => this.streaming.notification(row),
    };
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.streaming.close();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- test controls ----

  /** A local account and a user token for it (all scopes unless told). */
  addAccount(username: string, displayName = username, opts: { scopes?: string[] } = {}): { token: string; account: wire.Account } {
    const row = this.state.addAccount(username, displayName);
    const token = randomBytes(32).toString("base64url");
    this.tokens.set(token, { token, accountId: row.id, scopes: opts.scopes ?? ALL_SCOPES, revoked: false });
    return { token, account: wire.account(row, this.lookup()) };
  }

  /** `follower` follows `followee`: followee's statuses reach follower's home from now on. */
  follow(follower: string, followee: string): void {
    this.state.follow(this.named(follower), this.named(followee));
  }

  /** A status written by someone else (as through the web UI). Mentions name local users in the text. */
  postAs(username: string, text: string, opts: { inReplyTo?: string; mention?: string[]; visibility?: Visibility; spoilerText?: string } = {}): wire.Status {
    const author = this.named(username);
    const missing = (opts.mention ?? []).filter((u) => !new RegExp(`(^|\\W)@${u}\\b`, "i").test(text));
    const fullText = [...missing.map((u) => `@${u}`), text].join(" ");
    const inReplyTo = opts.inReplyTo ? this.state.statuses.get(opts.inReplyTo) ?? null : null;
    if (opts.inReplyTo && !inReplyTo) throw new Error(`no status ${opts.inReplyTo}`);
    const row = this.state.createStatus(author, { text: fullText, spoilerText: opts.spoilerText ?? "", visibility: opts.visibility ?? "public", sensitive: false, inReplyTo, mediaIds: [], application: "Web" });
    return wire.status(row, null, this.lookup());
  }

  /** Someone favourites or boosts a status (a `favourite` / `reblog` notification for its author). */
  favouriteAs(username: string, statusId: string): void {
    this.state.favourite(this.named(username), this.state.statuses.get(statusId)!);
  }
  reblogAs(username: string, statusId: string): wire.Status {
    return wire.status(this.state.reblog(this.named(username), this.state.statuses.get(statusId)!), null, this.lookup());
  }

  /** What an account has posted (newest last), as its author would see it. */
  statusesOf(username: string): wire.Status[] {
    const who = this.named(username);
    return [...this.state.statuses.values()].filter((s) => s.accountId === who.id).map((s) => wire.status(s, who.id, this.lookup()));
  }

  revoke(token: string): void {
    this.tokens.get(token)!.revoked = true;
  }

  /** The next `n` API requests, whoever makes them, answer 429. */
  limitNext(n: number): void {
    this.forced429 = n;
  }

  /** Uses up this token's window: its requests answer 429 until X-RateLimit-Reset. */
  exhaust(token: string): void {
    this.throttles.exhaust(this.perToken, token);
  }

  /**
   * The instance crashes behind its proxy: every request answers `status` (502 by default,
   * what nginx answers when Puma is gone, with Mastodon's error page), or hangs with
   * `hang: true`. Open streaming connections are dropped.
   */
  down(opts: { status?: number; hang?: boolean } = {}): void {
    this.outage = { status: opts.status ?? 502, hang: opts.hang ?? false };
    this.streaming.dropAll();
  }

  up(): void {
    this.outage = null;
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  /** Moves the fake's clock (idempotency keys, throttle windows, media processing). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  // ---- HTTP ----

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.origin);
    const log = (status: number) => this.requests.push({ method: req.method ?? "GET", path: url.pathname + url.search, status, at: this.now(), idempotencyKey: header(req, "idempotency-key") });
    if (this.outage) {
      log(this.outage.status);
      if (this.outage.hang) return void this.held.add(res);
      res.writeHead(this.outage.status, { "Content-Type": "text/html; charset=utf-8" }).end(PROXY_ERROR_PAGE);
      return;
    }
    const body = await readBody(req);
    let reply: Reply;
    try {
      reply = this.dispatch(req, url, body);
    } catch (err) {
      // A bug in the fake, not an answer Mastodon would give: say so loudly, never hang.
      console.error(JSON.stringify({ event: "fake_mastodon_error", path: url.pathname, message: (err as Error).message }));
      reply = { status: 500, body: { error: "Internal server error (fake)" } };
    }
    log(reply.status ?? 200);
    res.writeHead(reply.status ?? 200, { "Content-Type": "application/json; charset=utf-8", ...reply.headers });
    res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
  }

  private dispatch(req: IncomingMessage, url: URL, body: Buffer): Reply {
    const method = req.method ?? "GET";
    const found = this.route(method, url.pathname);
    if (!found) return { status: 404, body: { error: "Record not found" } };
    let limitHeaders: Record<string, string> = {};
    try {
      const { params, files } = parseOrRefuse(url, header(req, "content-type"), body);
      const ctx: Ctx = { method, url, params, files, token: null, me: null, headers: req.headers };
      limitHeaders = this.throttle(ctx, req, url);
      this.authenticate(ctx, req, found.route.auth);
      const reply = found.route.handle(ctx, found.match);
      return { ...reply, headers: { ...limitHeaders, ...reply.headers } };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { status: err.status, body: { error: err.message }, headers: { ...limitHeaders, ...err.headers } };
    }
  }

  private route(method: string, path: string): { route: Route; match: string[] } | undefined {
    for (const route of this.routes) {
      const m = route.method === method ? route.path.exec(path) : null;
      if (m) return { route, match: m.slice(1) };
    }
    return undefined;
  }

  /** Rack::Attack runs before the app: per token when it is a real one, per IP otherwise. */
  private throttle(ctx: Ctx, req: IncomingMessage, url: URL): Record<string, string> {
    const token = /^Bearer\s+(\S+)$/i.exec(header(req, "authorization") ?? "")?.[1];
    const row = token ? this.tokens.get(token) : undefined;
    const key = row ? row.token : `ip:${req.socket.remoteAddress}`;
    const checks = [{ throttle: this.perToken, key }];
    if (ctx.method === "POST" && /^\/api\/v\d+\/media$/.test(url.pathname) && row) checks.push({ throttle: this.media, key: row.accountId });
    const { throttled, headers } = this.throttles.hit(checks);
    if (this.forced429 > 0) {
      this.forced429--;
      throw new ApiError(429, "Too many requests", { ...headers, "X-RateLimit-Remaining": "0" });
    }
    if (throttled) throw new ApiError(429, "Too many requests", headers);
    return headers;
  }

  private authenticate(ctx: Ctx, req: IncomingMessage, auth: Auth): void {
    const header_ = header(req, "authorization");
    if (auth === "public" || (auth === "optional" && !header_)) return;
    const row = checkToken(header_, this.tokens);
    if (auth !== "optional") checkScope(row, auth.scope);
    ctx.token = row;
    ctx.me = this.state.accounts.get(row.accountId)!;
  }

  private lookup(): wire.Lookup {
    return this.state.lookup(this.origin);
  }

  private named(username: string): AccountRow {
    const row = this.state.byUsername(username);
    if (!row) throw new Error(`no account ${username}`);
    return row;
  }

  private visible(ctx: Ctx, id: string): StatusRow {
    const s = this.state.statuses.get(id);
    if (!s || !this.state.canSee(ctx.me?.id ?? null, s)) throw new ApiError(404, "Record not found");
    return s;
  }

  // ---- routes (docs.joinmastodon.org/methods/...) ----

  private readonly routes: Route[] = [
    { method: "GET", path: /^\/api\/v1\/accounts\/verify_credentials$/, auth: { scope: "read:accounts" }, handle: (c) => ({ body: this.credentials(c.me!) }) },
    { method: "GET", path: /^\/api\/v2\/instance$/, auth: "public", handle: () => ({ body: wire.instance(this.lookup(), this.state.accounts.values().next().value) }) },
    { method: "GET", path: /^\/api\/v1\/timelines\/home$/, auth: { scope: "read:statuses" }, handle: (c) => this.homeTimeline(c) },
    { method: "GET", path: /^\/api\/v1\/notifications$/, auth: { scope: "read:notifications" }, handle: (c) => this.notifications(c) },
    { method: "POST", path: /^\/api\/v1\/statuses$/, auth: { scope: "write:statuses" }, handle: (c) => this.postStatus(c) },
    { method: "GET", path: /^\/api\/v1\/statuses\/([^/]+)$/, auth: "optional", handle: (c, [id]) => ({ body: wire.status(this.visible(c, id!), c.me?.id ?? null, this.lookup()) }) },
    { method: "POST", path: /^\/api\/v1\/statuses\/([^/]+)\/favourite$/, auth: { scope: "write:favourites" }, handle: (c, [id]) => this.favourite(c, id!) },
    { method: "POST", path: /^\/api\/v1\/statuses\/([^/]+)\/reblog$/, auth: { scope: "write:statuses" }, handle: (c, [id]) => this.reblog(c, id!) },
    { method: "POST", path: /^\/api\/v2\/media$/, auth: { scope: "write:media" }, handle: (c) => this.upload(c) },
    { method: "GET", path: /^\/api\/v1\/media\/([^/]+)$/, auth: { scope: "write:media" }, handle: (c, [id]) => this.mediaStatus(c, id!) },
  ];

  private credentials(me: AccountRow): wire.Wire<mastodon.v1.AccountCredentials> {
    const role = { id: -99, name: "", color: "", position: -1, permissions: 65536, highlighted: false, created_at: me.createdAt, updated_at: me.createdAt, collection_limit: 0 };
    const source: wire.Wire<mastodon.v1.AccountSource> = { privacy: "public", sensitive: false, language: null, note: "", fields: [], follow_requests_count: 0, hide_collections: false, discoverable: true, indexable: false, attribution_domains: [], quote_policy: "public", role };
    return { ...wire.account(me, this.lookup()), source, role };
  }

  private homeTimeline(c: Ctx): Reply {
    const ids = this.state.home.get(c.me!.id)!;
    const rows = ids.map((id) => this.state.statuses.get(id)!).filter((s) => this.state.canSee(c.me!.id, s));
    const items = page(rows, pageQuery(c.params, 20, 40));
    const link = linkHeader(`${this.origin}/api/v1/timelines/home`, items, c.params, ["limit", "local"]);
    return { body: items.map((s) => wire.status(s, c.me!.id, this.lookup())), headers: link ? { Link: link } : {} };
  }

  private notifications(c: Ctx): Reply {
    const types = many(c.params, "types");
    const exclude = many(c.params, "exclude_types");
    const from = one(c.params, "account_id");
    const rows = this.state.notifications.filter(
      (n) => n.accountId === c.me!.id && (types.length === 0 || types.includes(n.type)) && !exclude.includes(n.type) && (!from || n.fromId === from),
    );
    const items = page(rows, pageQuery(c.params, 40, 80));
    const link = linkHeader(`${this.origin}/api/v1/notifications`, items, c.params, ["account_id", "exclude_types", "include_filtered", "limit", "types"]);
    return { body: items.map((n) => wire.notification(n, this.lookup())), headers: link ? { Link: link } : {} };
  }

  /** POST /api/v1/statuses, in the order Mastodon checks: thread, idempotency key, media, then the status itself. */
  private postStatus(c: Ctx): Reply {
    const me = c.me!;
    const replyTo = one(c.params, "in_reply_to_id");
    const thread = replyTo ? this.state.statuses.get(replyTo) : undefined;
    if (replyTo && (!thread || !this.state.canSee(me.id, thread))) throw new ApiError(404, "The post you are trying to reply to does not appear to exist.");
    const key = header({ headers: c.headers } as IncomingMessage, "idempotency-key");
    const remembered = key ? this.idempotency.get(`${me.id}:${key}`) : undefined;
    if (remembered && this.now() - remembered.at < IDEMPOTENCY_MS) return { body: wire.status(this.state.statuses.get(remembered.statusId)!, me.id, this.lookup()) };
    const mediaIds = this.checkMedia(me, many(c.params, "media_ids"));
    const text = one(c.params, "status") ?? "";
    const spoilerText = one(c.params, "spoiler_text") ?? "";
    const visibility = one(c.params, "visibility") || "public";
    if (!VISIBILITIES.includes(visibility)) throw new ApiError(422, "Validation failed: Visibility is not included in the list");
    if (text.trim() === "" && mediaIds.length === 0) throw new ApiError(422, "Validation failed: Text can't be blank");
    if (wire.countableLength(text, spoilerText) > LIMITS.maxCharacters) throw new ApiError(422, `Validation failed: Text character limit of ${LIMITS.maxCharacters} exceeded`);
    const row = this.state.createStatus(me, { text, spoilerText, visibility: visibility as Visibility, sensitive: one(c.params, "sensitive") === "true", inReplyTo: thread ?? null, mediaIds, application: "Unibox" });
    if (key) this.idempotency.set(`${me.id}:${key}`, { statusId: row.id, at: this.now() });
    return { body: wire.status(row, me.id, this.lookup()) };
  }

  /** PostStatusService#validate_media!, with the messages of config/locales/en.yml. */
  private checkMedia(me: AccountRow, ids: string[]): string[] {
    if (ids.length > LIMITS.maxMediaAttachments) throw new ApiError(422, `Cannot attach more than ${LIMITS.maxMediaAttachments} files`);
    const rows = ids.map((id) => this.state.media.get(id));
    const missing = ids.filter((_, i) => !rows[i] || rows[i]!.accountId !== me.id || rows[i]!.statusId !== null);
    if (missing.length > 0) throw new ApiError(422, `Media ${missing.join(", ")} not found or already attached to another post`);
    if (rows.length > 1 && rows.some((m) => m!.type !== "image")) throw new ApiError(422, "Cannot attach a video to a post that already contains images");
    if (rows.some((m) => this.now() < m!.readyAt)) throw new ApiError(422, "Cannot attach files that have not finished processing. Try again in a moment!");
    return ids;
  }

  /** Favouriting a boost favourites the boosted status (Favourite's before_validation takes `status.reblog`). */
  private favourite(c: Ctx, id: string): Reply {
    const s = this.visible(c, id);
    this.state.favourite(c.me!, s.reblogOf ? this.state.statuses.get(s.reblogOf)! : s);
    return { body: wire.status(s, c.me!.id, this.lookup()) };
  }

  private reblog(c: Ctx, id: string): Reply {
    const s = this.visible(c, id);
    const original = s.reblogOf ? this.state.statuses.get(s.reblogOf)! : s;
    if (!this.state.canReblog(c.me!.id, original)) throw new ApiError(403, "This action is not allowed");
    return { body: wire.status(this.state.reblog(c.me!, original), c.me!.id, this.lookup()) };
  }

  /** POST /api/v2/media: images are processed at once (200), video and audio later (202, url null). */
  private upload(c: Ctx): Reply {
    const file = c.files.file;
    if (!file) throw new ApiError(400, "param is missing or the value is empty: file");
    const mime = file.type.toLowerCase();
    if (!LIMITS.supportedMimeTypes.includes(mime)) throw new ApiError(422, "Validation failed: File content type is invalid, File is invalid");
    const type = mime.startsWith("image/") ? "image" : mime.startsWith("video/") ? "video" : "audio";
    const limit = type === "image" ? LIMITS.imageSizeLimit : LIMITS.videoSizeLimit;
    if (file.data.length > limit) throw new ApiError(422, `Validation failed: File file size must be less than ${Math.round(limit / 1_048_576)} MB`);
    const row = { id: this.state.nextId(), accountId: c.me!.id, type, mime, size: file.data.length, description: one(c.params, "description") ?? null, readyAt: type === "image" ? 0 : this.now() + this.asyncMediaMs, statusId: null } as const;
    this.state.media.set(row.id, { ...row });
    return { status: type === "image" ? 200 : 202, body: wire.media(this.state.media.get(row.id)!, this.lookup()) };
  }

  private mediaStatus(c: Ctx, id: string): Reply {
    const m = this.state.media.get(id);
    if (!m || m.accountId !== c.me!.id) throw new ApiError(404, "Record not found");
    return { status: this.now() < m.readyAt ? 206 : 200, body: wire.media(m, this.lookup()) };
  }
}

/** A body Rails cannot parse is a 400 before any controller runs. */
function parseOrRefuse(url: URL, contentType: string | undefined, body: Buffer): ReturnType<typeof parseRequest> {
  try {
    return parseRequest(url, contentType, body);
  } catch {
    throw new ApiError(400, "Error occurred while parsing request parameters");
  }
}

function header(req: Pick<IncomingMessage, "headers">, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
