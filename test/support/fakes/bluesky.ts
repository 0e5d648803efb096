// A Bluesky PDS with its AppView on 127.0.0.1 for connector tests, written from the
// Lexicons and the reference PDS in bluesky-social/atproto because neither can run here.
// XRPC at /xrpc/<nsid>: params, inputs and records are checked with the Lexicon validators
// @atproto/api ships, and every output is checked against its Lexicon before it is sent.
// Errors are XRPC's `{error, message}` with the PDS's names and statuses; rate limits send
// RateLimit-* headers on every response. Test controls add accounts, post as someone,
// expire tokens, force 429s and take the server down.
import { randomBytes } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { Socket } from "node:net";
import { jsonToLex, lexicons } from "@atproto/api";
import { Sessions, XrpcError } from "./bluesky-auth";
import { type CreateInput, type DeleteInput, Repo } from "./bluesky-repo";
import { type AccountRow, BlueskyState, FOLLOW, LIKE, POST, REPOST } from "./bluesky-state";
import { Views } from "./bluesky-views";

export { decodeJwt } from "./bluesky-auth";
export { facetProblems } from "./bluesky-records";

export type BlueskyOptions = {
  /** Access JWT lifetime; the PDS's is 120 minutes. */
  accessTtlMs?: number;
  /** How long a rotated refresh token still works; the PDS's is 2 hours. */
  refreshGraceMs?: number;
  /** The global per-IP limit; the PDS's is 3000 requests in 5 minutes. */
  rateLimit?: { limit: number; windowS: number };
};

export type LoggedRequest = { method: string; nsid: string; status: number; error?: string; at: number };

type Ctx = { req: IncomingMessage; params: Record<string, unknown>; input: unknown; raw: Buffer; did: string };
type Method = { type: "query" | "procedure"; auth: "none" | "access" | "refresh" | "refresh-expired"; handle: (c: Ctx) => unknown };

const HOST = "fake-pds.test";

export class FakeBluesky {
  readonly requests: LoggedRequest[] = [];
  origin = "";
  readonly serviceDid = `did:web:${HOST}`;
  private server!: Server;
  private offsetMs = 0;
  private readonly now = () => Date.now() + this.offsetMs;
  private readonly state = new BlueskyState();
  private readonly views = new Views(this.state, () => this.origin);
  private readonly sessions: Sessions;
  private readonly limit: { limit: number; windowS: number };
  private readonly hits = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private outage: { status: number; hang: boolean } | null = null;
  private forced429 = 0;
  private readonly repo = new Repo(this.state, this.now);

  constructor(opts: BlueskyOptions = {}) {
    this.sessions = new Sessions(this.serviceDid, this.now, opts.accessTtlMs, undefined, opts.refreshGraceMs);
    this.limit = opts.rateLimit ?? { limit: 3000, windowS: 300 };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- test controls ----

  /** An account that logs in with `appPassword` (handle or email as the identifier). */
  addAccount(handle: string, appPassword: string, opts: { displayName?: string } = {}): { did: string } {
    const did = `did:plc:${randomBytes(12).toString("hex").slice(0, 24)}`;
    const row: AccountRow = { did, handle: handle.toLowerCase(), email: `${handle.split(".")[0]}@mail.test`, appPasswords: new Map([[appPassword, "unibox"]]), displayName: opts.displayName ?? handle.split(".")[0]!, createdAt: this.iso(), seenAt: null };
    this.state.accounts.set(did, row);
    this.state.blobs.set(did, new Map());
    return { did };
  }

  follow(follower: string, followee: string): string {
    return this.repo.write(this.named(follower), FOLLOW, { subject: this.named(followee).did, createdAt: this.iso() }).uri;
  }

  /** A post written elsewhere (another app). `mention` adds "@handle" text with a mention facet. */
  postAs(handle: string, text: string, opts: { replyTo?: string; mention?: string[]; quote?: string } = {}): string {
    const author = this.named(handle);
    let full = text;
    const facets: unknown[] = [];
    for (const h of opts.mention ?? []) {
      const who = this.named(h);
      const tag = `@${who.handle}`;
      const byteStart = Buffer.byteLength(`${full} `);
      full = `${full} ${tag}`;
      facets.push({ index: { byteStart, byteEnd: byteStart + Buffer.byteLength(tag) }, features: [{ $type: "app.bsky.richtext.facet#mention", did: who.did }] });
    }
    const record: Record<string, unknown> = { $type: POST, text: full, createdAt: this.iso(), langs: ["en"] };
    if (facets.length) record.facets = facets;
    if (opts.replyTo) record.reply = this.repo.replyRefs(opts.replyTo);
    if (opts.quote) record.embed = { $type: "app.bsky.embed.record", record: this.repo.strongRef(opts.quote) };
    return this.repo.write(author, POST, record).uri;
  }

  likeAs(handle: string, postUri: string): string {
    return this.repo.write(this.named(handle), LIKE, { subject: this.repo.strongRef(postUri), createdAt: this.iso() }).uri;
  }

  repostAs(handle: string, postUri: string): string {
    return this.repo.write(this.named(handle), REPOST, { subject: this.repo.strongRef(postUri), createdAt: this.iso() }).uri;
  }

  /** The records an account's repo holds in a collection, oldest first (what a client wrote). */
  records(handle: string, collection: string): { uri: string; cid: string; value: Record<string, unknown> }[] {
    return this.state.recordsOf(this.named(handle).did, collection).map((r) => ({ uri: r.uri, cid: r.cid, value: r.value }));
  }

  /** Every access token issued so far answers ExpiredToken from now on (refresh tokens still work). */
  expireAccessTokens(): void {
    this.sessions.expireAccessTokens();
  }

  /** The next `n` requests answer 429 RateLimitExceeded. */
  limitNext(n: number): void {
    this.forced429 = n;
  }

  /** Uses up the per-IP window: everything answers 429 until RateLimit-Reset. */
  exhaust(): void {
    this.hits.set(this.window(), this.limit.limit);
  }

  /** The PDS is gone behind its proxy: 502 with an empty body (or `status`), or requests hang. */
  down(opts: { status?: number; hang?: boolean } = {}): void {
    this.outage = { status: opts.status ?? 502, hang: opts.hang ?? false };
  }

  up(): void {
    this.outage = null;
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  /** Moves the fake's clock: token expiry, refresh grace, rate-limit windows. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  // ---- HTTP ----

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.origin);
    const nsid = url.pathname.replace(/^\/xrpc\//, "");
    const log = (status: number, error?: string) => this.requests.push({ method: req.method ?? "GET", nsid, status, error, at: this.now() });
    if (this.outage) {
      log(this.outage.status);
      if (this.outage.hang) return void this.held.add(res);
      return void res.writeHead(this.outage.status).end();
    }
    const raw = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks)));
    });
    let headers: Record<string, string> = {};
    try {
      headers = this.rateLimit();
      const body = this.dispatch(req, url, nsid, raw);
      log(200);
      res.writeHead(200, { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" }) });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    } catch (err) {
      const e = err instanceof XrpcError ? err : new XrpcError(500, "InternalServerError", "Internal Server Error");
      if (!(err instanceof XrpcError)) console.error(JSON.stringify({ event: "fake_bluesky_error", nsid, message: (err as Error).message }));
      log(e.status, e.error);
      res.writeHead(e.status, { ...headers, ...e.headers, "Content-Type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ error: e.error, message: e.message }));
    }
  }

  /** xrpc-server's rate limiter: a fixed window per IP, its status in RateLimit-* headers. */
  private rateLimit(): Record<string, string> {
    const key = this.window();
    const used = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, used);
    const windowEnd = (Math.floor(this.now() / 1000 / this.limit.windowS) + 1) * this.limit.windowS;
    const headers = {
      "RateLimit-Limit": String(this.limit.limit),
      "RateLimit-Remaining": String(Math.max(0, this.limit.limit - used)),
      "RateLimit-Reset": String(windowEnd),
      "RateLimit-Policy": `${this.limit.limit};w=${this.limit.windowS}`,
    };
    const forced = this.forced429 > 0 && this.forced429-- > 0;
    if (forced || used > this.limit.limit) {
      const retryAfter = String(Math.max(1, windowEnd - Math.floor(this.now() / 1000)));
      throw new XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded", { ...headers, "RateLimit-Remaining": "0", "Retry-After": retryAfter });
    }
    return headers;
  }

  private window(): string {
    return `ip:${Math.floor(this.now() / 1000 / this.limit.windowS)}`;
  }

  private dispatch(req: IncomingMessage, url: URL, nsid: string, raw: Buffer): unknown {
    const method = this.methods[nsid];
    if (!method) throw new XrpcError(501, "MethodNotImplemented", "Method Not Implemented");
    const expected = method.type === "query" ? "GET" : "POST";
    if (req.method !== expected) throw new XrpcError(400, "InvalidRequest", `Incorrect HTTP method (${req.method}) expected ${expected}`);
    const did = this.authenticate(req, method.auth);
    const params = this.params(nsid, url);
    const input = nsid === "com.atproto.repo.uploadBlob" ? undefined : this.input(nsid, req, raw);
    const out = method.handle({ req, params, input, raw, did });
    if (out !== undefined) this.checkOutput(nsid, out);
    return out;
  }

  private authenticate(req: IncomingMessage, auth: Method["auth"]): string {
    if (auth === "none") return "";
    if (auth === "access") return this.sessions.access(req.headers.authorization).did;
    return this.sessions.refreshToken(req.headers.authorization, { allowExpired: auth === "refresh-expired" }).did;
  }

  /** Query params decoded by their Lexicon types, then validated (defaults applied). */
  private params(nsid: string, url: URL): Record<string, unknown> {
    const def = lexicons.getDef(nsid) as { parameters?: { properties?: Record<string, { type: string }> } };
    const out: Record<string, unknown> = {};
    for (const [name, prop] of Object.entries(def.parameters?.properties ?? {})) {
      const values = url.searchParams.getAll(name);
      if (values.length === 0) continue;
      if (prop.type === "array") out[name] = values;
      else if (prop.type === "integer") out[name] = Number(values[0]);
      else if (prop.type === "boolean") out[name] = values[0] === "true";
      else out[name] = values[0];
    }
    try {
      return lexicons.assertValidXrpcParams(nsid, out) as Record<string, unknown>;
    } catch (err) {
      throw new XrpcError(400, "InvalidRequest", (err as Error).message);
    }
  }

  private input(nsid: string, req: IncomingMessage, raw: Buffer): unknown {
    const def = lexicons.getDef(nsid) as { input?: unknown };
    if (!def.input) return undefined;
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) throw new XrpcError(400, "InvalidRequest", "Request encoding (Content-Type) required but not provided");
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      throw new XrpcError(400, "InvalidRequest", "Invalid JSON body");
    }
    try {
      lexicons.assertValidXrpcInput(nsid, jsonToLex(body));
    } catch (err) {
      throw new XrpcError(400, "InvalidRequest", (err as Error).message);
    }
    return body;
  }

  /** A fake whose output breaks the Lexicon would teach connectors the wrong shape: fail loudly. */
  private checkOutput(nsid: string, out: unknown): void {
    lexicons.assertValidXrpcOutput(nsid, jsonToLex(out));
  }

  // ---- methods ----

  private readonly methods: Record<string, Method> = {
    "com.atproto.server.createSession": { type: "procedure", auth: "none", handle: (c) => this.createSession(c.input as { identifier: string; password: string }) },
    "com.atproto.server.refreshSession": { type: "procedure", auth: "refresh", handle: (c) => this.refreshSession(c.req) },
    "com.atproto.server.getSession": { type: "query", auth: "access", handle: (c) => this.session(this.state.accounts.get(c.did)!) },
    "com.atproto.server.deleteSession": { type: "procedure", auth: "refresh-expired", handle: (c) => void this.sessions.revoke(this.sessions.refreshToken(c.req.headers.authorization, { allowExpired: true }).jti) },
    "com.atproto.identity.resolveHandle": { type: "query", auth: "none", handle: (c) => this.resolveHandle(String(c.params.handle)) },
    "app.bsky.actor.getProfile": { type: "query", auth: "access", handle: (c) => this.views.profileDetailed(this.actor(String(c.params.actor)), c.did) },
    "app.bsky.feed.getTimeline": { type: "query", auth: "access", handle: (c) => this.timeline(c) },
    "app.bsky.notification.listNotifications": { type: "query", auth: "access", handle: (c) => this.listNotifications(c) },
    "app.bsky.notification.updateSeen": { type: "procedure", auth: "access", handle: (c) => void (this.state.accounts.get(c.did)!.seenAt = (c.input as { seenAt: string }).seenAt) },
    "com.atproto.repo.createRecord": { type: "procedure", auth: "access", handle: (c) => this.repo.createRecord(c.input as CreateInput, c.did) },
    "com.atproto.repo.deleteRecord": { type: "procedure", auth: "access", handle: (c) => this.repo.deleteRecord(c.input as DeleteInput, c.did) },
    "com.atproto.repo.getRecord": { type: "query", auth: "none", handle: (c) => this.repo.getRecord(c.params as DeleteInput) },
    "com.atproto.repo.uploadBlob": { type: "procedure", auth: "access", handle: (c) => this.repo.uploadBlob(c.did, String(c.req.headers["content-type"] ?? ""), c.raw) },
  };

  private createSession(input: { identifier: string; password: string }) {
    const account = this.state.byIdentifier(input.identifier);
    if (!account || !account.appPasswords.has(input.password)) throw new XrpcError(401, "AuthenticationRequired", "Invalid identifier or password");
    return { ...this.sessions.create(account.did, true), ...this.session(account) };
  }

  private refreshSession(req: IncomingMessage) {
    const { did, jti } = this.sessions.refreshToken(req.headers.authorization);
    const rotated = this.sessions.rotate(jti);
    if (!rotated) throw new XrpcError(400, "ExpiredToken", "Token has been revoked");
    return { ...rotated, ...this.session(this.state.accounts.get(did)!) };
  }

  private session(a: AccountRow) {
    return { handle: a.handle, did: a.did, email: a.email, emailConfirmed: true, emailAuthFactor: false, active: true };
  }

  private resolveHandle(handle: string) {
    const a = this.state.account(handle);
    if (!a) throw new XrpcError(400, "InvalidRequest", "Unable to resolve handle");
    return { did: a.did };
  }

  private actor(handleOrDid: string): AccountRow {
    const a = this.state.account(handleOrDid);
    if (!a) throw new XrpcError(400, "InvalidRequest", "Profile not found");
    return a;
  }

  private timeline(c: Ctx) {
    const items = this.state.timeline(c.did).map((i) => ({ ...i, at: i.record.at, cid: i.record.cid }));
    const { page, cursor } = keyset(items, c.params.cursor as string | undefined, c.params.limit as number);
    return { feed: page.map((i) => this.views.feedItem(i, c.did)), ...(cursor ? { cursor } : {}) };
  }

  private listNotifications(c: Ctx) {
    const me = this.state.accounts.get(c.did)!;
    const reasons = c.params.reasons as string[] | undefined;
    const rows = this.state.notifications.filter((n) => n.recipient === c.did && (!reasons || reasons.includes(n.reason))).map((n) => ({ ...n, cid: this.state.records.get(n.uri)!.cid }));
    const { page, cursor } = keyset(rows, c.params.cursor as string | undefined, c.params.limit as number);
    return { notifications: page.map((n) => this.views.notification(n, me.seenAt)), ...(cursor ? { cursor } : {}), ...(me.seenAt ? { seenAt: me.seenAt } : {}), priority: false };
  }

  private named(handle: string): AccountRow {
    const a = this.state.account(handle);
    if (!a) throw new Error(`no account ${handle}`);
    return a;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

/**
 * Newest first, keyset-paged like the AppView: the cursor is `<ms>::<cid>` of the last item
 * returned and the next page starts strictly after it. Like the AppView, a non-empty page
 * always carries a cursor, so the end shows as an empty page without one.
 */
function keyset<T extends { at: number; cid: string }>(rows: T[], cursor: string | undefined, limit: number): { page: T[]; cursor?: string } {
  const sorted = [...rows].sort((a, b) => b.at - a.at || (a.cid < b.cid ? 1 : a.cid > b.cid ? -1 : 0));
  let start = 0;
  if (cursor) {
    const [ms, c] = cursor.split("::");
    const at = Number(ms);
    start = sorted.findIndex((r) => r.at < at || (r.at === at && r.cid < c!));
    if (start === -1) start = sorted.length;
  }
  const page = sorted.slice(start, start + limit);
  const last = page[page.length - 1];
  return { page, cursor: last ? `${last.at}::${last.cid}` : undefined };
}
