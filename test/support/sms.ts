// Reads verification codes the way a developer does with `npm run dev`: from the line
// the `log` SMS provider writes to wrangler dev's output (worker/sms/log.ts).
import { serverLogs } from "./dev-server";

const LINE = /\{"event":"sms\.code","provider":"log","to":"(\+\d+)","code":"(\d{6})"\}/g;

function codeLines(base: string): { to: string; code: string }[] {
  const logs = serverLogs.get(new URL(base).origin);
  if (!logs) throw new Error(`no dev server known at ${base}: codes can only be read from a server this process started`);
  return [...logs().matchAll(LINE)].map((m) => ({ to: m[1]!, code: m[2]! }));
}

/** Where the server's code log stands now: take it before asking for a code, and pass it to smsCode. */
export const codeMark = (base: string): number => codeLines(base).length;

/** The first code for `e164` logged after `mark` (wrangler prints asynchronously, so it waits a little). */
export async function smsCode(base: string, e164: string, mark: number, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = codeLines(base).slice(mark).find((l) => l.to === e164);
    if (found) return found.code;
    if (Date.now() > deadline) throw new Error(`no code for ${e164} in the server log after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when `base` is a server this process started (its codes are readable here). */
export const canReadCodes = (base: string): boolean => serverLogs.has(new URL(base).origin);
