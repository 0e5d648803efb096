// Starts and stops the five things the benchmark measures, each as its own process group
// so its CPU can be read from /proc and it can be pinned apart from the client:
//   echo     – loopback floor (absolute ms)        relay  – Node `ws` relay (the baseline)
//   floor    – minimal Worker + DO under wrangler  unibox – the real app under wrangler dev
//   roomcast – one DO per room broadcasting to its sockets, shaped like the chat demo
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../test/support/dev-server";
import { groupCpuByProcess, groupCpuSeconds, pinGroup } from "../lib/proc";

export const TARGETS = ["echo", "relay", "floor", "roomcast", "unibox"] as const;

export type Counts = { calls: Record<string, number>; statements: Record<string, number> };

/** What a counter went up by between two readings, biggest first (only what moved). */
export function countsSince(before: Record<string, number>, after: Record<string, number>): [string, number][] {
  return Object.entries(after).map(([k, n]) => [k, n - (before[k] ?? 0)] as [string, number]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
}
export type TargetName = (typeof TARGETS)[number];

/** Targets that have only groups (room sockets): the other scenarios record them as skipped. */
export const GROUPS_ONLY: readonly TargetName[] = ["roomcast"];

export type Target = {
  name: TargetName;
  url: string;
  /** Process group holding every process of this target. */
  pgid: number;
  /** CPU seconds of the processes that serve (wrangler dev's bundler left out: lib/proc.ts NOT_SERVING). */
  cpuSeconds(): number;
  /** CPU seconds of every process of the target, the bundler too: what the machine spent on it. */
  allCpuSeconds(): number;
  cpuByProcess(): Record<string, number>;
  pin(core: number): boolean;
  logs(): string;
  stop(): Promise<void>;
  /**
   * Unibox only: calls into Durable Objects so far, by `Class.method`, and (counted with
   * COUNT_DO_CALLS=sql) SQLite statements by object and text (durable-objects/call-count.ts).
   */
  doCounts?(): Promise<Counts>;
  /** Unibox only: workerd's inspector port (bench/profile.ts). */
  inspectorPort?(): number;
};

const root = new URL("../..", import.meta.url).pathname;
const bin = (name: string) => join(root, "node_modules/.bin", name);
// wrangler dev's local trace explorer is off for every Worker target, as in
// test/support/dev-server.ts (its costs are there); `X_LOCAL_OBSERVABILITY=true npm run
// bench …` measures with it. Set here, not only in env(), because Unibox's dev server may
// be an older commit's copy of test/support/dev-server.ts, which passes process.env as is.
process.env.X_LOCAL_OBSERVABILITY ??= "false";
const env = () => ({ ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}`, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" });

export async function startTarget(name: TargetName, opts: { unibox?: "head" | "worktree"; count?: "1" | "sql" } = {}): Promise<Target> {
  if (name === "unibox") return startUnibox(opts.unibox ?? "head", opts.count ?? "1");
  if (name === "floor" || name === "roomcast") return startWorker(name);
  return startNode(name);
}

function wrap(name: TargetName, url: string, pgid: number, logs: () => string, stop: () => Promise<void>): Target {
  return { name, url, pgid, cpuSeconds: () => groupCpuSeconds(pgid, "serving"), allCpuSeconds: () => groupCpuSeconds(pgid), cpuByProcess: () => groupCpuByProcess(pgid), pin: (core) => pinGroup(pgid, core), logs, stop };
}

/**
 * Unibox runs from a copy of the code taken at start: by default the committed HEAD
 * (`git archive`), or the working tree as it is with --worktree. A copy because
 * `wrangler dev` rebuilds and reloads the Worker whenever any file its bundler looked at
 * changes (sources, client/dist after a `vite build`, even the checkout's package.json),
 * and a reload answers in-flight requests with 503 and drops every socket. Seen here
 * while others worked in the checkout; a benchmark has to measure one fixed build.
 */
async function startUnibox(source: "head" | "worktree", count: "1" | "sql"): Promise<Target> {
  const copy = snapshot(source);
  const { startDevServer } = (await import(join(copy, "test/support/dev-server.ts"))) as typeof import("../../test/support/dev-server");
  // Every stub counts the calls made through it; the bench reads the count around each step.
  // Sends per user unlimited in effect: the room scenario sends 160 a second from each member.
  const server = await startDevServer({ vars: { COUNT_DO_CALLS: count, RATE_SENDS_PER_USER: "100000/1" } });
  // startDevServer spawns wrangler detached, so its pid is the group id; find it by port.
  const pgid = groupOfCommandLine(`--port\0${server.port}\0`);
  const target = wrap("unibox", server.url, pgid, server.logs, async () => {
    await server.stop();
    rmSync(copy, { recursive: true, force: true });
  });
  target.inspectorPort = () => server.inspectorPort();
  target.doCounts = async () => {
    const res = await fetch(`${server.url}/api/health/do-calls`);
    const body = res.ok ? ((await res.json()) as Partial<Counts>) : {};
    return { calls: body.calls ?? {}, statements: body.statements ?? {} };
  };
  return target;
}

function snapshot(source: "head" | "worktree"): string {
  const copy = mkdtempSync(join(tmpdir(), "unibox-bench-tree-"));
  if (source === "head") {
    execFileSync("sh", ["-c", `git -C "$1" archive HEAD | tar -C "$2" -xf -`, "sh", root, copy]);
  } else {
    const excluded = ["./node_modules", "./.git", "./.wrangler", "./bench/results", "./dist", "./test-results"];
    execFileSync("sh", ["-c", `tar -C "$1" ${excluded.map((e) => `--exclude='${e}'`).join(" ")} -cf - . | tar -C "$2" -xf -`, "sh", root, copy]);
  }
  linkModules(copy);
  mkdirSync(join(copy, "client/dist"), { recursive: true }); // the assets directory must exist
  return copy;
}

/**
 * node_modules as hard links (0.3 s, no extra space): the bundler then resolves packages
 * inside the copy, so an `npm install` in the checkout cannot trigger a reload. A symlink
 * would lead it back into the checkout; it is only the fallback across filesystems.
 */
function linkModules(copy: string): void {
  try {
    execFileSync("cp", ["-al", join(root, "node_modules"), join(copy, "node_modules")], { stdio: "ignore" });
  } catch {
    symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
  }
}

/** Which code was measured: the commit, and how many files differed from it. */
export function treeVersion(): { commit: string; changedFiles: number } {
  const git = (...args: string[]) => execFileSync("git", ["-C", root, ...args], { encoding: "utf8" }).trim();
  try {
    return { commit: git("rev-parse", "--short", "HEAD"), changedFiles: git("status", "--porcelain").split("\n").filter(Boolean).length };
  } catch {
    return { commit: "unknown", changedFiles: 0 };
  }
}

/**
 * The Worker baselines (bench/floor, bench/roomcast) run from their own directory for the
 * same reason as Unibox: nothing in the checkout may reload them.
 */
async function startWorker(name: "floor" | "roomcast"): Promise<Target> {
  const port = await freePort();
  const inspector = await freePort();
  const state = mkdtempSync(join(tmpdir(), `unibox-${name}-`));
  // The same layout as the checkout (bench/<name> beside core/), so the Worker's imports of
  // core's dependency-free modules resolve inside the copy.
  const dir = join(state, "bench", name);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(state, "core"));
  for (const f of ["wrangler.toml", "worker.ts"]) copyFileSync(join(root, "bench", name, f), join(dir, f));
  copyFileSync(join(root, "core/conversation.ts"), join(state, "core/conversation.ts"));
  copyFileSync(join(root, "bench/account-slice.ts"), join(state, "bench/account-slice.ts"));
  writeFileSync(join(state, "package.json"), '{ "private": true, "type": "module" }\n');
  const child = spawn(
    bin("wrangler"),
    ["dev", "-c", join(dir, "wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", join(state, "state"), "--show-interactive-dev-session=false", "--log-level", "log"],
    { cwd: dir, env: env(), stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const logs = collect(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/api/me`)).status === 401, 60_000, () => `${name} did not come up:\n${logs()}`);
  return wrap(name, url, child.pid!, logs, async () => {
    await killGroup(child);
    rmSync(state, { recursive: true, force: true });
  });
}

async function startNode(name: "echo" | "relay"): Promise<Target> {
  const child = spawn(bin("tsx"), [join(root, "bench/targets/serve.ts"), name], { cwd: root, env: env(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  const logs = collect(child);
  let port = 0;
  await waitFor(async () => Boolean((port = Number(/listening (\d+)/.exec(logs())?.[1] ?? 0))), 30_000, () => `${name} did not start:\n${logs()}`);
  return wrap(name, `http://127.0.0.1:${port}`, child.pid!, logs, () => killGroup(child));
}

function collect(child: ChildProcess): () => string {
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  return () => log;
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {}
  await exited;
}

function groupOfCommandLine(needle: string): number {
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    } catch {}
  }
  throw new Error(`no process with ${JSON.stringify(needle)} in its command line`);
}

async function waitFor(ok: () => Promise<boolean>, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await ok()) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(why());
}
