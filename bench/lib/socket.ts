// One benchmark socket: opened with the user's bearer token, greeted with `hello`, and
// handed to whoever listens for frames. Either the user's own socket (`/api/ws`) or a
// group's room socket (`/api/groups/:id/ws`, docs/protocol.md "A group's own socket").
// Frames stay raw strings on the hot path; the load client only peeks at them (see
// load.ts), so client CPU stays off the measurement.
import WebSocket from "ws";

const EV_PREFIX = '{"t":"ev","seq":';

export type Conn = {
  /** Index of this socket in its scenario; the load client keys deliveries by it. */
  index: number;
  userId: string;
  token?: string;
  base: string;
  /** The group of a room socket; undefined for the user's own socket. */
  group?: string;
  ws: WebSocket;
  /** Set by whoever is measuring; receives every text frame with its arrival time. */
  onFrame: (data: string, at: number) => void;
  /** The highest seq this socket saw: ready's head, then every `ev` since (a room's seqs have gaps). */
  lastSeq: number;
  /** Set when the socket closed, with the server's code and reason: a closed socket ends its target's ramp. */
  closed?: { code: number; reason: string };
};

const wsPath = (group?: string) => (group === undefined ? "/api/ws" : `/api/groups/${encodeURIComponent(group)}/ws`);

/** The server answered the upgrade with an HTTP status instead of 101 (a 404 for a room socket: the target has none). */
export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused: HTTP ${status}`);
  }
}

export function open(base: string, token: string | undefined, timeoutMs = 30_000, group?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(base.replace(/^http/, "ws") + wsPath(group), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      perMessageDeflate: false,
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`socket did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      reject(new UpgradeRefused(res.statusCode ?? 0));
    });
    ws.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** `reset`: the hub found the resume point too far back and replayed nothing (the device reloads over HTTP). */
export type Ready = { head: number; replayed: number; helloToReadyMs: number; reset: boolean };

/**
 * Sends `hello {resume}` and waits for `ready`, counting the `ev` frames replayed before it.
 * Without a cursor a room socket says `fresh` (its hub holds the rest), as the phone does.
 */
export function hello(ws: WebSocket, resume: number | undefined, timeoutMs = 60_000, room = false): Promise<Ready> {
  return new Promise((resolve, reject) => {
    let replayed = 0;
    const started = performance.now();
    const timer = setTimeout(() => {
      ws.off("message", onMessage);
      reject(new Error(`no ready within ${timeoutMs} ms (${replayed} events replayed)`));
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const text = data.toString();
      if (text.startsWith('{"t":"ev"')) {
        replayed++;
        return;
      }
      if (!text.startsWith('{"t":"ready"') && !text.startsWith('{"t":"error"')) return;
      clearTimeout(timer);
      ws.off("message", onMessage);
      const frame = JSON.parse(text);
      if (frame.t === "error") return reject(new Error(`hello refused: ${frame.code} ${frame.message}`));
      resolve({ head: frame.head, replayed, helloToReadyMs: performance.now() - started, reset: frame.reset === true });
    };
    ws.on("message", onMessage);
    if (room) ws.send(JSON.stringify(resume === undefined ? { t: "hello", fresh: true } : { t: "hello", resume }));
    else ws.send(JSON.stringify(resume === undefined ? { t: "hello", device: "bench" } : { t: "hello", resume, device: "bench" }));
  });
}

/** An open, greeted socket wired to a replaceable frame listener: the user's own, or with `group` that group's room socket. */
export async function connect(base: string, index: number, user: { id: string; token?: string }, opts: { greet?: boolean; resume?: number; group?: string } = {}): Promise<Conn> {
  const conn: Conn = { index, userId: user.id, token: user.token, base, group: opts.group, ws: undefined as unknown as WebSocket, lastSeq: 0, onFrame: () => {} };
  await attach(conn, opts);
  return conn;
}

/** Opens a fresh socket for a closed conn (same user, same index), resuming where it stopped. */
export async function reopen(conn: Conn): Promise<void> {
  conn.closed = undefined;
  await attach(conn, { resume: conn.lastSeq });
}

async function attach(conn: Conn, opts: { greet?: boolean; resume?: number }): Promise<void> {
  const ws = await open(conn.base, conn.token, 30_000, conn.group);
  conn.ws = ws;
  // Listen before `hello`, so a frame that shares a TCP read with `ready` is not missed;
  // until a measurement installs its listener, frames are history and ignored.
  let ready = false;
  ws.on("message", (data) => {
    const text = data.toString();
    if (ready && text.startsWith(EV_PREFIX)) conn.lastSeq = Math.max(conn.lastSeq, Number.parseInt(text.slice(EV_PREFIX.length), 10));
    conn.onFrame(text, performance.now());
  });
  ws.once("close", (code, reason) => (conn.closed = { code, reason: reason.toString() }));
  keepAlive(ws);
  if (opts.greet === false) return;
  conn.lastSeq = (await hello(ws, opts.resume, 60_000, conn.group !== undefined)).head;
  ready = true;
}

/**
 * A real client's keepalive: the bare text "ping" (answered by the runtime without waking
 * the hub). Without it a socket that only receives, like a benchmark's receiver, is reaped
 * as silent after the presence grace period and the measurement would lose it.
 */
const KEEPALIVE_MS = 15_000;

function keepAlive(ws: WebSocket): void {
  const timer = setInterval(() => {
    if (ws.readyState === WebSocket.OPEN) ws.send("ping");
  }, KEEPALIVE_MS);
  timer.unref();
  ws.once("close", () => clearInterval(timer));
}

export async function closeAll(conns: { ws: WebSocket }[]): Promise<void> {
  await Promise.all(
    conns.map(
      ({ ws }) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 2_000);
          ws.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close(1000, "bench done");
        }),
    ),
  );
}
