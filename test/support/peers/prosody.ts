// A real Prosody (Debian's package) on 127.0.0.1 for the XMPP connector's tests: WebSocket
// (RFC 7395) and plain c2s on free ports, no TLS, its own data dir. Config from
// /work/shared/PEERS.md plus MAM (XEP-0313), carbons (XEP-0280), offline storage (XEP-0160)
// and the admin shell. Receipts (XEP-0184) and chat markers (XEP-0333) are client-side: the
// server only routes them, and mod_mam archives both (its should_store keeps anything in
// urn:xmpp:receipts or urn:xmpp:chat-markers:0), as does mod_offline.
//
// One Prosody rule a test can trip on: a session that queries MAM before its initial
// presence gets no offline messages (mod_mam marks it mam_requested and mod_offline skips
// the broadcast). xmppPeer sends presence first, like a normal client.
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Daemon, freePort, greets, removeDir, scratchDir, spawnDaemon, waitReady } from "./daemon";

const run = promisify(execFile);

export type Prosody = {
  domain: "localhost";
  /** ws://127.0.0.1:PORT/xmpp-websocket */
  wsUrl: string;
  /** http://127.0.0.1:PORT (mod_http: websocket lives under it) */
  httpUrl: string;
  /** Plain XMPP over TCP (no TLS offered). */
  c2sPort: number;
  /** Creates `user@localhost` (user is the local part). */
  register(user: string, password: string): Promise<void>;
  unregister(user: string): Promise<void>;
  /** Stops it and starts it again on the same ports with the same data; resolves when it accepts connections. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Full JIDs with a c2s session open now. */
  sessions(): Promise<string[]>;
  logs(): string;
  /** Its scratch directory (config, data, log); removed by stop(). */
  dir: string;
};

export type ProsodyOptions = {
  /** More Lua lines appended to the global section (before the VirtualHost). */
  extraConfig?: string;
};

const MODULES = [
  // From PEERS.md: what a WebSocket client on loopback needs.
  "roster", "saslauth", "disco", "ping", "register", "websocket", "http", "presence", "message", "iq", "time", "version", "posix",
  // History and multi-device: archive catch-up, copies of our own sent messages, storage while offline.
  "mam", "carbons", "offline",
  // `prosodyctl shell` talks to the running server through mod_admin_socket, which this loads.
  "admin_shell",
];

function config(dir: string, c2sPort: number, httpPort: number, extra = ""): string {
  const lua = (s: string) => JSON.stringify(s); // temp paths hold no characters JSON and Lua escape differently
  return `-- written by test/support/peers/prosody.ts
pidfile = ${lua(join(dir, "prosody.pid"))}; data_path = ${lua(join(dir, "data"))}; run_as_root = true
certificates = ${lua(join(dir, "certs"))}
log = { debug = ${lua(join(dir, "prosody.log"))} }
interfaces = { "127.0.0.1" }; c2s_ports = { ${c2sPort} }; s2s_ports = { }
http_ports = { ${httpPort} }; http_interfaces = { "127.0.0.1" }; https_ports = { }
modules_enabled = { ${MODULES.map(lua).join("; ")} }
modules_disabled = { "s2s"; "tls" }
c2s_require_encryption = false; allow_unencrypted_plain_auth = true
consider_websocket_secure = true; allow_registration = true
authentication = "internal_plain"; storage = "internal"
archive_expires_after = "1d"; default_archive_policy = true
${extra}
VirtualHost "localhost"
`;
}

/** A Lua string literal for any text: every byte that is not a letter or digit as \\ddd. */
function luaString(s: string): string {
  const bytes = [...Buffer.from(s, "utf8")];
  return `"${bytes.map((b) => (/[A-Za-z0-9@._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `\\${b}`)).join("")}"`;
}

export async function startProsody(opts: ProsodyOptions = {}): Promise<Prosody> {
  const dir = scratchDir("prosody");
  for (const sub of ["data", "certs"]) mkdirSync(join(dir, sub));
  const [c2sPort, httpPort] = [await freePort(), await freePort()];
  const cfg = join(dir, "prosody.cfg.lua");
  writeFileSync(cfg, config(dir, c2sPort, httpPort, opts.extraConfig));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  let daemon: Daemon | undefined;

  const launch = async () => {
    daemon = spawnDaemon("prosody", ["--config", cfg, "-F"], { cwd: dir, logFiles: [join(dir, "prosody.log")] });
    // Up when both listeners answer; mod_websocket answers a plain GET on its path with 200.
    await waitReady("prosody", daemon, async () => (await fetch(`${httpUrl}/xmpp-websocket`)).ok && (await greets(c2sPort)));
  };
  const logs = () => daemon?.logs() ?? "";

  /** Runs one admin-shell command in the running server; it exits 1 with "Error: ..." when the command failed. */
  const shell = async (command: string): Promise<string> => {
    const name = command.split("(")[0];
    const result = await run("prosodyctl", ["--config", cfg, "shell", command], { cwd: dir }).catch((e) => {
      throw new Error(`prosodyctl shell ${name} failed: ${`${e.stdout ?? ""}${e.stderr ?? ""}`.trim() || e.message}`);
    });
    return result.stdout;
  };

  await launch().catch((e) => {
    removeDir(dir);
    throw e;
  });
  return {
    domain: "localhost",
    dir,
    wsUrl: `ws://127.0.0.1:${httpPort}/xmpp-websocket`,
    httpUrl,
    c2sPort,
    async register(user, password) {
      await shell(`user:create(${luaString(`${user}@localhost`)}, ${luaString(password)})`);
    },
    async unregister(user) {
      await shell(`user:delete(${luaString(`${user}@localhost`)})`);
    },
    async restart() {
      await daemon?.kill();
      await launch();
    },
    async stop() {
      await daemon?.kill();
      removeDir(dir);
    },
    async sessions() {
      return parseSessions(await shell("c2s:show()"));
    },
    logs,
  };
}

/** c2s:show() prints a table, one row per session: `<id> | <full jid> | <ipv> | <status> | ...`. */
export function parseSessions(table: string): string[] {
  return table
    .split("\n")
    .map((row) => row.split("|").map((cell) => cell.trim()))
    .filter((cells) => cells.length > 2 && cells[0] !== "Session ID" && cells[1].includes("@"))
    .map((cells) => cells[1]);
}
