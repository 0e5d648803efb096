// Group scenarios, measured the same way as 1:1:
//   fanout – one member sends to a group of 10 / 100 / 500; each message is due at every
//            other member's socket. By default the message rate is chosen so every size
//            offers about the same deliveries/s (--fanout-deliveries); --fanout-rates gives
//            a size its own ramp of msg/s. The p99 is per delivery.
//   room   – every member of one group sends, round-robin, at rising total rates: the most
//            inbound msgs/s one room sustains with its durable log (loss ≤ 0.1 %, p99 ≤ 250 ms).
// They need `POST /api/groups {members}` and `send {to:{group}}`. A target without the
// route (404) is skipped; while Unibox lacks it the baselines are skipped too, because
// every row is reported as a ratio to the baseline and there would be nothing to compare.
// Where a target has room sockets (`GET /api/groups/:id/ws`: Unibox, roomcast) every member
// also opens one, as the phone does, and sends, deliveries and acks go over them; a 404 for
// that route (the relay, the floor, an older Unibox) keeps the group on `/api/ws`.
import { type BenchUser, befriend, createGroup, hasGroupApi, inParallel } from "../lib/api";
import type { Context } from "../lib/context";
import type { ScenarioName } from "../lib/options";
import { runLoad } from "../lib/load";
import { type Conn, UpgradeRefused, closeAll, connect, reopen } from "../lib/socket";
import type { Target, TargetName } from "../targets";
import { PILE_MIN } from "../versus-roomcast";
import { type Rig, ramp } from "./ramp";

export const NO_GROUP_API = "no group API yet";

/** The targets a group scenario can run on, after recording skips for the rest. */
async function groupTargets(ctx: Context, scenario: ScenarioName): Promise<Target[]> {
  const able: Target[] = [];
  for (const [name, target] of ctx.targets) {
    if (name === "echo") continue; // no groups on a loopback echo
    const [probe] = await ctx.users(target, "crowd", 1);
    if (await hasGroupApi(target.url, probe)) able.push(target);
    else ctx.markSkipped(scenario, name, NO_GROUP_API);
  }
  if (ctx.targets.has("unibox") && !able.some((t) => t.name === "unibox")) {
    for (const t of able) ctx.markSkipped(scenario, t.name, `Unibox has ${NO_GROUP_API}: nothing to compare against`);
    return [];
  }
  return able;
}

/**
 * Creates a group of `size` from the crowd (the first user owns it and is everyone's friend)
 * and opens every member's own socket and, where the target has them, a room socket. The
 * own sockets stay listened to under the member's index, so a message that reached a
 * member on both counts as a duplicate.
 */
async function groupRig(ctx: Context, target: Target, size: number, allSend: boolean): Promise<{ rig: Rig; conns: Conn[]; rooms: Conn[] | null }> {
  const members = await ctx.users(target, "crowd", Math.max(size, ctx.o.stormSockets));
  const group = members.slice(0, size);
  const owner = group[0];
  // Friendship with the owner is the weakest rule a server might ask of a group; befriended once per crowd member.
  await inParallel(group.slice(1), 4, async (u) => {
    try {
      await befriend(target.url, owner, u);
    } catch (err) {
      if (!/already_friends|request_pending/.test(String(err))) throw err;
    }
  });
  const id = await createGroup(target.url, owner, group.slice(1));
  if (!id) throw new Error(`${target.name}: group API vanished`);
  const own = await inParallel(group, 16, (u, i) => connect(target.url, i, u));
  const rooms = await roomSockets(target, group, id).catch(async (err) => {
    await closeAll(own);
    throw err;
  });
  console.error(`  ${target.name}: group of ${size} over ${rooms ? "room sockets" : "/api/ws (no room socket route)"}`);
  const talking = rooms ?? own;
  const senders = allSend ? talking : [talking[0]];
  const conns = [...(rooms ?? []), ...own];
  return { rig: { conns, routes: senders.map((from) => ({ from, to: { group: id }, receivers: size - 1 })), roomSockets: rooms !== null }, conns, rooms };
}

/** Every member's room socket for the group (`hello {fresh}`), or null when the target has no such route (404). */
async function roomSockets(target: Target, members: BenchUser[], group: string): Promise<Conn[] | null> {
  let first: Conn;
  try {
    first = await connect(target.url, 0, members[0], { group });
  } catch (err) {
    if (err instanceof UpgradeRefused && err.status === 404) return null;
    throw err;
  }
  const rest = await inParallel(members.slice(1), 16, (u, i) => connect(target.url, i + 1, u, { group }));
  return [first, ...rest];
}

export async function fanout(ctx: Context): Promise<void> {
  console.error("group fan-out");
  const targets = await groupTargets(ctx, "fanout");
  if (targets.length === 0) return;
  for (const size of ctx.o.fanoutSizes) {
    const rates = ctx.o.fanoutRates[size] ?? [Math.round((ctx.o.fanoutDeliveries / (size - 1)) * 100) / 100];
    const rigs = new Map<TargetName, Rig>();
    const roomConns = new Map<TargetName, Conn[]>();
    const opened: Conn[] = [];
    try {
      for (const t of targets) {
        // One target failing to form the group (a server error) is reported; the others still run.
        try {
          const { rig, conns, rooms } = await groupRig(ctx, t, size, false);
          rigs.set(t.name, rig);
          if (rooms) roomConns.set(t.name, rooms);
          opened.push(...conns);
        } catch (err) {
          ctx.problem(`fanout ${size} ${t.name}: ${(err as Error).message}`, t.name);
        }
      }
      // Every rate for every target: issue 16 asks for DO calls at 1 and 20 msg/s even where 1 already fails.
      if (rigs.size) {
        await ramp(ctx, "fanout", size, rates, rigs, { everyRate: true });
        await handOvers(ctx, size, roomConns, rigs);
      }
    } finally {
      await closeAll(opened);
    }
  }
}

/** Entries each member's hub lacks when the measured hand-over starts: just under the smallest pile, so none went early. */
const HAND_OVER_ENTRIES = PILE_MIN - 1;
/** Deliveries/s while those entries are sent (at most 20 msg/s): quick, and under what every size sustains. */
const HAND_OVER_DELIVERIES = 2000;

/**
 * What the members' hubs cost when the room hands them the entries they lack, measured as
 * the room sockets close (the members go offline): the same delivery the room's lazy digest
 * makes at the latest every GROUP_DIGEST_MS. A digest that falls between the steps is in no
 * step's CPU, so it is measured here, per hub call, and the issue's CPU verdict charges each
 * low-rate step its share (bench/versus-roomcast.ts). Targets without member hubs (no
 * `groupDeliver` calls) have nothing to hand over.
 *
 * The backlog is set, not left to chance: the sockets close once (unmeasured) so every hub
 * is level, reopen, HAND_OVER_ENTRIES messages go through the room while everyone is live,
 * and then the measured close hands each hub exactly those, about what a real digest
 * carries (100–199 piled up, or what the digest interval gathered).
 */
async function handOvers(ctx: Context, size: number, rooms: Map<TargetName, Conn[]>, rigs: Map<TargetName, Rig>): Promise<void> {
  for (const [name, conns] of rooms) {
    const target = ctx.targets.get(name)!;
    const rig = rigs.get(name);
    if (!target.doCounts || !rig) continue;
    // A socket that will not reopen is reported; the other sizes and scenarios still run.
    await handOver(ctx, size, name, target, conns, rig).catch((err) => ctx.problem(`hand-over ${size} ${name}: ${(err as Error).message}`, name));
  }
}

async function handOver(ctx: Context, size: number, name: TargetName, target: Target, conns: Conn[], rig: Rig): Promise<void> {
  await ctx.prepare(target);
  const delivers = async () => (await target.doCounts!()).calls["UserHub.groupDeliver"] ?? 0;
  /** Closes the room sockets and waits until the hub calls stop: none new for a second (at most 30 s). */
  const closeAndSettle = async () => {
    const before = await delivers();
    const began = performance.now();
    await closeAll(conns);
    for (let last = -1; ; ) {
      await new Promise((r) => setTimeout(r, 1000));
      const n = (await delivers()) - before;
      if (n === last || performance.now() - began > 30_000) return n;
      last = n;
    }
  };
  await closeAndSettle();
  await inParallel(conns, 16, (c) => reopen(c));
  const rate = Math.min(HAND_OVER_DELIVERIES / (size - 1), 20);
  const load = await runLoad({ ...rig, rate, durationMs: Math.ceil((HAND_OVER_ENTRIES / rate) * 1000), drainMs: ctx.o.drainSeconds * 1000, tag: `handover${name}${size}`, ack: ctx.o.ack });
  const entries = load.accepted;
  if (load.lost > 0) ctx.problem(`hand-over ${size} ${name}: ${load.lost} of ${load.expected} deliveries lost while the backlog was sent`, name);
  const { result: calls, usage } = await ctx.meter.measure(target, closeAndSettle);
  if (calls === 0) return;
  // The seconds of waiting for the calls to stop are not the hand-over's: the idle
  // server's own CPU over as long, measured right after, is taken off.
  const { usage: idle } = await ctx.meter.measure(target, () => new Promise((r) => setTimeout(r, usage.wallSeconds * 1000)));
  const serverCpuSeconds = Math.max(0, usage.serverCpuSeconds - idle.serverCpuSeconds);
  const cpuPerCallUs = (serverCpuSeconds / calls) * 1e6;
  ctx.handOvers.push({ size, target: name, calls, entries, serverCpuSeconds, idleCpuSeconds: idle.serverCpuSeconds, cpuPerCallUs });
  console.error(
    `  hand-over ${size} ${name}: ${entries} entries to each hub, ${calls} hub calls, ${(serverCpuSeconds * 1000).toFixed(0)} ms server CPU (idle ${(idle.serverCpuSeconds * 1000).toFixed(0)} ms taken off), ${cpuPerCallUs.toFixed(0)} µs per call, ${(cpuPerCallUs / Math.max(1, entries)).toFixed(1)} µs per entry`,
  );
}

export async function room(ctx: Context): Promise<void> {
  console.error("max inbound msgs/s of one group room");
  const targets = await groupTargets(ctx, "room");
  if (targets.length === 0) return;
  const rigs = new Map<TargetName, Rig>();
  const opened: Conn[] = [];
  try {
    for (const t of targets) {
      const { rig, conns } = await groupRig(ctx, t, ctx.o.roomSize, true);
      rigs.set(t.name, rig);
      opened.push(...conns);
    }
    const best = await ramp(ctx, "room", ctx.o.roomSize, ctx.o.roomRates, rigs);
    for (const t of targets) console.error(`  room ${t.name}: sustained up to ${best.get(t.name) ?? "none of the"} msgs/s`);
  } finally {
    await closeAll(opened);
  }
}
