// The plumbing the network fakes share: a loopback HTTP server on a free port that can be
// taken "down" the two ways a real service goes away, plus body and JSON helpers.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { Socket } from "node:net";

/**
 * How a downed service looks from the client:
 * - "bad-gateway": the service crashed behind its reverse proxy. The proxy still accepts
 *   connections and answers every request, including ones already waiting, with nginx's
 *   plain HTML `502 Bad Gateway` page (not JSON), which is what a client meets in practice.
 * - "reset": nothing answers: open connections are destroyed and new ones are reset, so
 *   `fetch` rejects ("fetch failed" / ECONNRESET) as it does for a dead host.
 */
export type Outage = "bad-gateway" | "reset";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const BAD_GATEWAY_PAGE =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

export class LoopbackServer {
  origin = "";
  private server!: Server;
  private sockets = new Set<Socket>();
  private outage: Outage | undefined;
  /** Answers still open (long-polls); a 502 outage answers them at once. */
  private open = new Set<ServerResponse>();

  constructor(private handler: Handler) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.dispatch(req, res));
    this.server.on("connection", (socket) => {
      if (this.outage === "reset") return void socket.destroy();
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  get isDown(): boolean {
    return this.outage !== undefined;
  }

  down(mode: Outage = "bad-gateway"): void {
    this.outage = mode;
    if (mode === "reset") {
      for (const socket of this.sockets) socket.destroy();
      return;
    }
    for (const res of this.open) badGateway(res);
  }

  up(): void {
    this.outage = undefined;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    if (this.outage === "reset") return void req.socket.destroy();
    if (this.outage === "bad-gateway") return badGateway(res);
    this.open.add(res);
    res.on("close", () => this.open.delete(res));
    Promise.resolve(this.handler(req, res)).catch((err) => {
      console.error(JSON.stringify({ event: "fake_server_error", url: req.url?.split("?")[0], message: (err as Error).message }));
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end();
    });
  }
}

function badGateway(res: ServerResponse): void {
  if (res.writableEnded) return;
  if (!res.headersSent) res.writeHead(502, { "content-type": "text/html", server: "nginx" });
  res.end(BAD_GATEWAY_PAGE);
}

export class BodyTooLarge extends Error {}

/** The whole request body; rejects with BodyTooLarge past `limit` bytes (the rest is drained). */
export function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => (size > limit ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on("error", reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The request as a WHATWG Request, to reuse undici's form-data and multipart parsing. */
export function asRequest(req: IncomingMessage, origin: string, body: Buffer): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), { method: req.method, headers, body: hasBody ? new Uint8Array(body) : undefined });
}

export const unixSeconds = (ms = Date.now()) => Math.floor(ms / 1000);
