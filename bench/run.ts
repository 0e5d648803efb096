// `npm run bench`: starts the targets, runs the scenarios, prints a markdown table to
// stdout (progress goes to stderr) and writes the full JSON to bench/results/.
// Never part of `npm test`: these are measurements, not assertions.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Context, stripAnsi } from "./lib/context";
import { type Options, type ScenarioName, parseOptions } from "./lib/options";
import { coreBusy, coreTimes, cores, machine, pin } from "./lib/proc";
import { keyRatios, markdown, toRows } from "./report";
import { issueTargets, versusRoomcast } from "./versus-roomcast";
import { fanout, room } from "./scenarios/groups";
import { oneToOne } from "./scenarios/one-to-one";
import { resume } from "./scenarios/resume";
import { storm } from "./scenarios/storm";
import { type Target, type TargetName, startTarget, treeVersion } from "./targets";

const SCENARIO_ORDER: [ScenarioName, (ctx: Context) => Promise<void>][] = [
  ["1to1", oneToOne],
  ["resume", resume],
  ["storm", storm],
  ["fanout", fanout],
  ["room", room],
];

const CLIENT_CORE = 0;

async function main(o: Options) {
  const started = new Date();
  const t0 = performance.now();
  const host = machine();
  const canPin = o.pin && cores() >= 2 && pin(process.pid, CLIENT_CORE);
  const idle = await otherLoad();
  const tree = treeVersion();
  console.error(`machine: ${host.nproc} × ${host.cpuModel}, ${host.memGiB} GiB; client on core ${CLIENT_CORE}, servers on core 1: ${canPin ? "pinned" : "not pinned"}`);
  console.error(`before start: ${idle.toFixed(2)} cores busy with other work${idle > 0.2 ? " — numbers will be noisy" : ""}`);

  // A private dev registry: wrangler dev instances share ~/.config/.wrangler/registry, and
  // others starting and stopping dev servers on this machine should not touch ours.
  process.env.WRANGLER_REGISTRY_PATH ??= mkdtempSync(join(tmpdir(), "unibox-bench-registry-"));
  const targets = new Map<TargetName, Target>();
  const ctx = new Context({ ...o, pin: canPin }, targets);
  const logDir = join(new URL(".", import.meta.url).pathname, "results");
  const saveLogs = () => {
    mkdirSync(logDir, { recursive: true });
    // Kept beside the JSON: the first place to look when a row shows errors or loss.
    for (const t of targets.values()) writeFileSync(join(logDir, `bench-${stamp(started)}-${t.name}.log`), t.logs());
  };
  // Servers run in their own process groups: on Ctrl-C stop them rather than orphan them.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      saveLogs();
      void Promise.all([...targets.values()].map((t) => t.stop())).finally(() => process.exit(130));
    });
  }
  try {
    for (const name of o.targets) {
      console.error(`starting ${name}…`);
      targets.set(name, await startTarget(name, { unibox: o.worktree ? "worktree" : "head" }));
      if (canPin) targets.get(name)!.pin(1);
    }
    for (const [name, run] of SCENARIO_ORDER) {
      if (!o.scenarios.includes(name)) continue;
      try {
        await run(ctx);
      } catch (err) {
        ctx.problem(`scenario ${name} failed: ${(err as Error).stack ?? err}`);
      }
    }
  } finally {
    saveLogs();
    for (const t of targets.values()) {
      for (const line of stripAnsi(t.logs()).split("\n").filter((l) => /Error in |Uncaught|exception/i.test(l)).slice(0, 20)) {
        ctx.problems.push(`${t.name} log: ${line}`);
      }
      await t.stop();
    }
  }

  const rows = toRows(ctx.measurements);
  const seconds = (performance.now() - t0) / 1000;
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const table = markdown(rows, ctx.skips, o.runs);
  const key = keyRatios(rows);
  const issue = [...versusRoomcast(rows), ...issueTargets(rows, ctx.handOvers, { digestSeconds: digestSeconds(), stepSeconds: o.stepSeconds })];
  const saturated = rows.filter((r) => r.wallSeconds >= 0.5 && (r.serverCore >= 0.9 || r.clientCore >= 0.9 || r.serverProc >= 0.9 || r.clientProc >= 0.9));
  console.log(
    [
      `## Unibox benchmark — ${started.toISOString()}`,
      "",
      `\`${command}\` · ${o.quick ? "quick (short steps, 1 run)" : `full (${o.stepSeconds} s steps, ${o.runs} runs)`} · ${Math.round(seconds)} s`,
      `Machine: ${host.nproc} cores, ${host.cpuModel}${host.cpuMHz ? ` @ ${Math.round(host.cpuMHz)} MHz` : ""}, ${host.memGiB} GiB, Linux ${host.kernel}, Node ${host.node}. ` +
        (canPin ? "Client pinned to core 0, every server process to core 1 (taskset)." : "Not pinned.") +
        (o.ack ? " Sockets ack each burst that holds someone else's message, as the phone does." : " Sockets never ack (--no-ack): no delivered receipts."),
      `wrangler dev's local trace explorer (X_LOCAL_OBSERVABILITY): ${localObservability() ? "on, as wrangler's default: every object call and SQL statement also pays for a span" : "off (bench/targets/index.ts says why)"}.`,
      `Unibox measured at ${o.worktree ? `the working tree (commit ${tree.commit} + ${tree.changedFiles} changed files)` : `commit ${tree.commit}`}. Other work on the machine before start: ${idle.toFixed(2)} cores.`,
      "",
      table,
      "### Key ratios",
      "",
      ...key.map((k) => `- ${k}`),
      "",
      ...issue,
      `Saturation: ${saturated.length ? `${saturated.length} of ${rows.length} rows had a core ≥ 90 % busy (see notes)` : "no core reached 90 % busy"} (rows shorter than 0.5 s are not judged).`,
      ...(ctx.problems.length ? ["", "### Problems seen", "", ...ctx.problems.map((p) => `- ${p.replace(/\n/g, "\n  ")}`)] : []),
    ].join("\n"),
  );

  const out = o.out ?? join(new URL(".", import.meta.url).pathname, "results", `bench-${stamp(started)}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ startedAt: started.toISOString(), seconds, command, machine: host, tree, pinned: canPin, localObservability: localObservability(), otherLoadAtStart: idle, options: o, rows, keyRatios: key, issue16: issue, handOvers: ctx.handOvers, skips: ctx.skips, problems: ctx.problems, measurements: ctx.measurements }, null, 1));
  console.error(`wrote ${out}`);
}

/** What bench/targets/index.ts passes to wrangler dev (off unless X_LOCAL_OBSERVABILITY says otherwise). */
const localObservability = () => !/^(false|0|)$/i.test(process.env.X_LOCAL_OBSERVABILITY ?? "false");

const stamp = (d: Date) => d.toISOString().replace(/[:.]/g, "-");

/** Cores' worth of CPU busy over one second before anything starts: other people's work. */
async function otherLoad(): Promise<number> {
  const a = coreTimes();
  await new Promise((r) => setTimeout(r, 1000));
  return coreBusy(a, coreTimes()).reduce((x, y) => x + y, 0);
}

main(parseOptions(process.argv.slice(2))).catch((err) => {
  console.error(err);
  process.exit(1);
});

/** GROUP_DIGEST_MS as wrangler.toml sets it for the Unibox target, in seconds. */
function digestSeconds(): number {
  const toml = readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8");
  return Number(/^GROUP_DIGEST_MS\s*=\s*"(\d+)"/m.exec(toml)?.[1] ?? 600_000) / 1000;
}
