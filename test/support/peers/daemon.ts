// What every real server the tests start has in common: its own scratch directory, a child
// process in its own process group (so stop() also ends the workers it forks), its output
// kept for error messages, and readiness found by polling rather than by sleeping.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export { freePort } from "../dev-server";

export function scratchDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `unibox-${name}-`));
}

export type Daemon = {
  /** Output of the process so far, plus the log files it writes (read now). */
  logs(): string;
  /** Why it ended, if it has: makes a start failure say so at once instead of timing out. */
  exitReason(): string | undefined;
  kill(): Promise<void>;
};

/** Starts `cmd` in its own process group; `logFiles` are files the server writes its log to. */
export function spawnDaemon(cmd: string, args: string[], opts: { cwd: string; logFiles?: string[] }): Daemon {
  let out = "";
  let exit: string | undefined;
  const child: ChildProcess = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  child.on("error", (e) => (exit = `could not start ${cmd}: ${e.message}${(e as NodeJS.ErrnoException).code === "ENOENT" ? " (not installed? .ci/run installs the peers: apt-get install prosody ngircd dovecot-imapd)" : ""}`));
  child.on("exit", (code, signal) => (exit ??= `${cmd} exited (code ${code}, signal ${signal})`));
  // "close" comes once every process holding the pipes (the whole group, in practice) is gone.
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    logs: () => [out, ...(opts.logFiles ?? []).map(readIfThere)].filter(Boolean).join("\n"),
    exitReason: () => exit,
    /** SIGTERM to the group (a clean shutdown, as when a server is restarted), SIGKILL if it lingers. */
    async kill() {
      if (child.pid === undefined) return;
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig); // the group: dovecot forks auth, login and imap processes
        } catch {}
      };
      signal("SIGTERM");
      const late = setTimeout(() => signal("SIGKILL"), 3000);
      await exited;
      // The pipes close as a process starts to exit, a moment before it is gone: wait for
      // every member of the group, so that a restart never meets the old one's port or files.
      for (let i = 0; i < 300 && groupRunning(child.pid); i++) {
        if (i === 150) signal("SIGKILL");
        await new Promise((r) => setTimeout(r, 20));
      }
      clearTimeout(late);
    },
  };
}

/** Whether any process of group `pgid` still runs (zombies waiting to be reaped do not count). */
function groupRunning(pgid: number): boolean {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = readIfThere(`/proc/${pid}/stat`);
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so split after the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
  }
  return false;
}

function readIfThere(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Polls `ready` until it says yes; throws with the server's log if it exits or the time runs out. */
export async function waitReady(what: string, daemon: Daemon, ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    const reason = daemon.exitReason();
    if (reason || Date.now() > deadline) {
      await daemon.kill();
      throw new Error(`${what} did not start: ${reason ?? `not ready after ${timeoutMs} ms`}\n--- log ---\n${daemon.logs()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** True when something on 127.0.0.1:port accepts a connection and (if `prefix`) greets with it. */
export function greets(port: number, prefix?: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let seen = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => prefix === undefined && done(true));
    socket.on("data", (d) => {
      seen += d;
      if (prefix !== undefined && seen.length >= prefix.length) done(seen.startsWith(prefix));
    });
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
