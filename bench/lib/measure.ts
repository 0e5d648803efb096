// Wraps one measurement with the machine's own accounting: CPU the server and the client
// used, how busy each core was, and how much CPU went to processes that are neither (other
// work on the machine), which is what "the machine was saturated" is judged by.
import type { Target } from "../targets";
import { type CoreTimes, coreBusy, coreTimes } from "./proc";

export type Usage = {
  wallSeconds: number;
  /** CPU of the processes that serve (wrangler dev's bundler is in serverCpuByName only: lib/proc.ts NOT_SERVING). */
  serverCpuSeconds: number;
  /** The same, by process name (node = wrangler's CLI or the relay, workerd = the runtime). */
  serverCpuByName: Record<string, number>;
  clientCpuSeconds: number;
  /** Busy fraction of each core, 0..1. */
  coreBusy: number[];
  /** Cores' worth of CPU used by processes outside this benchmark (other work on the machine). */
  otherCores: number;
};

type Snapshot = { at: number; cores: CoreTimes; server: number; byProcess: Record<string, number>; ours: number; client: NodeJS.CpuUsage };

export class Meter {
  /** `all` is every target this run started: idle ones still count as "ours", not as other load. */
  constructor(private readonly all: () => Target[]) {}

  private snap(server: Target): Snapshot {
    return {
      at: performance.now(),
      cores: coreTimes(),
      server: server.cpuSeconds(),
      byProcess: server.cpuByProcess(),
      ours: this.all().reduce((s, t) => s + t.allCpuSeconds(), 0),
      client: process.cpuUsage(),
    };
  }

  async measure<T>(server: Target, work: () => Promise<T>): Promise<{ result: T; usage: Usage }> {
    const before = this.snap(server);
    const result = await work();
    const after = this.snap(server);
    const wallSeconds = (after.at - before.at) / 1000;
    const busy = coreBusy(before.cores, after.cores);
    const client = process.cpuUsage(before.client);
    const clientCpuSeconds = (client.user + client.system) / 1e6;
    const machineBusySeconds = busy.reduce((a, b) => a + b, 0) * wallSeconds;
    const oursSeconds = after.ours - before.ours + clientCpuSeconds;
    return {
      result,
      usage: {
        wallSeconds,
        serverCpuSeconds: after.server - before.server,
        serverCpuByName: byName(before.byProcess, after.byProcess),
        clientCpuSeconds,
        coreBusy: busy,
        // Tick-granular accounting (10 ms) makes tiny negatives possible; they mean "none".
        otherCores: Math.max(0, (machineBusySeconds - oursSeconds) / wallSeconds),
      },
    };
  }

  /** Cores' worth of CPU other processes (not the client, not any target) used over `ms`. */
  async otherCoresNow(ms: number): Promise<number> {
    const anyTarget = this.all()[0];
    if (!anyTarget) return 0;
    const { usage } = await this.measure(anyTarget, () => new Promise((r) => setTimeout(r, ms)));
    return usage.otherCores;
  }

  /**
   * Waits (up to `maxMs`) for other work on the machine to drop below `cores`: a run shared
   * with someone's test suite measures the suite as much as the server. Returns the load it
   * settled for, so a row can say that it ran on a busy machine.
   */
  async quiet(cores: number, maxMs: number): Promise<number> {
    const started = performance.now();
    let load = await this.otherCoresNow(500);
    while (load > cores && performance.now() - started < maxMs) load = await this.otherCoresNow(500);
    return load;
  }

  /**
   * Waits until the server has worked off any backlog from the previous measurement
   * (its CPU over 300 ms under 5 % of a core), so one step's queue does not bleed into
   * the next target's numbers. Returns how long it waited.
   */
  async settle(server: Target, maxMs: number): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < maxMs) {
      const a = server.cpuSeconds();
      await new Promise((r) => setTimeout(r, 300));
      if (server.cpuSeconds() - a <= 0.015) break;
    }
    return performance.now() - started;
  }
}

/** Per-process deltas folded by command name ("workerd:123" and "workerd:456" → "workerd"). */
function byName(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(after)) {
    const name = key.split(":")[0];
    out[name] = Math.round(((out[name] ?? 0) + v - (before[key] ?? 0)) * 100) / 100;
  }
  return out;
}
