// What the kernel knows about the processes under test: which pids make up a server,
// how much CPU they used, how busy each core was, and which core they may run on.
// Linux only (/proc); the numbers are the kernel's own accounting, not estimates.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/** utime and stime are in clock ticks; USER_HZ is 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

type Stat = { pid: number; ppid: number; pgrp: number; comm: string; cpuTicks: number };

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // exited between readdir and read
  }
  // comm is in parentheses and may itself hold spaces or parentheses: split after the last ')'.
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const f = text.slice(close + 2).split(" "); // f[0] is field 3 (state)
  return { pid, ppid: Number(f[1]), pgrp: Number(f[2]), comm, cpuTicks: Number(f[11]) + Number(f[12]) };
}

function allPids(): number[] {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
}

/**
 * Every process in a process group. Servers are spawned `detached`, so the group is the
 * launcher plus everything it started (wrangler → node → workerd ×2; tsx → node).
 */
export function groupMembers(pgid: number): Stat[] {
  return allPids().map(readStat).filter((s): s is Stat => s !== undefined && s.pgrp === pgid);
}

/**
 * Processes of a target that serve nothing: wrangler dev's bundler (esbuild in watch mode,
 * which polls the source files for changes, 10–25 ms of CPU a second whatever the load).
 * Production has no bundler; its CPU is kept apart (by name in the breakdown) so a
 * low-rate step is not charged the dev tool's idle polling as server CPU per delivery.
 */
export const NOT_SERVING: ReadonlySet<string> = new Set(["esbuild"]);

/** CPU seconds (user + system) used so far by the live members of a process group; `serving`: without NOT_SERVING. */
export function groupCpuSeconds(pgid: number, which: "all" | "serving" = "all"): number {
  return groupMembers(pgid)
    .filter((s) => which === "all" || !NOT_SERVING.has(s.comm))
    .reduce((sum, s) => sum + s.cpuTicks, 0) / TICKS_PER_SECOND;
}

/**
 * Per-process CPU seconds, for the breakdown in the JSON (which of wrangler/workerd did the
 * work). `wrangler dev` runs two workerd processes: its own proxy, which every request and
 * socket frame passes through on the way in, and the one running the Worker and its objects
 * (the one with an inspector). Named apart, since only the second is what production runs.
 */
export function groupCpuByProcess(pgid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of groupMembers(pgid)) out[`${roleOf(s)}:${s.pid}`] = s.cpuTicks / TICKS_PER_SECOND;
  return out;
}

function roleOf(s: Stat): string {
  if (s.comm !== "workerd") return s.comm;
  let args = "";
  try {
    args = readFileSync(`/proc/${s.pid}/cmdline`, "utf8");
  } catch {
    return s.comm;
  }
  return args.includes("--inspector-addr") ? "workerd" : "workerd-proxy";
}

export type CoreTimes = { busy: number; total: number }[];

/** Cumulative busy and total jiffies per core, from /proc/stat. */
export function coreTimes(): CoreTimes {
  return readFileSync("/proc/stat", "utf8")
    .split("\n")
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => {
      const v = l.split(/\s+/).slice(1).map(Number);
      const idle = v[3] + (v[4] ?? 0); // idle + iowait
      const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already inside user
      return { busy: total - idle, total };
    });
}

/** Fraction of each core that was busy between two snapshots (0..1). */
export function coreBusy(before: CoreTimes, after: CoreTimes): number[] {
  return after.map((a, i) => {
    const total = a.total - before[i].total;
    return total > 0 ? (a.busy - before[i].busy) / total : 0;
  });
}

export const cores = (): number => coreTimes().length;

/**
 * Pins every thread of a process to one core. `taskset -a` covers the threads that exist
 * now; threads created later inherit their creator's mask, so pinning after start-up holds.
 * Returns false when taskset is missing or refuses (e.g. a restricted container).
 */
/**
 * `taskset -a` walks the process's threads, and one that exits meanwhile fails the whole
 * call: the likely reason a full bench here once reported "not pinned" where the same
 * machine pins every other time. Tried a few times before the process counts as not pinnable.
 */
export function pin(pid: number, core: number): boolean {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      execFileSync("taskset", ["-a", "-c", "-p", String(core), String(pid)], { stdio: "ignore" });
      return true;
    } catch {}
  }
  return false;
}

export function pinGroup(pgid: number, core: number): boolean {
  return groupMembers(pgid).every((s) => pin(s.pid, core));
}

export function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const mhz = /^cpu MHz\s*:\s*(.+)$/m.exec(cpuinfo)?.[1];
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
  return { nproc: cores(), cpuModel: model, cpuMHz: mhz ? Number(mhz) : undefined, memGiB: Math.round((memKb / 1024 / 1024) * 10) / 10, kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(), node: process.version };
}
