// What every harness relies on: a start failure says why with the server's own output, and
// kill() ends the whole process group, forked children included.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { spawnDaemon, waitReady } from "../../support/peers/daemon";
import { Inbox } from "../../support/peers/inbox";

/** Running, as opposed to gone or a zombie nobody has reaped yet (state Z in /proc). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

describe("daemon", () => {
  it("fails at once when the server exits, with its output in the error", async () => {
    const daemon = spawnDaemon("sh", ["-c", "echo 'config line 3: bad value' >&2; exit 3"], { cwd: "/tmp" });
    const t0 = Date.now();
    await expect(waitReady("demo", daemon, async () => false, 20_000)).rejects.toThrow(/demo did not start: sh exited \(code 3[\s\S]*config line 3: bad value/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("gives up after the timeout, and stops the server", async () => {
    const daemon = spawnDaemon("sh", ["-c", "echo up but deaf; exec sleep 30"], { cwd: "/tmp" });
    await expect(waitReady("deaf", daemon, async () => false, 300)).rejects.toThrow(/not ready after 300 ms[\s\S]*up but deaf/);
    expect(daemon.exitReason()).toMatch(/signal SIGTERM/);
  });

  it("kill() ends forked children too", async () => {
    const daemon = spawnDaemon("sh", ["-c", "sleep 30 & echo $!; wait"], { cwd: "/tmp" });
    await waitReady("forker", daemon, async () => /^\d+/.test(daemon.logs()));
    const child = Number(daemon.logs().trim());
    expect(alive(child)).toBe(true);
    await daemon.kill();
    expect(alive(child)).toBe(false);
  });

  it("Inbox.waitFor sees items from before and after the call, and times out", async () => {
    const inbox = new Inbox<number>("numbers");
    inbox.push(1);
    expect(await inbox.waitFor((n) => n === 1)).toBe(1);
    const later = inbox.waitFor((n) => n > 5);
    inbox.push(3);
    inbox.push(7);
    expect(await later).toBe(7);
    await expect(inbox.waitFor((n) => n > 100, 50)).rejects.toThrow(/numbers: nothing matched within 50 ms \(3 received\)/);
  });
});
