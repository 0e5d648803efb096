// Where the server's time goes: one group (or 1:1 pair) under a steady load while V8's
// sampling profiler runs inside workerd (wrangler dev's inspector), then self time by
// function and by source file, with the Durable Object calls counted over the same span.
//
//   npm run bench:profile -- [--size 10] [--rate 22] [--seconds 8] [--worktree] [--top 25] [--statements] [--hub]
//
// A group goes over room sockets, as the phone's does; --hub sends and receives it over
// the members' hub sockets instead (a device without a room socket: the old path).
// --callers <regex> charges matching functions (e.g. "zod") to the code that called them.
// --statements also counts SQLite statements per delivery (a proxy on every exec, which
// skews the CPU profile: read the two from separate runs).
// --size 2 profiles 1:1 (one sender, one receiver). The numbers are a sample (100 µs
// interval; PROFILE_INTERVAL_US=1000 skews less): read them as shares, not as exact costs.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import WebSocket from "ws";
import { befriend, createGroup, inParallel, register } from "./lib/api";
import { runLoad } from "./lib/load";
import { closeAll, connect } from "./lib/socket";
import { median } from "./lib/stats";
import { countsSince, startTarget } from "./targets";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const size = arg("size", 10);
const rate = arg("rate", 22);
const seconds = arg("seconds", 8);
const top = arg("top", 25);
/** `--callers <regex>`: also charge the functions matching it to the first caller outside them. */
const callersOf = process.argv.includes("--callers") ? new RegExp(process.argv[process.argv.indexOf("--callers") + 1]!) : null;

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

async function inspector(port: number): Promise<{ call: (method: string, params?: object) => Promise<any>; close: () => void }> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  if (!list.length) throw new Error("no inspector target");
  const ws = new WebSocket(list[0]!.webSocketDebuggerUrl);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  let next = 1;
  const pending = new Map<number, (v: any) => void>();
  ws.on("message", (d) => {
    const m = JSON.parse(String(d)) as { id?: number; result?: unknown; error?: unknown };
    if (m.id && pending.has(m.id)) pending.get(m.id)!(m.error ? Promise.reject(new Error(JSON.stringify(m.error))) : m.result);
  });
  return {
    call: (method, params = {}) => new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    }),
    close: () => ws.close(),
  };
}

/** workerd names the bundle only `index.js`: it is the newest one wrangler wrote under a bench copy. */
function bundlePath(url: string): string {
  if (url.startsWith("/") || url.startsWith("file://")) return url.replace(/^file:\/\//, "");
  const found = execFileSync("sh", ["-c", `ls -t ${tmpdir()}/unibox-bench-tree-*/.wrangler/tmp/*/${url} 2>/dev/null | head -1`], { encoding: "utf8" }).trim();
  return found || url;
}

/** esbuild marks where each source file starts in the bundle (`// path/to/file.ts`): map a bundle line back to its file. */
function sourceOf(url: string): (line: number) => string {
  let marks: { line: number; file: string }[] = [];
  try {
    const text = readFileSync(bundlePath(url), "utf8").split("\n");
    text.forEach((l, i) => {
      const m = /^\/\/ ((?:\.\.\/)*[\w@./-]+\.[cm]?[jt]sx?)$/.exec(l);
      if (m) marks.push({ line: i, file: m[1]!.replace(/^(\.\.\/)+/, "").replace(/^.*node_modules\//, "node_modules/") });
    });
  } catch {
    marks = [];
  }
  return (line) => {
    let lo = 0, hi = marks.length - 1, best = "";
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid]!.line <= line) (best = marks[mid]!.file), (lo = mid + 1);
      else hi = mid - 1;
    }
    return best || url.replace(/^.*\//, "");
  };
}

function selfTimes(p: Profile) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sources = new Map<string, (line: number) => string>();
  const where = (f: Node["callFrame"]) => {
    if (!f.url) return f.functionName;
    if (!sources.has(f.url)) sources.set(f.url, sourceOf(f.url));
    return `${sources.get(f.url)!(f.lineNumber)}`;
  };
  const label = (f: Node["callFrame"]) => `${f.functionName || "(anonymous)"} ${where(f)}${f.url ? `:${f.lineNumber + 1}` : ""}`;
  /** Runtime natives (SQLite's exec, toArray, setAlarm, …) are charged to the JS function that called them. */
  const byCaller = new Map<string, number>();
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  /** Inclusive: each sample charged once to every function on its stack (a whole path's cost: a delivery, a frame). */
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const file = where(f);
    const fn = label(f);
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    const charge = (what: string, skip: (f: Node["callFrame"]) => boolean) => {
      let up = parent.get(id);
      while (up !== undefined && skip(byId.get(up)!.callFrame)) up = parent.get(up);
      const key = `${what} ← ${up === undefined ? "(root)" : label(byId.get(up)!.callFrame)}`;
      byCaller.set(key, (byCaller.get(key) ?? 0) + us);
    };
    // The nearest caller outside the matched code (zod's internals call each other).
    if (callersOf?.test(fn)) charge(fn, (up) => callersOf.test(label(up)));
    if (!f.url && !f.functionName.startsWith("(")) charge(f.functionName, (up) => !up.url);
    const onStack = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) onStack.add(label(byId.get(n)!.callFrame));
    for (const k of onStack) inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    total += us;
  }
  return { byFn, byFile, byCaller, inclusive, total };
}

const table = (m: Map<string, number>, total: number, n: number) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`).join("\n");

async function main() {
  const withStatements = process.argv.includes("--statements");
  const target = await startTarget("unibox", { unibox: process.argv.includes("--worktree") ? "worktree" : "head", count: withStatements ? "sql" : "1" });
  try {
    const tag = Math.random().toString(36).slice(2, 6);
    const users = await inParallel(Array.from({ length: size }, (_, i) => i), 4, (i) => register(target.url, i, tag));
    await inParallel(users.slice(1), 4, (u) => befriend(target.url, users[0]!, u));
    const group = size > 2 ? await createGroup(target.url, users[0]!, users.slice(1)) : null;
    const own = await inParallel(users, 16, (u, i) => connect(target.url, i, u));
    // As the phone does: every member also holds the group's room socket, which sends,
    // receives and acks (`--hub`: the group over the hub sockets, as a device without one).
    const rooms = group && !process.argv.includes("--hub") ? await inParallel(users, 16, (u, i) => connect(target.url, i, u, { group })) : [];
    const conns = [...rooms, ...own];
    const to: Record<string, string> = group ? { group } : { user: users[1]!.id };
    const routes = [{ from: conns[0]!, to, receivers: size - 1 }];
    await runLoad({ routes, conns, rate, durationMs: 2000, drainMs: 2000, tag: "warm", ack: true });
    const cdp = await inspector(target.inspectorPort!());
    await cdp.call("Profiler.enable");
    await cdp.call("Profiler.setSamplingInterval", { interval: Number(process.env.PROFILE_INTERVAL_US ?? 100) });
    const before = await target.doCounts!();
    const cpuBefore = target.cpuSeconds();
    await cdp.call("Profiler.start");
    const r = await runLoad({ routes, conns, rate, durationMs: seconds * 1000, drainMs: 3000, tag: "prof", ack: true });
    const { profile } = (await cdp.call("Profiler.stop")) as { profile: Profile };
    const cpu = target.cpuSeconds() - cpuBefore;
    await new Promise((res) => setTimeout(res, 2000));
    const after = await target.doCounts!();
    cdp.close();
    await closeAll(conns);
    const { byFn, byFile, byCaller, inclusive, total } = selfTimes(profile);
    const busy = total - (byFn.get("(idle) (idle)") ?? 0);
    const calls = countsSince(before.calls, after.calls);
    console.log(`${group ? `group of ${size}${rooms.length ? " over room sockets" : " over hub sockets"}` : "1:1"} at ${rate} msg/s for ${seconds} s: ${r.sent} sent, ${r.delivered}/${r.expected} delivered, p50 ${median(r.samples).toFixed(1)} ms`);
    console.log(`server CPU ${(cpu * 1000).toFixed(0)} ms (serving processes, the bundler left out) = ${((cpu / Math.max(1, r.delivered)) * 1e6).toFixed(0)} µs per delivery; profiled busy ${(busy / 1000).toFixed(0)} ms in the isolate`);
    console.log(`Durable Object calls: ${calls.reduce((s, [, n]) => s + n, 0)} (${calls.map(([k, n]) => `${k} ${n}`).join(", ")})`);
    byFn.delete("(idle) (idle)");
    console.log(`\nself time by function (of ${(busy / 1000).toFixed(0)} ms busy)\n${table(byFn, busy, top)}`);
    byFile.delete("(idle)");
    console.log(`\nself time by file\n${table(byFile, busy, 15)}`);
    const stmts = countsSince(before.statements, after.statements);
    const perDelivery = (n: number) => (n / Math.max(1, r.delivered)).toFixed(2);
    if (withStatements) console.log(`\nSQLite statements: ${perDelivery(stmts.reduce((s, [, n]) => s + n, 0))} per delivery\n${stmts.slice(0, top).map(([k, n]) => `${String(n).padStart(7)} ${perDelivery(n).padStart(6)}/deliv  ${k}`).join("\n")}`);
    console.log(`\nruntime calls (SQLite, alarms, ids) by the function that made them\n${table(byCaller, busy, top)}`);
    for (const k of ["(root) (root)", "(idle) (idle)", "(program) (program)"]) inclusive.delete(k);
    console.log(`\ninclusive time (each function with everything it called)\n${table(inclusive, busy, top)}`);
  } finally {
    await target.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
