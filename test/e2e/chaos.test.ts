// End to end against a real `wrangler dev`: users exchange 1,000 messages while sockets
// are cut at random and the server is restarted midway with the same state. The long
// version (10,000 messages) is `npm run chaos`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failures, runChaos } from "../chaos/driver";
import { type DevServer, startDevServer } from "../support/dev-server";

let server: DevServer;
beforeAll(async () => {
  server = await startDevServer();
});
afterAll(async () => {
  await server?.stop();
});

describe("1,000 messages through cuts and a restart", () => {
  it("delivers every message exactly once, in order, each send accepted", async () => {
    const report = await runChaos(server, { users: 2, messages: 1000, cutEveryMs: 250, restartAt: 0.5, log: (l) => console.log(`[chaos] ${l}`) });
    console.log(`[chaos] report ${JSON.stringify({ ...report, violations: report.violations.length })}`);
    expect(failures(report)).toEqual([]);
    expect(report.delivered).toBe(1000);
    expect(report.restarted).toBe(true);
    expect(report.cuts).toBeGreaterThan(5);
    expect(report.reconnects).toBeGreaterThan(5);
  });

  it("keeps one group order for every member through cuts and a restart", async () => {
    const report = await runChaos(server, { users: 3, messages: 600, cutEveryMs: 250, restartAt: 0.5, group: true, log: (l) => console.log(`[chaos group] ${l}`) });
    console.log(`[chaos group] report ${JSON.stringify({ ...report, violations: report.violations.length })}`);
    expect(failures(report)).toEqual([]);
    // 300 direct (each user to the next) + 300 group messages to 3 members each.
    expect(report.delivered).toBe(300 + 300 * 3);
    expect(report.restarted).toBe(true);
  });
});
