// Resume: a user who was away comes back with `hello {resume: lastSeq}` and the hub
// replays what they missed. The log is filled once through the real send path (B offline,
// A sending), then B reconnects from `head − size` for each size, `runs` times; the
// measured time is from `hello` leaving the client to `ready` arriving.
import { befriend } from "../lib/api";
import type { Context } from "../lib/context";
import { closeAll, connect, hello, open } from "../lib/socket";
import { summarize } from "../lib/stats";
import type { Target } from "../targets";

export async function resume(ctx: Context): Promise<void> {
  console.error("resume");
  const most = Math.max(...ctx.o.resumeSizes);
  const filled = new Map<Target, { token: string; head: number }>();
  for (const [name, target] of ctx.targetsFor("resume")) {
    if (name === "echo") continue;
    filled.set(target, await fill(ctx, target, most));
  }
  for (const size of ctx.o.resumeSizes) {
    for (let run = 1; run <= ctx.o.runs; run++) {
      for (const [target, log] of filled) await replay(ctx, target, log, size, run);
    }
  }
}

/** Puts `count` messages into B's log while B is offline; returns B's token and head. */
async function fill(ctx: Context, target: Target, count: number) {
  const [a, b] = await ctx.users(target, "resume", 2);
  await befriend(target.url, a, b);
  const probe = await open(target.url, b.token);
  const before = (await hello(probe, undefined)).head;
  await closeAll([{ ws: probe }]);
  const sender = await connect(target.url, 0, a);
  const began = performance.now();
  // A window of sends in flight: fast enough to fill 10,000 in tens of seconds, and never
  // more than the hub would hold for one conversation anyway.
  let sent = 0;
  let answered = 0;
  const failures: string[] = [];
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`filling the log on ${target.name} stalled at ${answered}/${count}`)), 300_000);
    const pump = () => {
      while (sent < count && sent - answered < 64) {
        sender.ws.send(JSON.stringify({ t: "send", id: `fill.${ctx.tag}.${sent}`, to: { user: b.id }, body: { type: "text", text: `fill ${sent}` } }));
        sent++;
      }
    };
    sender.onFrame = (data) => {
      if (data.startsWith('{"t":"accepted"') || data.startsWith('{"t":"error"')) {
        if (data.startsWith('{"t":"error"') && failures.length < 3) failures.push(data.slice(0, 200));
        answered++;
        if (answered === count) {
          clearTimeout(timer);
          return done();
        }
        pump();
      }
    };
    pump();
  });
  const seconds = (performance.now() - began) / 1000;
  await closeAll([sender]);
  if (failures.length) ctx.problem(`resume fill on ${target.name}: sends refused, e.g. ${failures[0]}`, target.name);
  console.error(`  ${target.name}: filled ${count} events in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)} accepted sends/s, window 64)`);
  // One unrecorded full replay: warms the path, and reads the real head (presence events
  // may have joined the messages in B's log).
  const warm = await open(target.url, b.token);
  const all = await hello(warm, before, 120_000);
  await closeAll([{ ws: warm }]);
  // More than the hub replays (MAX_REPLAY) since `before` answers `ready {reset}`: then the head says it.
  const stored = all.reset ? all.head - before : all.replayed;
  if (stored < count) ctx.problem(`resume fill on ${target.name}: ${count} sends accepted but only ${stored} events after seq ${before}`, target.name);
  return { token: b.token, head: all.head };
}

async function replay(ctx: Context, target: Target, log: { token: string; head: number }, size: number, run: number) {
  await ctx.prepare(target);
  if (ctx.o.pin) target.pin(1);
  const ws = await open(target.url, log.token);
  const { result: ready, usage } = await ctx.meter.measure(target, () => hello(ws, log.head - size, 120_000));
  await closeAll([{ ws }]);
  if (ready.replayed < size) ctx.problem(`resume ${size} on ${target.name} run ${run}: replayed only ${ready.replayed} events before ready (head ${ready.head})`, target.name);
  ctx.record({
    scenario: "resume",
    size,
    rate: null,
    target: target.name,
    run,
    latency: summarize([ready.helloToReadyMs]),
    expected: size,
    delivered: ready.replayed,
    lost: Math.max(0, size - ready.replayed),
    duplicates: 0,
    errors: {},
    deliveriesPerSecond: ready.replayed / (ready.helloToReadyMs / 1000),
    cpuPerDeliveryUs: (usage.serverCpuSeconds / Math.max(1, ready.replayed)) * 1e6,
    usage,
    extra: { head: ready.head, replayed: ready.replayed },
  });
}
