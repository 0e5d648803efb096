// The room-broadcast baseline for issue 16, shaped like cloudflare/workers-chat-demo: a
// Worker sends each group socket straight to one Durable Object per room, which accepts
// it with the Hibernation API, stores each message with one storage write and sends the
// same frame string to every socket in the room. What a developer starting from the demo
// gets; Unibox ÷ this is the price of per-user logs, receipts and exactly-once sends.
//
// It speaks the bench's slice of Unibox: register, friends (accepted, kept nowhere), groups
// (an id and nothing else: the demo has no membership), the user's own socket (`hello` →
// `ready`, and nothing more: groups speak only on room sockets here) and the room socket
// of docs/protocol.md ("A group's own socket"). Left out as the bench never exercises
// them: the demo's per-IP rate limiter object and the history sent to a joining socket.
import { DurableObject } from "cloudflare:workers";
import { accountSlice, json } from "../account-slice";
import { groupConversationId } from "../../core/conversation";

type Env = { ROOM: DurableObjectNamespace<Room>; INBOX: DurableObjectNamespace<Inbox> };
type Attachment = { user: string; group: string; ready: boolean };

const isUpgrade = (req: Request) => req.headers.get("Upgrade")?.toLowerCase() === "websocket";
const ROOM_SOCKET = /^\/api\/groups\/([^/]+)\/ws$/;

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(req.url);
    // The token is the user id (no sessions); friendships are accepted and kept nowhere.
    const account = await accountSlice(req, pathname);
    if (account instanceof Response) return account;
    const { me } = account;
    if (req.method === "POST" && pathname === "/api/groups") {
      const body = (await req.json()) as { members?: unknown };
      if (!Array.isArray(body.members)) return json(400, { error: { code: "invalid_input", message: "members" } });
      return json(201, { group: { id: `g_${crypto.randomUUID().replaceAll("-", "")}` } });
    }
    const room = ROOM_SOCKET.exec(pathname);
    if (room || pathname === "/api/ws") {
      if (!isUpgrade(req)) return json(426, { error: { code: "upgrade_required", message: "a WebSocket upgrade" } });
      const headers = new Headers(req.headers);
      headers.set("X-User", me);
      if (!room) return env.INBOX.get(env.INBOX.idFromName(me)).fetch(new Request(req.url, { headers }));
      headers.set("X-Group", room[1]!);
      return env.ROOM.get(env.ROOM.idFromName(room[1]!)).fetch(new Request(req.url, { headers }));
    }
    return json(404, { error: { code: "not_found", message: `no route ${req.method} ${pathname}` } });
  },
} satisfies ExportedHandler<Env>;

/** One room: its sockets and its messages, nothing else. */
export class Room extends DurableObject<Env> {
  /** The newest message's seq; read back from storage when the object wakes from hibernation. */
  private head = 0;
  /** The room's sockets with their attachments, as the demo keeps its sessions: a broadcast reads no attachment. */
  private sockets = new Map<WebSocket, Attachment>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // The keepalive is answered by the runtime without waking the object (exact text match).
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    // Waking from hibernation: the sockets outlived the object, their attachments say who is who.
    for (const ws of ctx.getWebSockets()) this.sockets.set(ws, ws.deserializeAttachment() as Attachment);
    void ctx.blockConcurrencyWhile(async () => {
      const [last] = (await ctx.storage.list<string>({ reverse: true, limit: 1 })).keys();
      this.head = last ? Number(last) : 0;
    });
  }

  async fetch(req: Request): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    const a: Attachment = { user: req.headers.get("X-User")!, group: req.headers.get("X-Group")!, ready: false };
    server.serializeAttachment(a);
    this.sockets.set(server, a);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketClose(ws: WebSocket): Promise<void> {
    this.sockets.delete(ws);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    this.sockets.delete(ws);
  }

  async webSocketMessage(ws: WebSocket, text: string | ArrayBuffer): Promise<void> {
    try {
      const f = JSON.parse(String(text));
      const a = this.sockets.get(ws);
      if (!a) return;
      if (f.t === "hello") return await this.hello(ws, a, f.resume);
      if (f.t === "send") return this.send(ws, a, f);
      // `ack`: the demo has no receipts.
    } catch (err) {
      console.error("Error in Room webSocketMessage:", err);
    }
  }

  private async hello(ws: WebSocket, a: Attachment, resume: unknown): Promise<void> {
    if (typeof resume === "number") {
      for (const [key, ev] of await this.ctx.storage.list<string>({ start: seqKey(resume + 1) })) ws.send(`{"t":"ev","seq":${Number(key)},"ev":${ev}}`);
    }
    a.ready = true;
    ws.serializeAttachment(a);
    ws.send(`{"t":"ready","head":${this.head}}`);
  }

  private send(ws: WebSocket, a: Attachment, f: { id: string; to?: { group?: string }; body: unknown }): void {
    if (f.to?.group !== a.group) {
      ws.send(JSON.stringify({ t: "error", id: f.id, code: "invalid_target", message: "not this room's group" }));
      return;
    }
    const seq = ++this.head;
    const at = Date.now();
    const msgId = crypto.randomUUID();
    const conv = groupConversationId(a.group);
    const ev = JSON.stringify({ type: "message", conv, msg: { id: msgId, from: a.user, source: "unibox", body: f.body, at } });
    // One write per message, not awaited: the output gate holds every frame sent below
    // until the write is durable, so no socket sees a message the room could still lose
    // (https://blog.cloudflare.com/durable-objects-easy-fast-correct-choose-three/).
    void this.ctx.storage.put(seqKey(seq), ev);
    const frame = `{"t":"ev","seq":${seq},"ev":${ev}}`;
    for (const [peer, p] of this.sockets) {
      if (!p.ready) continue;
      try {
        peer.send(frame);
      } catch {
        this.sockets.delete(peer); // closed under us; its close event may not have run yet
      }
    }
    ws.send(JSON.stringify({ t: "accepted", id: f.id, msgId, conv, at }));
  }
}

/** Keys sort as seqs do. */
const seqKey = (seq: number) => String(seq).padStart(12, "0");

/** A user's own socket: here it only answers `hello`, since groups speak on room sockets. */
export class Inbox extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  async fetch(): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws: WebSocket, text: string | ArrayBuffer): Promise<void> {
    if (String(text).startsWith('{"t":"hello"')) ws.send('{"t":"ready","head":0}');
  }
}
