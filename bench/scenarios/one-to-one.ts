// 1:1 through two hubs: user A sends to user B at fixed rates, stepped up to saturation.
// The echo target stands in for the loopback floor: one socket, its own frames back.
import { befriend } from "../lib/api";
import type { Context } from "../lib/context";
import { type Conn, closeAll, connect } from "../lib/socket";
import type { TargetName } from "../targets";
import { type Rig, ramp } from "./ramp";

export async function oneToOne(ctx: Context): Promise<void> {
  console.error("1:1 through two hubs");
  const rigs = new Map<TargetName, Rig>();
  const opened: Conn[] = [];
  try {
    for (const [name, target] of ctx.targetsFor("1to1")) {
      if (name === "echo") {
        const c = await connect(target.url, 0, { id: "echo" }, { greet: false });
        opened.push(c);
        rigs.set(name, { conns: [c], routes: [{ from: c, to: { user: "echo" }, receivers: 1 }], echo: true });
        continue;
      }
      const [a, b] = await ctx.users(target, "pair", 2);
      await befriend(target.url, a, b);
      const ca = await connect(target.url, 0, a);
      const cb = await connect(target.url, 1, b);
      opened.push(ca, cb);
      rigs.set(name, { conns: [ca, cb], routes: [{ from: ca, to: { user: b.id }, receivers: 1 }] });
    }
    await ramp(ctx, "1to1", 2, ctx.o.rates, rigs);
  } finally {
    await closeAll(opened);
  }
}
