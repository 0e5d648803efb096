// Turns the measurements into rows (median of the runs, with their range) and the rows
// into markdown. Every row carries ratios to the relay (the no-platform baseline) at the
// same scenario, size and rate; absolute ms stand next to the loopback echo's.
import type { Measurement, Skip } from "./lib/context";
import type { ScenarioName } from "./lib/options";
import { type Spread, median, spread } from "./lib/stats";
import type { TargetName } from "./targets";

export type Row = {
  scenario: ScenarioName;
  size: number;
  rate: number | null;
  target: TargetName;
  runs: number;
  p50: Spread;
  p99: Spread;
  max: number;
  deliveriesPerSecond: number;
  lossRate: number;
  cpuPerDeliveryUs: Spread;
  serverCpuMs: number;
  /** Busy fraction of the server's and the client's core (everything on it, ours or not). */
  serverCore: number;
  clientCore: number;
  /** CPU of the server's processes and of the client process, as a fraction of one core. */
  serverProc: number;
  clientProc: number;
  otherCores: number;
  sendLagP99Ms: number;
  wallSeconds: number;
  sustained?: boolean;
  /** A group step whose traffic went over room sockets (false: over /api/ws); undefined outside groups. */
  roomSockets?: boolean;
  errors: number;
  extra: Record<string, number>;
  vsRelay?: { p50: number; p99: number; cpu: number };
};

const SERVER_CORE = 1;
const CLIENT_CORE = 0;
const BUSY = 0.9;

export function toRows(ms: Measurement[]): Row[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of ms) {
    const key = `${m.scenario}|${m.size}|${m.rate}|${m.target}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const rows = [...groups.values()].map((g): Row => {
    const first = g[0];
    const extraMedian: Record<string, number> = {};
    for (const k of ["allReadyMs", "failed", "replayed", "doCallsPerMessage"]) {
      const v = g.map((m) => m.extra?.[k]).filter((x): x is number => typeof x === "number");
      if (v.length) extraMedian[k] = median(v);
    }
    return {
      scenario: first.scenario,
      size: first.size,
      rate: first.rate,
      target: first.target,
      runs: g.length,
      p50: spread(g.map((m) => m.latency.p50)),
      p99: spread(g.map((m) => m.latency.p99)),
      max: Math.max(...g.map((m) => m.latency.max)),
      deliveriesPerSecond: median(g.map((m) => m.deliveriesPerSecond)),
      lossRate: median(g.map((m) => m.lost / Math.max(1, m.expected))),
      cpuPerDeliveryUs: spread(g.map((m) => m.cpuPerDeliveryUs)),
      serverCpuMs: median(g.map((m) => m.usage.serverCpuSeconds * 1000)),
      serverCore: median(g.map((m) => m.usage.coreBusy[SERVER_CORE] ?? NaN)),
      clientCore: median(g.map((m) => m.usage.coreBusy[CLIENT_CORE] ?? NaN)),
      serverProc: median(g.map((m) => m.usage.serverCpuSeconds / m.usage.wallSeconds)),
      clientProc: median(g.map((m) => m.usage.clientCpuSeconds / m.usage.wallSeconds)),
      otherCores: median(g.map((m) => m.usage.otherCores)),
      sendLagP99Ms: median(g.map((m) => m.sendLagP99Ms ?? NaN)),
      wallSeconds: median(g.map((m) => m.usage.wallSeconds)),
      sustained: g.every((m) => m.extra?.sustained === undefined) ? undefined : g[0].extra?.sustained === true,
      roomSockets: typeof first.extra?.roomSockets === "boolean" ? first.extra.roomSockets : undefined,
      errors: g.reduce((s, m) => s + Object.values(m.errors).reduce((a, b) => a + b, 0), 0),
      extra: extraMedian,
    };
  });
  for (const r of rows) {
    const base = rows.find((b) => b.target === "relay" && b.scenario === r.scenario && b.size === r.size && b.rate === r.rate);
    if (!base) continue;
    const allReady = (x: Row) => x.extra.allReadyMs ?? NaN;
    r.vsRelay = {
      p50: r.p50.median / base.p50.median,
      // For a storm the headline is when the last socket was ready, not a per-socket percentile.
      p99: r.scenario === "storm" ? allReady(r) / allReady(base) : r.p99.median / base.p99.median,
      cpu: r.cpuPerDeliveryUs.median / base.cpuPerDeliveryUs.median,
    };
  }
  return rows;
}

export const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
};
const ms = (s: Spread, runs: number) => (runs > 1 ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median));
const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : `${fmt(x)}×`);
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)} %` : "–");
const loss = (x: number) => (x === 0 ? "0" : `${(x * 100).toFixed(x < 0.001 ? 3 : 1)} %`);

/** Below this, /proc's 10 ms accounting cannot say how busy a core was. */
const MIN_WALL_FOR_LOAD = 0.5;

function notes(r: Row): string {
  const n: string[] = [];
  if (r.sustained === false) n.push("**not sustained**");
  if (r.errors) n.push(`${r.errors} error frames`);
  if (r.target === "unibox" && r.roomSockets === false) n.push("groups over /api/ws");
  if (r.wallSeconds < MIN_WALL_FOR_LOAD) return n.join("; ");
  if (r.serverProc >= BUSY) n.push("server CPU-bound");
  else if (r.serverCore >= BUSY) n.push("server core saturated");
  if (r.clientProc >= BUSY) n.push("client CPU-bound");
  else if (r.clientCore >= BUSY) n.push("client core saturated");
  if (r.sendLagP99Ms > 5) n.push(`client sends late (p99 ${fmt(r.sendLagP99Ms)} ms)`);
  if (r.otherCores > 0.2) n.push(`other load ${fmt(r.otherCores)} cores`);
  return n.join("; ");
}

function streamTable(rows: Row[], sizeLabel: string | null): string[] {
  const head = [...(sizeLabel ? [sizeLabel] : []), "msg/s", "target", "deliv/s", "loss", "p50 ms", "p99 ms", "p50 ×relay", "p99 ×relay", "server CPU µs/deliv", "CPU ×relay", "DO calls/msg", "server CPU", "client CPU", "cores busy", "notes"];
  const out = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    out.push(
      `| ${[
        ...(sizeLabel ? [String(r.size)] : []),
        fmt(r.rate ?? NaN),
        r.target,
        fmt(r.deliveriesPerSecond),
        loss(r.lossRate),
        ms(r.p50, r.runs),
        ms(r.p99, r.runs),
        ratio(r.vsRelay?.p50),
        ratio(r.vsRelay?.p99),
        fmt(r.cpuPerDeliveryUs.median),
        ratio(r.vsRelay?.cpu),
        fmt(r.extra.doCallsPerMessage ?? NaN),
        pct(r.serverProc),
        pct(r.clientProc),
        `${pct(r.clientCore)} / ${pct(r.serverCore)}`,
        notes(r),
      ].join(" | ")} |`,
    );
  }
  return out;
}

export function markdown(rows: Row[], skips: Skip[], runs: number): string {
  const by = (s: ScenarioName) => rows.filter((r) => r.scenario === s);
  const skipped = (s: ScenarioName) => skips.filter((k) => k.scenario === s).map((k) => `- ${k.target}: skipped: ${k.why}`);
  const out: string[] = [];
  const spreadNote = runs > 1 ? `median of ${runs} runs (min–max)` : "1 run";
  const section = (title: string, s: ScenarioName, body: () => string[]) => {
    if (!by(s).length && !skipped(s).length) return;
    out.push(`### ${title}`, "");
    if (by(s).length) out.push(...body(), "");
    out.push(...skipped(s));
    if (skipped(s).length) out.push("");
  };
  section(`1:1 through two hubs (N = 2) — ${spreadNote}`, "1to1", () => streamTable(by("1to1"), null));
  section(`Group fan-out — ${spreadNote}`, "fanout", () => streamTable(by("fanout"), "members"));
  section(`Inbound msgs/s one group room sustains — ${spreadNote}`, "room", () => streamTable(by("room"), "members"));
  section(`Resume (hello → ready) — ${spreadNote}`, "resume", () => {
    // Server CPU here is a total: a replay can take less than the kernel's 10 ms accounting tick.
    const t = ["| missed events | target | hello→ready ms | ×relay | events/s | server CPU ms | notes |", "|---|---|---|---|---|---|---|"];
    for (const r of by("resume")) {
      t.push(`| ${r.size} | ${r.target} | ${ms(r.p50, r.runs)} | ${ratio(r.vsRelay?.p50)} | ${fmt(r.deliveriesPerSecond)} | ${fmt(r.serverCpuMs)} | ${r.lossRate > 0 ? `replayed only ${r.extra.replayed}; ` : ""}${notes(r)} |`);
    }
    return t;
  });
  section(`Connect storm (all sockets at once, each sends hello) — ${spreadNote}`, "storm", () => {
    const t = ["| sockets | target | all ready ms | ×relay | per socket p50 ms | p99 ms | failed | server CPU µs/socket | CPU ×relay | notes |", "|---|---|---|---|---|---|---|---|---|---|"];
    for (const r of by("storm")) {
      t.push(`| ${r.size} | ${r.target} | ${fmt(r.extra.allReadyMs)} | ${ratio(r.vsRelay?.p99)} | ${ms(r.p50, r.runs)} | ${ms(r.p99, r.runs)} | ${r.extra.failed ?? 0} | ${fmt(r.cpuPerDeliveryUs.median)} | ${ratio(r.vsRelay?.cpu)} | ${notes(r)} |`);
    }
    return t;
  });
  return out.join("\n");
}

/** The handful of numbers the issue asks to quote. */
export function keyRatios(rows: Row[]): string[] {
  const out: string[] = [];
  const one = rows.filter((r) => r.scenario === "1to1" && r.target === "unibox" && r.vsRelay);
  const sustained = one.filter((r) => r.sustained !== false);
  const pickRates = [sustained[0], sustained[sustained.length - 1]].filter((r, i, a) => r && a.indexOf(r) === i);
  for (const r of pickRates) {
    out.push(`1:1 at ${r.rate} msg/s: Unibox p50 ${fmt(r.p50.median)} ms = ${ratio(r.vsRelay!.p50)} relay, p99 ${fmt(r.p99.median)} ms = ${ratio(r.vsRelay!.p99)} relay; CPU/delivery ${fmt(r.cpuPerDeliveryUs.median)} µs = ${ratio(r.vsRelay!.cpu)} relay`);
  }
  const lastOk = (t: TargetName) => rows.filter((r) => r.scenario === "1to1" && r.target === t && r.sustained !== false).map((r) => r.rate ?? 0);
  for (const t of ["relay", "floor", "unibox"] as const) {
    const ok = lastOk(t);
    if (rows.some((r) => r.scenario === "1to1" && r.target === t)) out.push(`1:1 highest sustained rate, ${t}: ${ok.length ? Math.max(...ok) : "none"} msg/s${rows.some((r) => r.scenario === "1to1" && r.target === t && r.sustained === false) ? "" : " (never saturated in the rates tried)"}`);
  }
  const g100 = rows.find((r) => r.scenario === "fanout" && r.size === 100 && r.target === "unibox");
  if (g100?.vsRelay) out.push(`group-100 fan-out: Unibox p99 ${fmt(g100.p99.median)} ms = ${ratio(g100.vsRelay.p99)} relay`);
  for (const r of rows.filter((x) => x.scenario === "fanout" && x.target === "unibox" && x.extra.doCallsPerMessage !== undefined)) {
    out.push(`group-${r.size} at ${fmt(r.rate ?? NaN)} msg/s: ${fmt(r.extra.doCallsPerMessage)} Durable Object calls per message = ${fmt(r.extra.doCallsPerMessage / r.size)} per member (receipts included)`);
  }
  const room = rows.filter((r) => r.scenario === "room" && r.target === "unibox" && r.sustained);
  if (room.length) out.push(`one room sustains ${Math.max(...room.map((r) => r.rate ?? 0))} inbound msgs/s (Unibox)`);
  const res = rows.find((r) => r.scenario === "resume" && r.size === 10000 && r.target === "unibox");
  if (res) out.push(`resume of 10,000 events: Unibox ${fmt(res.p50.median)} ms hello→ready = ${ratio(res.vsRelay?.p50)} relay`);
  const st = rows.find((r) => r.scenario === "storm" && r.target === "unibox");
  if (st) out.push(`connect storm of ${st.size}: Unibox all ready in ${fmt(st.extra.allReadyMs)} ms = ${ratio(st.vsRelay?.p99)} relay (${st.extra.failed ?? 0} failed)`);
  const floor = rows.filter((r) => r.scenario === "1to1" && r.target === "floor" && r.vsRelay && r.sustained !== false);
  if (floor.length) {
    const f = floor[0];
    out.push(`platform floor (Worker + DO, no Unibox code) at ${f.rate} msg/s: p50 ${ratio(f.vsRelay!.p50)}, CPU/delivery ${ratio(f.vsRelay!.cpu)} relay`);
  }
  return out;
}
