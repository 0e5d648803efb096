// Starts a real `wrangler dev` (workerd, local D1/DO/R2) on a free loopback port, with
// its own persisted state directory, for Node-side end-to-end tests and benchmarks.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateVapidKeys } from "../../scripts/vapid.mjs";

const root = new URL("../..", import.meta.url).pathname;
const bin = (name: string) => join(root, "node_modules/.bin", name);

/** Loose limits so tests and benchmarks can sign up many users from 127.0.0.1. */
const TEST_VARS: Record<string, string> = {
  RATE_REGISTER_PER_IP: "100000/60",
  RATE_LOGIN_PER_IP: "100000/60",
  RATE_LOGIN_PER_ACCOUNT_CLIENT: "100000/60",
  RATE_LOGIN_ACCOUNT_CEILING: "100000/60",
  RATE_FRIEND_REQUESTS: "100000/60",
  RATE_DISCOVER: "100000/60",
  RATE_SENDS_PER_USER: "100000/1",
  RATE_SMS_PER_NUMBER: "100000/60",
  RATE_SMS_PER_IP: "100000/60",
  RATE_UPLOADS: "100000/60",
  PHONE_LOOKUPS_PER_DAY: "1000000",
  // Codes go to the log, where test/support/sms.ts reads them (smsCode).
  SMS_PROVIDER: "log",
};

/**
 * Each running server's log by its URL, so a sign-up helper that only knows the URL can
 * read the code the `log` SMS provider wrote (test/support/sms.ts). On globalThis, so a
 * copy of this module loaded from another checkout (bench/targets) shares it.
 */
export const serverLogs: Map<string, () => string> = ((globalThis as Record<symbol, unknown>)[Symbol.for("unibox.serverLogs")] ??= new Map()) as Map<string, () => string>;

/** Each server gets its own throwaway pepper, so tests never depend on a developer's .dev.vars. */
const testPepper = () => randomBytes(24).toString("base64url");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export type DevServer = {
  url: string;
  port: number;
  stateDir: string;
  /** Kills workerd and starts it again on the same port with the same state. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
  inspectorPort(): number;
};

/**
 * A state directory with the D1 migrations applied, made once and copied for every server:
 * `wrangler d1 migrations apply` is ~7 s (6 s of CPU) each time, and the e2e and browser
 * files start a server or more each, one after another. Keyed by what decides its content
 * (the migrations, wrangler.toml, wrangler's version), so a changed migration makes a new one;
 * built aside and renamed into place, so a concurrent process never copies a half-made one.
 */
function migratedTemplate(env: NodeJS.ProcessEnv): string {
  const hash = createHash("sha256");
  const migrations = join(root, "migrations");
  for (const f of readdirSync(migrations).filter((f) => f.endsWith(".sql")).sort()) hash.update(f).update(readFileSync(join(migrations, f)));
  hash.update(readFileSync(join(root, "wrangler.toml")));
  try {
    hash.update(readFileSync(join(root, "node_modules/wrangler/package.json")));
  } catch {
    hash.update("no wrangler package.json");
  }
  const dir = join(tmpdir(), `unibox-d1-template-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(dir)) return dir;
  const building = mkdtempSync(join(tmpdir(), "unibox-d1-building-"));
  const migrate = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", building], { cwd: root, env, encoding: "utf8" });
  if (migrate.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
  }
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another process made it first
  }
  return dir;
}

export async function startDevServer(opts: { vars?: Record<string, string>; keepState?: boolean } = {}): Promise<DevServer> {
  // X_LOCAL_OBSERVABILITY: wrangler dev's local trace explorer (on by default) records a
  // span for every SQL statement and object call and writes it to a collector; measured
  // here it costs ~750 µs per Durable Object call and ~100 µs per statement, several times
  // the work itself, and production runs nothing like it. Off unless the caller sets it.
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1", X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? "false" };
  const stateDir = mkdtempSync(join(tmpdir(), "unibox-state-"));
  cpSync(migratedTemplate(env), stateDir, { recursive: true });

  const port = await freePort();
  const vapid = generateVapidKeys();
  const vars = {
    ...TEST_VARS, PHONE_PEPPER: testPepper(), VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, PUSH_ALLOW_LOOPBACK_HTTP: "1",
    CREDENTIALS_KEY: randomBytes(32).toString("base64url"), ALLOW_PRIVATE_HOSTS: "127.0.0.1,localhost", PUBLIC_URL: `http://127.0.0.1:${port}`, ACCOUNT_BLIP_SECONDS: "1",
    ...opts.vars,
  };
  let child: ChildProcess | undefined;
  let log = "";
  let inspector = 0;

  const launch = async () => {
    inspector = await freePort();
    child = spawn(
      bin("wrangler"),
      ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", stateDir, "--show-interactive-dev-session=false", "--log-level", "log",
        ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])],
      { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    await waitUntilUp(`http://127.0.0.1:${port}/api/me`, () => log);
  };

  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    try {
      process.kill(-c.pid!, "SIGKILL"); // the whole group: wrangler and its workerd
    } catch {}
    await exited;
  };

  await launch();
  serverLogs.set(`http://127.0.0.1:${port}`, () => log);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stateDir,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      await kill();
      serverLogs.delete(`http://127.0.0.1:${port}`);
      if (!opts.keepState) rmSync(stateDir, { recursive: true, force: true });
    },
    logs: () => log,
    /** workerd's V8 inspector (Chrome DevTools protocol), for bench/profile.ts. */
    inspectorPort: () => inspector,
  };
}

async function waitUntilUp(url: string, logs: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === 401) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`wrangler dev did not come up at ${url}:\n${logs()}`);
}
