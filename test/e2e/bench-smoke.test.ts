// Checks the benchmark's measurement plumbing, not its numbers: against a real dev server
// and the Node relay, a couple of seconds of load at a trivial rate must produce one
// latency sample per message, no loss, no duplicates, every send accepted, and CPU
// readings from the server's processes. Benchmarks themselves run only via `npm run bench`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { befriend, register } from "../../bench/lib/api";
import { runLoad } from "../../bench/lib/load";
import { Meter } from "../../bench/lib/measure";
import { closeAll, connect } from "../../bench/lib/socket";
import { type Target, startTarget } from "../../bench/targets";

describe.each(["relay", "unibox"] as const)("bench load client against %s", (name) => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget(name, { unibox: "worktree" });
  });
  afterAll(async () => {
    await target?.stop();
  });

  it("records a sample for every message and loses none at 20 msg/s", async () => {
    const [a, b] = [await register(target.url, 0, "smoke"), await register(target.url, 1, "smoke")];
    await befriend(target.url, a, b);
    const conns = [await connect(target.url, 0, a), await connect(target.url, 1, b)];
    const meter = new Meter(() => [target]);
    try {
      const { result, usage } = await meter.measure(target, () =>
        runLoad({ conns, routes: [{ from: conns[0], to: { user: b.id }, receivers: 1 }], rate: 20, durationMs: 2000, drainMs: 10_000, tag: "smoke" }),
      );
      expect(result.sent).toBe(40);
      expect(result.errors).toEqual({});
      expect(result.accepted).toBe(40);
      expect(result.expected).toBe(40);
      expect(result.delivered).toBe(40);
      expect(result.lost).toBe(0);
      expect(result.duplicates).toBe(0);
      expect(result.samples).toHaveLength(40);
      for (const ms of result.samples) expect(ms).toBeGreaterThan(0);
      // The sender's hub pushes its own copy to the sender's socket; it is never a sample.
      expect(result.ownCopies).toBe(40);
      expect(Object.keys(target.cpuByProcess()).some((p) => p.startsWith(name === "unibox" ? "workerd:" : "node:"))).toBe(true);
      expect(usage.serverCpuSeconds).toBeGreaterThanOrEqual(0);
      expect(usage.coreBusy.length).toBeGreaterThan(0);
    } finally {
      await closeAll(conns);
    }
  });
});
