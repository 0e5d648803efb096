// `npm run bench:platform`: what the platform costs per operation under `wrangler dev`, with
// wrangler's local trace explorer (X_LOCAL_OBSERVABILITY, on by wrangler's default) on and
// off, measured in the same run. The other benches turn it off (bench/targets/index.ts);
// this shows why, and what a Durable Object call, a statement, a commit and a hub's copy of a
// page of group messages cost here.
//
//   npm run bench:platform -- [--runs 3] [--n 3000] [--off-only]
//
// `--off-only` measures with the explorer off alone (as every other bench runs), in half the time.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/support/dev-server";
import { groupCpuByProcess } from "./lib/proc";
import { median } from "./lib/stats";
import type { Op } from "./platform/worker";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("runs", 3);
const N = arg("n", 3000);
/** Group messages per call in the page ops (a digest carries 100–199). */
const PAGE = 100;
const OFF_ONLY = process.argv.includes("--off-only");
const root = new URL("..", import.meta.url).pathname;

/** Each op, and the op whose cost it includes (its cost here is the difference). */
const OPS: { op: Op; what: string; minus?: Op; per?: number }[] = [
  { op: "call", what: "call into an object (RPC, empty method)" },
  { op: "call-read", what: "… with one primary-key SELECT", minus: "call" },
  { op: "call-statements", what: "… a `SELECT 1` of ten in one call", minus: "call", per: 10 },
  { op: "call-write", what: "… with one INSERT, committed at the turn's end", minus: "call" },
  { op: "turn", what: "an object's own turn (after a macrotask)" },
  { op: "turn-write", what: "… with one INSERT, committed at the turn's end", minus: "turn" },
  { op: "page-bare", what: `a group message in a page of ${PAGE} (one call): a row with a unique id`, per: 1 },
  { op: "page-messages", what: "… into the hub's `messages` (its indexes, the conversation's last)", per: 1 },
  { op: "page-searched", what: "… and its search index (what a hub's copy writes)", per: 1 },
];

async function measure(observability: boolean): Promise<Map<Op, number[]>> {
  // The probe imports the hub's store, so it runs where it is; only its state is apart.
  const dir = mkdtempSync(join(tmpdir(), "unibox-platform-"));
  const port = await freePort();
  const child = spawn(join(root, "node_modules/.bin/wrangler"), ["dev", "-c", join(root, "bench/platform/wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(dir, "state"), "--show-interactive-dev-session=false"], {
    cwd: root,
    env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}`, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1", X_LOCAL_OBSERVABILITY: String(observability) },
    stdio: "ignore",
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const run = async (op: Op, n: number) => {
    const res = await fetch(`${url}/?op=${op}&n=${n}&page=${PAGE}`);
    const text = await res.text();
    if (!res.ok) throw new Error(`${op}: ${res.status} ${text.slice(0, 300)}`);
    return text;
  };
  try {
    for (let t = 0; ; t++) {
      if (await run("call", 1).then(() => true, () => false)) break;
      if (t > 240) throw new Error("wrangler dev did not come up");
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const { op } of OPS) await run(op, 300); // warm-up
    const app = () => Object.entries(groupCpuByProcess(child.pid!)).filter(([k]) => k.startsWith("workerd:")).reduce((s, [, v]) => s + v, 0);
    const out = new Map<Op, number[]>();
    for (let r = 0; r < RUNS; r++) {
      for (const { op } of OPS) {
        const before = app();
        await run(op, N);
        out.set(op, [...(out.get(op) ?? []), ((app() - before) * 1e6) / N]);
      }
    }
    return out;
  } finally {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
}

const on = OFF_ONLY ? undefined : await measure(true);
const off = await measure(false);
/** Per operation: the call's CPU less the call it rides on, divided among the statements it ran. */
const cost = (m: Map<Op, number[]>, op: Op, minus?: Op, per = 1) => (median(m.get(op)!) - (minus ? median(m.get(minus)!) : 0)) / per;
const fmt = (us: number) => (us < 10 ? us.toFixed(1) : us.toFixed(0));
console.log(`## Platform costs under wrangler dev (${RUNS} runs of ${N} each, median; CPU of the workerd running the Worker)\n`);
console.log("| operation | trace explorer on, µs | off, µs | on ÷ off |\n|---|---|---|---|");
for (const { op, what, minus, per } of OPS) {
  const a = on && cost(on, op, minus, per);
  const b = cost(off, op, minus, per);
  console.log(`| ${what} | ${a === undefined ? "–" : fmt(a)} | ${fmt(b)} | ${a !== undefined && b > 0 ? `${(a / b).toFixed(1)}×` : "–"} |`);
}
