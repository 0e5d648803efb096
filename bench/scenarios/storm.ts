// Connect storm: N users' sockets opened all at once, each sending `hello` as soon as it
// is open. One sample per socket: from the storm's start to that socket's `ready` (so it
// covers TCP, the upgrade, the session check and the hub's hello). Runs after the first
// find the users' objects already created; the spread shows how much that matters.
import type { BenchUser } from "../lib/api";
import type { Context } from "../lib/context";
import { closeAll, hello, open } from "../lib/socket";
import { summarize } from "../lib/stats";
import type { Target } from "../targets";
import type WebSocket from "ws";

export async function storm(ctx: Context): Promise<void> {
  const n = ctx.o.stormSockets;
  console.error(`connect storm of ${n}`);
  const crowds = new Map<Target, BenchUser[]>();
  for (const [name, target] of ctx.targetsFor("storm")) {
    if (name !== "echo") crowds.set(target, await ctx.users(target, "crowd", n));
  }
  for (let run = 1; run <= ctx.o.runs; run++) {
    for (const [target, users] of crowds) await once(ctx, target, users, run);
  }
}

async function once(ctx: Context, target: Target, users: BenchUser[], run: number) {
  await ctx.prepare(target);
  if (ctx.o.pin) target.pin(1);
  const sockets: WebSocket[] = [];
  const failures: string[] = [];
  const { result: times, usage } = await ctx.meter.measure(target, async () => {
    const t0 = performance.now();
    const done = await Promise.all(
      users.map(async (u) => {
        try {
          const ws = await open(target.url, u.token, 60_000);
          sockets.push(ws);
          await hello(ws, undefined, 60_000);
          return performance.now() - t0;
        } catch (err) {
          failures.push(String((err as Error).message));
          return NaN;
        }
      }),
    );
    return done.filter(Number.isFinite);
  });
  await closeAll(sockets.map((ws) => ({ ws })));
  if (failures.length) {
    const kinds = [...new Set(failures)].slice(0, 3).join(" | ");
    ctx.problem(`connect storm ${users.length} on ${target.name} run ${run}: ${failures.length} sockets failed: ${kinds}`, target.name);
  }
  const latency = summarize(times);
  ctx.record({
    scenario: "storm",
    size: users.length,
    rate: null,
    target: target.name,
    run,
    latency,
    expected: users.length,
    delivered: times.length,
    lost: users.length - times.length,
    duplicates: 0,
    errors: {},
    deliveriesPerSecond: times.length / (latency.max / 1000),
    cpuPerDeliveryUs: (usage.serverCpuSeconds / Math.max(1, times.length)) * 1e6,
    usage,
    extra: { allReadyMs: latency.max, failed: failures.length },
  });
}
