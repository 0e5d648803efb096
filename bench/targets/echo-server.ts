// The loopback floor: a `ws` server that sends every text frame straight back. A message
// that goes client → echo → client crosses the loopback twice, like client → relay →
// other client, so its latency is the least any target can show for one delivery.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

export type Echo = { port: number; close(): Promise<void> };

export function startEcho(port = 0): Promise<Echo> {
  const http = createServer((_req, res) => res.writeHead(401).end());
  const wss = new WebSocketServer({ server: http, path: "/api/ws", perMessageDeflate: false });
  wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
  return new Promise((resolve) => {
    http.listen(port, "127.0.0.1", () =>
      resolve({
        port: (http.address() as { port: number }).port,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            http.close(() => done());
            http.closeAllConnections();
          }),
      }),
    );
  });
}
