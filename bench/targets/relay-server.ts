// The no-platform baseline: a plain Node `ws` relay that speaks the same HTTP slice and
// the same frames as Unibox (hello/ready, send/accepted, ev with a per-user seq, groups),
// with everything in memory. No database, no validation library, no runtime in between:
// what is left is the cost of WebSockets and JSON on this machine.
// Run as its own process by serve.ts, so its CPU can be counted and pinned apart from the client.
import { randomBytes } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import { WebSocket, WebSocketServer } from "ws";
import { directConversationId, groupConversationId } from "../../core/conversation";

type RelayUser = { id: string; handle: string; friends: Set<string>; log: string[]; sockets: Set<WebSocket> };

export type Relay = { port: number; close(): Promise<void> };

const newId = (p: string) => `${p}_${randomBytes(9).toString("hex")}`;

export function startRelay(port = 0): Promise<Relay> {
  const users = new Map<string, RelayUser>();
  const byHandle = new Map<string, RelayUser>();
  const byToken = new Map<string, RelayUser>();
  const requests = new Map<string, { from: string; to: string }>();
  const groups = new Map<string, string[]>();

  const authed = (req: IncomingMessage) => byToken.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));

  /** Same rule as the hub: the event is in the log (here: memory) before any socket sees it. */
  const append = (u: RelayUser, ev: string) => {
    u.log.push(ev);
    const frame = `{"t":"ev","seq":${u.log.length},"ev":${ev}}`;
    for (const s of u.sockets) if ((s as ReadySocket).ready) s.send(frame);
  };

  const http = createServer(async (req, res) => {
    const body = await readJson(req);
    const me = authed(req);
    const url = req.url ?? "/";
    if (req.method === "POST" && url === "/api/auth/register") {
      const u: RelayUser = { id: newId("u"), handle: String(body.handle), friends: new Set(), log: [], sockets: new Set() };
      const token = randomBytes(24).toString("base64url");
      users.set(u.id, u);
      byHandle.set(u.handle, u);
      byToken.set(token, u);
      return json(res, 201, { user: { id: u.id, handle: u.handle, address: "", displayName: body.displayName }, token });
    }
    if (!me) return json(res, 401, { error: { code: "unauthorized", message: "sign in first" } });
    if (req.method === "GET" && url === "/api/me") return json(res, 200, { user: { id: me.id, handle: me.handle } });
    if (req.method === "POST" && url === "/api/friends/requests") {
      const to = byHandle.get(String(body.to));
      if (!to) return json(res, 404, { error: { code: "user_not_found", message: "no such user" } });
      const id = newId("fr");
      requests.set(id, { from: me.id, to: to.id });
      return json(res, 201, { request: { id } });
    }
    const accept = /^\/api\/friends\/requests\/([^/]+)\/accept$/.exec(url);
    if (req.method === "POST" && accept) {
      const r = requests.get(accept[1]);
      if (!r || r.to !== me.id) return json(res, 404, { error: { code: "request_not_found", message: "no such request" } });
      users.get(r.from)!.friends.add(r.to);
      users.get(r.to)!.friends.add(r.from);
      return json(res, 200, { ok: true });
    }
    if (req.method === "POST" && url === "/api/groups") {
      if (!Array.isArray(body.members)) return json(res, 400, { error: { code: "invalid_input", message: "members" } });
      const id = newId("g");
      groups.set(id, [...new Set([me.id, ...(body.members as string[])])]);
      return json(res, 201, { group: { id } });
    }
    json(res, 404, { error: { code: "not_found", message: `no route ${req.method} ${url}` } });
  });

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  http.on("upgrade", (req, socket, head) => {
    const me = authed(req);
    if (!me) {
      socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      return;
    }
    // No room sockets here: a 404 tells the bench to send groups over /api/ws.
    if (req.url !== "/api/ws") {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      me.sockets.add(ws);
      ws.on("close", () => me.sockets.delete(ws));
      ws.on("message", (data) => onFrame(me, ws as ReadySocket, data.toString()));
    });
  });

  function onFrame(me: RelayUser, ws: ReadySocket, text: string) {
    if (text === "ping") return ws.send("pong");
    let f: { t?: string; id?: string; resume?: number; to?: { user?: string; group?: string }; body?: unknown };
    try {
      f = JSON.parse(text);
    } catch {
      return ws.send(JSON.stringify({ t: "error", code: "invalid_json", message: "not JSON" }));
    }
    if (f.t === "hello") {
      const from = Math.min(f.resume ?? 0, me.log.length);
      for (let seq = from + 1; seq <= me.log.length; seq++) ws.send(`{"t":"ev","seq":${seq},"ev":${me.log[seq - 1]}}`);
      ws.ready = true;
      return ws.send(JSON.stringify({ t: "ready", head: me.log.length }));
    }
    if (f.t !== "send" || !f.id) return;
    const at = Date.now();
    const msgId = newId("m");
    if (f.to?.user) {
      const peer = users.get(f.to.user);
      if (!peer || !me.friends.has(peer.id)) return ws.send(JSON.stringify({ t: "error", id: f.id, code: "not_friend", message: "you can only message your friends" }));
      const conv = directConversationId(me.id, peer.id);
      const ev = JSON.stringify({ type: "message", conv, msg: { id: msgId, from: me.id, source: "unibox", body: f.body, at } });
      append(peer, ev); // recipient first, as in the hub
      append(me, ev);
      return ws.send(JSON.stringify({ t: "accepted", id: f.id, msgId, conv, at }));
    }
    const members = f.to?.group ? groups.get(f.to.group) : undefined;
    if (!members || !members.includes(me.id)) return ws.send(JSON.stringify({ t: "error", id: f.id, code: "not_found", message: "no such group" }));
    const conv = groupConversationId(f.to!.group!);
    const ev = JSON.stringify({ type: "message", conv, msg: { id: msgId, from: me.id, source: "unibox", body: f.body, at } });
    for (const m of members) append(users.get(m)!, ev);
    ws.send(JSON.stringify({ t: "accepted", id: f.id, msgId, conv, at }));
  }

  return new Promise((resolve) => {
    http.listen(port, "127.0.0.1", () => {
      const actual = (http.address() as { port: number }).port;
      resolve({
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            http.close(() => done());
            http.closeAllConnections();
          }),
      });
    });
  });
}

type ReadySocket = WebSocket & { ready?: boolean };

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      try {
        resolve(raw ? JSON.parse(raw) : {});
      } catch {
        resolve({});
      }
    });
  });
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
