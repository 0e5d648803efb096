// A LinkIO in Node, so a connector's protocol code can be tested directly against the real
// peers and fakes the test starts (test/support/peers, test/support/fakes), with the test in
// full control of both sides. The same connector then runs in workerd inside its AccountLink
// (worker/connectors/io.ts), which the e2e tests drive through wrangler dev.
import { Socket, connect as tcp } from "node:net";
import { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { allowedHosts, checkHost, hostOf } from "../../worker/connectors/net";
import type { AccountRef, LinkIO, LinkStore, LiveHandlers, Network, RemoteEvent, StateReport, TcpSocket } from "../../worker/connectors/types";

export type NodeIO = LinkIO & {
  store: LinkStore & { entries(): Record<string, unknown> };
  /** What went through io.media.put, by id. */
  stored: Map<string, { bytes: Uint8Array; mime: string; filename?: string }>;
  logs: { event: string; fields: Record<string, unknown> }[];
};

let n = 0;

export function nodeIO(network: Network, opts: { config?: Record<string, string>; publicUrl?: string; allowPrivate?: string } = {}): NodeIO {
  const account: AccountRef = { id: `a_node${++n}`, owner: `u_node${n}`, network, label: network };
  const allow = allowedHosts(opts.allowPrivate ?? "127.0.0.1,localhost");
  const map = new Map<string, string>();
  const stored = new Map<string, { bytes: Uint8Array; mime: string; filename?: string }>();
  const logs: NodeIO["logs"] = [];
  return {
    account,
    async fetch(input, init = {}) {
      checkHost(hostOf(input), allow);
      const { timeoutMs = 30_000, ...rest } = init;
      return fetch(input, { ...rest, signal: rest.signal ?? AbortSignal.timeout(timeoutMs) });
    },
    connect(host, port, tls) {
      checkHost(host, allow);
      return nodeSocket(tls === "on" ? tlsConnect({ host, port, rejectUnauthorized: false }) : tcp({ host, port }));
    },
    async websocket(url, protocols) {
      checkHost(hostOf(url), allow);
      const ws = new WebSocket(url, protocols);
      await new Promise<void>((resolve, reject) => {
        ws.addEventListener("open", () => resolve(), { once: true });
        ws.addEventListener("error", () => reject(new Error(`WebSocket to ${url} failed`)), { once: true });
      });
      return ws;
    },
    media: {
      async put(bytes, mime, filename) {
        const id = `md_node${stored.size + 1}`;
        stored.set(id, { bytes, mime, filename });
        return { id, type: mime.startsWith("image/") ? "image" : mime.startsWith("video/") ? "video" : "audio" };
      },
      async get(id) {
        return stored.get(id) ?? null;
      },
    },
    store: {
      get<T>(key: string) {
        const v = map.get(key);
        return v === undefined ? undefined : (JSON.parse(v) as T);
      },
      put(key, value) {
        map.set(key, JSON.stringify(value));
      },
      delete(key) {
        map.delete(key);
      },
      entries: () => Object.fromEntries([...map].map(([k, v]) => [k, JSON.parse(v)])),
    },
    stored,
    logs,
    config: (name) => opts.config?.[name],
    publicUrl: opts.publicUrl ?? "http://127.0.0.1:8787",
    log(event, fields = {}) {
      logs.push({ event, fields });
    },
  };
}

/** A node:net socket in the shape of a cloudflare:sockets Socket. */
function nodeSocket(socket: Socket): TcpSocket {
  const { readable, writable } = Duplex.toWeb(socket) as { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
  const opened = new Promise<unknown>((resolve, reject) => {
    socket.once("connect", () => resolve({}));
    socket.once("secureConnect", () => resolve({}));
    socket.once("error", reject);
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    readable,
    writable,
    opened,
    closed,
    async close() {
      socket.destroy();
    },
    startTls() {
      return nodeSocket(tlsConnect({ socket, rejectUnauthorized: false }));
    },
  };
}

/** LiveHandlers that keep everything, with a way to wait for what a test expects. */
export function recorder() {
  const rec = {
    events: [] as RemoteEvent[],
    states: [] as StateReport[],
    cursor: null as string | null,
    async emit(events: RemoteEvent[], cursor?: string) {
      rec.events.push(...events);
      if (cursor !== undefined) rec.cursor = cursor;
    },
    state(report: StateReport) {
      rec.states.push(report);
    },
    async until(pred: () => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(rec.events).slice(0, 800)}; states: ${JSON.stringify(rec.states)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  } satisfies LiveHandlers & Record<string, unknown>;
  return rec;
}
