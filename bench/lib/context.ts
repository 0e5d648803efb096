// What every scenario gets: the options, the running targets, the meter, a pool of
// registered users per target, and one place to record measurements, skips and problems.
import { GROUPS_ONLY, type Target, type TargetName } from "../targets";
import { type BenchUser, inParallel, register } from "./api";
import type { Usage } from "./measure";
import { Meter } from "./measure";
import type { Options, ScenarioName } from "./options";
import type { Latency } from "./stats";

export type Measurement = {
  scenario: ScenarioName;
  /** Sockets, group members or events, depending on the scenario. */
  size: number;
  /** Offered msg/s; null where the scenario has no rate (resume, storm). */
  rate: number | null;
  target: TargetName;
  run: number;
  /** ms: end-to-end per delivery, or hello→ready per resume, or start→ready per storm socket. */
  latency: Latency;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  errors: Record<string, number>;
  deliveriesPerSecond: number;
  cpuPerDeliveryUs: number;
  usage: Usage;
  sendLagP99Ms?: number;
  extra?: Record<string, number | string | boolean>;
};

export type Skip = { scenario: ScenarioName; target: TargetName; why: string };
/** A group's hand-over to its members' hubs as their room sockets closed (bench/scenarios/groups.ts); `entries`: what each hub lacked then. */
export type HandOver = { size: number; target: TargetName; calls: number; entries: number; serverCpuSeconds: number; idleCpuSeconds: number; cpuPerCallUs: number };

export class Context {
  readonly meter: Meter;
  readonly measurements: Measurement[] = [];
  readonly skips: Skip[] = [];
  readonly handOvers: HandOver[] = [];
  readonly problems: string[] = [];
  private pools = new Map<string, BenchUser[]>();
  private phones = new Map<TargetName, number>();
  /** Short and unique per run: handles stay within 20 characters and never collide. */
  readonly tag = Math.random().toString(36).slice(2, 6);

  constructor(readonly o: Options, readonly targets: Map<TargetName, Target>) {
    this.meter = new Meter(() => [...targets.values()]);
  }

  /** Before every measurement: the server's backlog worked off, and other work on the machine given a chance to stop. */
  async prepare(target: Target): Promise<void> {
    await this.meter.settle(target, 20_000);
    const wait = Math.min(this.o.quietSeconds * 1000, this.quietBudgetMs);
    if (wait <= 0) return;
    const began = performance.now();
    await this.meter.quiet(0.25, wait);
    this.quietBudgetMs -= performance.now() - began;
  }

  /** Waiting for quiet is capped over the whole run, so a machine that never calms down still gets measured (and says so). */
  private quietBudgetMs = 5 * 60_000;

  record(m: Measurement): void {
    this.measurements.push(m);
    const l = m.latency;
    const rate = m.rate === null ? "" : ` @${m.rate}/s`;
    console.error(
      `  ${m.scenario} ${m.size}${rate} ${m.target} run ${m.run}: p50 ${l.p50.toFixed(2)} p99 ${l.p99.toFixed(2)} ms, ` +
        `${m.delivered}/${m.expected} delivered, ${m.deliveriesPerSecond.toFixed(0)}/s, cpu ${m.cpuPerDeliveryUs.toFixed(0)} µs/deliv, ` +
        `cores ${m.usage.coreBusy.map((b) => `${Math.round(b * 100)}%`).join("/")}, other ${m.usage.otherCores.toFixed(2)}`,
    );
    const bad = [
      Object.keys(m.errors).length ? `error frames ${JSON.stringify(m.errors)}` : "",
      m.duplicates ? `${m.duplicates} duplicate deliveries` : "",
      // Late deliveries are a backlog; missing ones while the rest arrive promptly are lost.
      m.lost > 0 && m.latency.p99 <= 250 ? `${m.lost} of ${m.expected} deliveries never arrived although p99 was ${m.latency.p99.toFixed(1)} ms` : "",
      m.extra?.socketsClosed ? `${m.extra.socketsClosed} sockets closed during the step` : "",
      m.extra?.sendsOnClosedSocket ? `${m.extra.sendsOnClosedSocket} sends on a closed socket` : "",
      this.newReloads(m.target),
    ].filter(Boolean);
    if (bad.length) this.problem(`${m.scenario} ${m.size}${rate} ${m.target} run ${m.run}: ${bad.join("; ")}`, m.target);
  }

  private reloads = new Map<TargetName, number>();

  /** wrangler dev printing "Reloading local server" mid-run means every socket was dropped. */
  private newReloads(name: TargetName): string {
    const count = (this.targets.get(name)?.logs().match(/Reloading local server/g) ?? []).length;
    const before = this.reloads.get(name) ?? 0;
    this.reloads.set(name, count);
    return count > before ? `wrangler dev reloaded the Worker ${count - before}× (sockets dropped)` : "";
  }

  /** The running targets a scenario measures; a groups-only target (roomcast) is recorded as skipped outside the group scenarios. */
  targetsFor(scenario: ScenarioName): [TargetName, Target][] {
    const out: [TargetName, Target][] = [];
    for (const [name, target] of this.targets) {
      if (GROUPS_ONLY.includes(name) && scenario !== "fanout" && scenario !== "room") this.markSkipped(scenario, name, "a room broadcast: groups only");
      else out.push([name, target]);
    }
    return out;
  }

  markSkipped(scenario: ScenarioName, target: TargetName, why: string): void {
    this.skips.push({ scenario, target, why });
    console.error(`  ${scenario} ${target}: skipped: ${why}`);
  }

  /** Problems go to the report with the server's recent error lines, never hidden. */
  problem(what: string, target?: TargetName): void {
    const lines = target ? errorLines(this.targets.get(target)?.logs() ?? "") : [];
    const text = lines.length ? `${what}\n    server log: ${lines.slice(-5).join("\n    ")}` : what;
    this.problems.push(text);
    console.error(`  PROBLEM ${text}`);
  }

  /**
   * A named, cached slice of registered users on one target (scenarios that share a
   * slice, like the connect storm and group fan-out, reuse one registration pass).
   */
  async users(target: Target, slice: string, n: number): Promise<BenchUser[]> {
    const key = `${target.name}/${slice}`;
    const cached = this.pools.get(key);
    if (cached && cached.length >= n) return cached.slice(0, n);
    const start = this.phones.get(target.name) ?? 0;
    this.phones.set(target.name, start + n);
    const began = performance.now();
    const users = await inParallel(Array.from({ length: n }, (_, i) => start + i), 4, (i) => register(target.url, i, this.tag));
    console.error(`  ${target.name}: registered ${n} users for ${slice} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    this.pools.set(key, users);
    return users;
  }
}

function errorLines(log: string): string[] {
  return stripAnsi(log)
    .split("\n").filter((l) => /error|exception|uncaught|✘/i.test(l) && !/ENOTFOUND workers\.cloudflare\.com/.test(l));
}

export const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
