// Steps a fixed-rate load up a list of rates, the same rates for every target, with each
// step's runs interleaved across targets (relay, floor, unibox, relay, …) so a slow drift
// in the machine lands on all of them alike. A target leaves the ramp after the first step
// it could not sustain (unless `everyRate`); the others go on.
import type { Context, Measurement } from "../lib/context";
import { type Route, runLoad } from "../lib/load";
import type { ScenarioName } from "../lib/options";
import { type Conn, reopen } from "../lib/socket";
import { median, summarize } from "../lib/stats";
import { countsSince, type Target, type TargetName } from "../targets";

/** `roomSockets`: a group whose sends, deliveries and acks go over room sockets (recorded with each step). */
export type Rig = { conns: Conn[]; routes: Route[]; echo?: boolean; roomSockets?: boolean };

/** A step is sustained when nearly all deliveries arrive, soon: loss ≤ 0.1 %, p99 ≤ 250 ms. */
export const SUSTAINED = { maxLoss: 0.001, maxP99Ms: 250 };

const SERVER_CORE = 1;

/** `everyRate`: the rates are points to measure, not a search for the ceiling: no target leaves after a failed step. */
export async function ramp(ctx: Context, scenario: ScenarioName, size: number, rates: number[], rigs: Map<TargetName, Rig>, opts: { everyRate?: boolean } = {}): Promise<Map<TargetName, number>> {
  const { o } = ctx;
  const active = [...rigs.keys()];
  const best = new Map<TargetName, number>();
  let step = 0;
  for (const name of active) await warmUp(ctx, name, rigs.get(name)!, rates[0]);
  for (const rate of rates) {
    step++;
    const results = new Map<TargetName, Measurement[]>();
    for (let run = 1; run <= o.runs; run++) {
      for (const name of [...active]) {
        const rig = rigs.get(name)!;
        const dead = rig.conns.filter((c) => c.closed);
        if (dead.length) {
          // Reported, then reopened: a dropped socket is a finding, and the step still gets measured.
          const how = [...new Set(dead.map((c) => `${c.closed!.code} ${c.closed!.reason}`.trim()))].join(", ");
          ctx.problem(`${scenario} ${size} ${name}: ${dead.length} of ${rig.conns.length} sockets were closed before the ${rate}/s step (close ${how}); reopened`, name);
          try {
            for (const c of dead) await reopen(c);
          } catch (err) {
            ctx.problem(`${scenario} ${size} ${name}: could not reopen sockets (${(err as Error).message}); ${name} leaves the ramp`, name);
            active.splice(active.indexOf(name), 1);
            continue;
          }
        }
        const m = await measureStep(ctx, scenario, size, rate, name, rigs.get(name)!, run, `${scenario[0]}${size}s${step}r${run}`);
        results.set(name, [...(results.get(name) ?? []), m]);
      }
    }
    for (const name of [...active]) {
      const ms = results.get(name);
      if (!ms) continue;
      const lossRate = median(ms.map((m) => m.lost / Math.max(1, m.expected)));
      const p99 = median(ms.map((m) => m.latency.p99));
      const sustained = lossRate <= SUSTAINED.maxLoss && p99 <= SUSTAINED.maxP99Ms;
      for (const m of ms) m.extra = { ...m.extra, sustained };
      if (sustained) best.set(name, rate);
      else if (opts.everyRate) console.error(`  ${scenario} ${size} ${name}: not sustained at ${rate}/s (loss ${(lossRate * 100).toFixed(2)} %, p99 ${p99.toFixed(0)} ms)`);
      else {
        console.error(`  ${scenario} ${size} ${name}: not sustained at ${rate}/s (loss ${(lossRate * 100).toFixed(2)} %, p99 ${p99.toFixed(0)} ms); leaves the ramp`);
        active.splice(active.indexOf(name), 1);
      }
    }
    if (active.length === 0) break;
  }
  return best;
}

/** A short unrecorded run first: JIT, object creation and SQLite pages are not part of any step. */
async function warmUp(ctx: Context, name: TargetName, rig: Rig, rate: number) {
  const target = ctx.targets.get(name)!;
  if (ctx.o.pin) target.pin(SERVER_CORE);
  await runLoad({ ...rig, rate, durationMs: ctx.o.quick ? 1000 : 2000, drainMs: ctx.o.drainSeconds * 1000, tag: `warm${name}`, ack: ctx.o.ack });
}

export async function measureStep(ctx: Context, scenario: ScenarioName, size: number, rate: number, name: TargetName, rig: Rig, run: number, tag: string): Promise<Measurement> {
  const target = ctx.targets.get(name)!;
  await ctx.prepare(target);
  // Re-pinned each time: wrangler may have started processes since the last step.
  if (ctx.o.pin) target.pin(SERVER_CORE);
  const callsBefore = (await target.doCounts?.())?.calls;
  const { result: r, usage } = await ctx.meter.measure(target, () =>
    runLoad({ ...rig, rate, durationMs: ctx.o.stepSeconds * 1000, drainMs: ctx.o.drainSeconds * 1000, tag, ack: ctx.o.ack }),
  );
  // Receipts are held for up to GROUP_RECEIPT_HOLD_MS (1.5 s) and the drain may end sooner: let them go before counting.
  const calls = callsBefore ? await callsSince(target, callsBefore, r.sent) : undefined;
  const m: Measurement = {
    scenario,
    size,
    rate,
    target: name,
    run,
    latency: summarize(r.samples),
    expected: r.expected,
    delivered: r.delivered,
    lost: r.lost,
    duplicates: r.duplicates,
    errors: r.errors,
    deliveriesPerSecond: r.delivered / r.activeSeconds,
    cpuPerDeliveryUs: (usage.serverCpuSeconds / Math.max(1, r.delivered)) * 1e6,
    usage,
    sendLagP99Ms: summarize(r.sendLag).p99,
    extra: { ...(calls ?? {}), ...(rig.roomSockets === undefined ? {} : { roomSockets: rig.roomSockets }), sent: r.sent, sendsOnClosedSocket: r.sendsOnClosedSocket, accepted: r.accepted, strays: r.strays, ownCopies: r.ownCopies, socketsClosed: r.socketsClosed, maxBufferedBytes: r.maxBufferedBytes, ...(r.errorSamples.length ? { errorSample: r.errorSamples[0] } : {}) },
  };
  ctx.record(m);
  return m;
}

/**
 * Calls into Durable Objects during a step, per message sent and (for a group) per
 * receiving member: `doCalls` in all, and the biggest three kinds by `Class.method`.
 */
async function callsSince(target: Target, before: Record<string, number>, sent: number): Promise<Record<string, number | string>> {
  await new Promise((r) => setTimeout(r, 2000));
  const diff = countsSince(before, (await target.doCounts?.())?.calls ?? {});
  const total = diff.reduce((s, [, n]) => s + n, 0);
  return { doCalls: total, doCallsPerMessage: total / Math.max(1, sent), doCallsTop: diff.slice(0, 4).map(([k, n]) => `${k} ${n}`).join(", ") };
}
