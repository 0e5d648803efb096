// A real ngIRCd (Debian's package) on 127.0.0.1 for the IRC connector's tests, on a free port
// with its own directory; config from /work/shared/PEERS.md.
//
// Authentication: ngIRCd has no SASL. It answers IRCv3 `CAP LS` with `multi-prefix` only and
// NAKs `CAP REQ :sasl`, which is the path a connector takes on a network without SASL. What it
// does have is the server password: with `password` set, a client must send `PASS <password>`
// before NICK/USER, and a wrong or missing one gets `464` / `ERROR :Access denied: Bad
// password?` and is disconnected (checked in test/e2e/peers/ngircd.test.ts).
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { type Daemon, freePort, greets, removeDir, scratchDir, spawnDaemon, waitReady } from "./daemon";

export type Ngircd = {
  host: "127.0.0.1";
  port: number;
  /** The server name in every reply's prefix. */
  serverName: string;
  /** The server password clients must send with PASS, if one was set. */
  password?: string;
  /** Stops it and starts it again on the same port (every client is disconnected). */
  restart(): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
  /** Its scratch directory (config, data, log); removed by stop(). */
  dir: string;
};

export type NgircdOptions = {
  /** Server password (`[Global] Password`): clients must send `PASS` with it. */
  password?: string;
  /** Seconds of silence before the server PINGs a client, and then waits as long for the PONG (default 120 and 20; at least 5). */
  pingTimeout?: number;
  /** PING every client during registration and welcome it only after its PONG (`RequireAuthPing`). */
  authPing?: boolean;
  /** Keep ngIRCd's flood penalties (default off, so tests can send in bursts). */
  floodPenalty?: boolean;
};

const SERVER_NAME = "irc.test.local";

function config(dir: string, port: number, opts: NgircdOptions): string {
  const ping = opts.pingTimeout === undefined ? "" : `	PingTimeout = ${opts.pingTimeout}\n	PongTimeout = ${opts.pingTimeout}\n`;
  return `# written by test/support/peers/ngircd.ts
[Global]
	Name = ${SERVER_NAME}
	Info = Unibox test server
	AdminInfo1 = Unibox tests
	AdminEMail = nobody@irc.test.local
	Listen = 127.0.0.1
	Ports = ${port}
	PidFile = ${join(dir, "run", "ngircd.pid")}
	MotdPhrase = Unibox test server
	ServerUID = nobody
	ServerGID = nogroup
${opts.password === undefined ? "" : `	Password = ${opts.password}\n`}[Limits]
	MaxConnectionsIP = 0
	MaxPenaltyTime = ${opts.floodPenalty ? -1 : 0}
${ping}	# Room for test nicks like "bob-3f2a" (the default is 9).
	MaxNickLength = 30
[Options]
	PAM = no
	DNS = no
	Ident = no
	RequireAuthPing = ${opts.authPing ? "yes" : "no"}
`;
}

/** ngIRCd drops to nobody before it writes its pid file: give nobody a directory it may write to. */
function runDir(dir: string): void {
  const run = join(dir, "run");
  mkdirSync(run);
  if (userInfo().uid !== 0) return;
  chmodSync(dir, 0o711);
  chownSync(run, 65534, 65534);
}

export async function startNgircd(opts: NgircdOptions = {}): Promise<Ngircd> {
  if (opts.password !== undefined && /[\s#;]/.test(opts.password)) throw new Error("ngircd password: no spaces, # or ; (ngircd.conf would cut it)");
  if (opts.pingTimeout !== undefined && opts.pingTimeout < 5) throw new Error("ngircd pingTimeout: at least 5 (ngircd raises lower values to 5)");
  const dir = scratchDir("ngircd");
  runDir(dir);
  const port = await freePort();
  const cfg = join(dir, "ngircd.conf");
  writeFileSync(cfg, config(dir, port, opts));
  let daemon: Daemon | undefined;

  const launch = async () => {
    // -n: stay in the foreground and log to stderr, which the daemon keeps.
    daemon = spawnDaemon("ngircd", ["-n", "-f", cfg], { cwd: dir });
    // It says nothing until a client registers, so accepting a connection is the signal.
    await waitReady("ngircd", daemon, () => greets(port));
  };

  await launch().catch((e) => {
    removeDir(dir);
    throw e;
  });
  return {
    host: "127.0.0.1",
    dir,
    port,
    serverName: SERVER_NAME,
    password: opts.password,
    async restart() {
      await daemon?.kill();
      await launch();
    },
    async stop() {
      await daemon?.kill();
      removeDir(dir);
    },
    logs: () => daemon?.logs() ?? "",
  };
}
