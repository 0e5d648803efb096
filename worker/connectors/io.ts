// The LinkIO a connector gets: guarded network access, media, a private store, config.
// Built by the AccountLink for each account (and by testing.ts for connector tests).
import { connect as tcpConnect } from "cloudflare:sockets";
import type { Env } from "../env";
import { readMedia, storeRemoteFile, storeRemoteMedia } from "./media";
import { allowedHosts, checkHost, hostOf } from "./net";
import type { AccountRef, LinkIO, LinkStore, TcpSocket } from "./types";

/** Outbound HTTP gives up after this long unless the caller says otherwise (a /sync long-poll does). */
const DEFAULT_TIMEOUT_MS = 30_000;

export function createLinkIO(account: AccountRef, env: Env, store: LinkStore): LinkIO {
  const allow = allowedHosts(env.ALLOW_PRIVATE_HOSTS);
  const guard = (host: string) => checkHost(host, allow);
  return {
    account,
    async fetch(input, init = {}) {
      guard(hostOf(input));
      const { timeoutMs = DEFAULT_TIMEOUT_MS, ...rest } = init;
      const signal = rest.signal ? AbortSignal.any([rest.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      // Redirects are followed by hand so every hop is checked, not just the first.
      let url = new URL(input);
      for (let hop = 0; hop < 5; hop++) {
        const res = await fetch(url, { ...rest, signal, redirect: "manual" });
        const location = res.status >= 300 && res.status < 400 ? res.headers.get("Location") : null;
        if (!location) return res;
        url = new URL(location, url);
        guard(hostOf(url));
      }
      throw new Error("too many redirects");
    },
    connect(host, port, tls) {
      guard(host);
      const socket = tcpConnect({ hostname: host, port }, { secureTransport: tls, allowHalfOpen: false });
      return socket as unknown as TcpSocket;
    },
    async websocket(url, protocols) {
      guard(hostOf(url));
      const http = url.replace(/^ws/, "http");
      const headers: Record<string, string> = { Upgrade: "websocket" };
      if (protocols?.length) headers["Sec-WebSocket-Protocol"] = protocols.join(", ");
      const res = await fetch(http, { headers, signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS) });
      const ws = res.webSocket;
      if (!ws) throw new Error(`${url} did not upgrade to a WebSocket (HTTP ${res.status})`);
      ws.accept();
      return ws;
    },
    media: {
      put: (bytes, mime, filename) => storeRemoteMedia(env, account.owner, bytes, mime, filename),
      putFile: (bytes, mime, filename) => storeRemoteFile(env, account.owner, bytes, mime, filename),
      get: (id) => readMedia(env, id),
    },
    store,
    config: (name) => (env as unknown as Record<string, string | undefined>)[name],
    publicUrl: (env.PUBLIC_URL ?? "http://127.0.0.1:8787").replace(/\/$/, ""),
    log(event, fields = {}) {
      console.log(JSON.stringify({ event, account: account.id, network: account.network, user: account.owner, ...fields }));
    },
  };
}

/** A LinkStore over a Durable Object's synchronous SQLite key/value rows. */
export function sqlStore(sql: SqlStorage, table = "connector_kv"): LinkStore {
  sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
  return {
    get<T>(key: string) {
      const row = sql.exec<{ v: string }>(`SELECT v FROM ${table} WHERE k = ?`, key).toArray()[0];
      return row ? (JSON.parse(row.v) as T) : undefined;
    },
    put(key, value) {
      sql.exec(`INSERT INTO ${table} (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`, key, JSON.stringify(value));
    },
    delete(key) {
      sql.exec(`DELETE FROM ${table} WHERE k = ?`, key);
    },
  };
}

/** A LinkStore in memory, for tests and for verifying credentials before anything is stored. */
export function memoryStore(): LinkStore & { entries(): Record<string, unknown> } {
  const map = new Map<string, string>();
  return {
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
  };
}
