// Mastodon's streaming API over WebSocket (docs methods/streaming): `/api/v1/streaming`
// with the user token in the Authorization header, the Sec-WebSocket-Protocol header or
// the legacy `access_token` query param; streams `user` (home + notifications) and
// `user:notification`, chosen by `?stream=` or `{"type":"subscribe","stream":...}` frames.
// Each event is `{"stream":[name],"event":"update"|"notification","payload":"<JSON as a string>"}`.
// A bad token is refused at the upgrade with 401, as the streaming server does.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { Notification, NotificationRow, Status } from "./mastodon-entities";

type Hooks = {
  authenticate(token: string | undefined): string | null;
  isDown(): { status: number } | null;
  render(accountId: string, statusId: string): Status;
  renderNotification(row: NotificationRow): Notification;
};

const STREAMS = ["user", "user:notification"];

export class Streaming {
  private wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => [...protocols][0] ?? false });
  private clients = new Map<WebSocket, { accountId: string; streams: Set<string> }>();

  constructor(server: Server, private hooks: Hooks) {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  update(accountId: string, statusId: string): void {
    this.send(accountId, ["user"], "update", () => JSON.stringify(this.hooks.render(accountId, statusId)));
  }

  notification(row: NotificationRow): void {
    this.send(row.accountId, ["user", "user:notification"], "notification", () => JSON.stringify(this.hooks.renderNotification(row)));
  }

  /** A crashed instance: every stream is cut without a close frame. */
  dropAll(): void {
    for (const ws of this.clients.keys()) ws.terminate();
    this.clients.clear();
  }

  close(): void {
    this.dropAll();
    this.wss.close();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const outage = this.hooks.isDown();
    if (outage) return refuse(socket, outage.status, "Bad Gateway");
    if (url.pathname !== "/api/v1/streaming") return refuse(socket, 400, "Bad Request", '{"error":"Unknown channel requested"}');
    const token =
      /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ??
      (req.headers["sec-websocket-protocol"]?.split(",")[0]?.trim() || undefined) ??
      url.searchParams.get("access_token") ??
      undefined;
    const accountId = this.hooks.authenticate(token);
    if (!accountId) return refuse(socket, 401, "Unauthorized");
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const streams = new Set<string>();
      this.clients.set(ws, { accountId, streams });
      const first = url.searchParams.get("stream");
      if (first) this.subscribe(ws, streams, first);
      ws.on("message", (data) => this.onFrame(ws, streams, String(data)));
      ws.on("close", () => this.clients.delete(ws));
    });
  }

  private onFrame(ws: WebSocket, streams: Set<string>, text: string): void {
    let msg: { type?: string; stream?: string };
    try {
      msg = JSON.parse(text);
    } catch {
      return void ws.send(JSON.stringify({ error: "Error parsing JSON", status: 400 }));
    }
    if (msg.type === "subscribe" && msg.stream) this.subscribe(ws, streams, msg.stream);
    else if (msg.type === "unsubscribe" && msg.stream) streams.delete(msg.stream);
  }

  private subscribe(ws: WebSocket, streams: Set<string>, stream: string): void {
    if (!STREAMS.includes(stream)) return void ws.send(JSON.stringify({ error: "Unknown stream type", status: 400 }));
    streams.add(stream);
  }

  private send(accountId: string, streams: string[], event: string, payload: () => string): void {
    for (const [ws, client] of this.clients) {
      if (client.accountId !== accountId) continue;
      for (const stream of streams) if (client.streams.has(stream)) ws.send(JSON.stringify({ stream: [stream], event, payload: payload() }));
    }
  }
}

function refuse(socket: Duplex, status: number, reason: string, body = ""): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
