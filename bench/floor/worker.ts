// The platform floor: the same topology as Unibox (a Worker that routes each socket to
// its user's Durable Object; a send is an RPC to the recipient's object, which appends to
// its SQLite log and pushes; a group is a room object fanning out to member objects)
// with none of Unibox's own work: no sessions or D1 (the token is the user id), no zod,
// no friend checks, no dedupe, no receipts. Unibox minus this is what our code costs.
import { DurableObject } from "cloudflare:workers";
import { accountSlice, json } from "../account-slice";
import { directConversationId, groupConversationId } from "../../core/conversation";

type Env = { HUB: DurableObjectNamespace<FloorHub>; ROOM: DurableObjectNamespace<FloorRoom> };
type Attachment = { user: string; ready: boolean };


export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(req.url);
    // The token is the user id (no sessions); friendships are accepted and kept nowhere.
    const account = await accountSlice(req, pathname);
    if (account instanceof Response) return account;
    const { me } = account;
    if (req.method === "POST" && pathname === "/api/groups") {
      const body = (await req.json()) as { members?: string[] };
      if (!Array.isArray(body.members)) return json(400, { error: { code: "invalid_input", message: "members" } });
      const id = `g_${crypto.randomUUID()}`;
      await env.ROOM.get(env.ROOM.idFromName(id)).setMembers([...new Set([me, ...body.members])]);
      return json(201, { group: { id } });
    }
    if (pathname === "/api/ws" && req.headers.get("Upgrade")?.toLowerCase() === "websocket") {
      const headers = new Headers(req.headers);
      headers.set("X-User", me);
      return env.HUB.get(env.HUB.idFromName(me)).fetch(new Request(req.url, { headers }));
    }
    return json(404, { error: { code: "not_found", message: `no route ${req.method} ${pathname}` } });
  },
} satisfies ExportedHandler<Env>;

export class FloorHub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, ev TEXT NOT NULL)");
    // The client's keepalive, answered by the runtime as in UserHub (exact text match).
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  async fetch(req: Request): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ user: req.headers.get("X-User")!, ready: false } satisfies Attachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws: WebSocket, text: string | ArrayBuffer): Promise<void> {
    const f = JSON.parse(String(text));
    const a = ws.deserializeAttachment() as Attachment;
    if (f.t === "hello") {
      for (const row of this.ctx.storage.sql.exec<{ seq: number; ev: string }>("SELECT seq, ev FROM log WHERE seq > ?", f.resume ?? 0)) {
        ws.send(`{"t":"ev","seq":${row.seq},"ev":${row.ev}}`);
      }
      ws.serializeAttachment({ ...a, ready: true } satisfies Attachment);
      ws.send(JSON.stringify({ t: "ready", head: this.head() }));
      return;
    }
    if (f.t !== "send") return;
    const at = Date.now();
    const msgId = crypto.randomUUID();
    if (f.to.user) {
      const conv = directConversationId(a.user, f.to.user);
      const ev = JSON.stringify({ type: "message", conv, msg: { id: msgId, from: a.user, source: "unibox", body: f.body, at } });
      await this.env.HUB.get(this.env.HUB.idFromName(f.to.user)).deliver(ev);
      this.deliver(ev);
      ws.send(JSON.stringify({ t: "accepted", id: f.id, msgId, conv, at }));
      return;
    }
    const conv = groupConversationId(f.to.group);
    const ev = JSON.stringify({ type: "message", conv, msg: { id: msgId, from: a.user, source: "unibox", body: f.body, at } });
    await this.env.ROOM.get(this.env.ROOM.idFromName(f.to.group)).fanout(ev);
    ws.send(JSON.stringify({ t: "accepted", id: f.id, msgId, conv, at }));
  }

  /** Appends before pushing, the same durability rule as UserHub. */
  deliver(ev: string): void {
    const { seq } = this.ctx.storage.sql.exec<{ seq: number }>("INSERT INTO log (ev) VALUES (?) RETURNING seq", ev).one();
    const frame = `{"t":"ev","seq":${seq},"ev":${ev}}`;
    for (const ws of this.ctx.getWebSockets()) {
      if ((ws.deserializeAttachment() as Attachment).ready) ws.send(frame);
    }
  }

  private head(): number {
    return this.ctx.storage.sql.exec<{ head: number | null }>("SELECT max(seq) AS head FROM log").one().head ?? 0;
  }
}

export class FloorRoom extends DurableObject<Env> {
  private members: string[] | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, ev TEXT NOT NULL)");
  }

  async setMembers(members: string[]): Promise<void> {
    this.members = members;
    await this.ctx.storage.put("members", members);
  }

  /** The room's own ordered log first, then one RPC per member (the sender's own devices included). */
  async fanout(ev: string): Promise<void> {
    this.members ??= (await this.ctx.storage.get<string[]>("members")) ?? [];
    this.ctx.storage.sql.exec("INSERT INTO log (ev) VALUES (?)", ev);
    await Promise.all(this.members.map((m) => this.env.HUB.get(this.env.HUB.idFromName(m)).deliver(ev)));
  }
}
