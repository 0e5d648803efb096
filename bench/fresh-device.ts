// Signing in on a new phone, for an account whose log already holds EVENTS events: time
// from tapping "Sign in" to the socket's `ready` and to the chat list showing the chat
// with its newest message.
// Two ways, in the same run, on the same account, alternating:
//   fresh  — what the client does: `hello {fresh}`, nothing replayed, lists over HTTP;
//   replay — the old way (the baseline): `hello` without a cursor, the hub replays the
//            whole log and the client stores every event before `ready`.
// The baseline is the same client with `fresh` stripped from its hello by an init script
// (no proxy, so neither way pays for interception). Chromium 360×740, 4× CPU throttle,
// DevTools' "Fast 3G". Measured, not asserted.
// Run: npm run bench:fresh   (EVENTS=2000 RUNS=3 by default)
import type { Browser } from "playwright-core";
import { befriend, register } from "./lib/api";
import { closeAll, hello, open } from "./lib/socket";
import { type DevServer, startDevServer } from "../test/support/dev-server";
import { launchChromium, PHONE, waitConnected } from "../test/browser/support";

const EVENTS = Number(process.env.EVENTS ?? 2000);
const RUNS = Number(process.env.RUNS ?? 3);
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8, uploadThroughput: (750 * 1024 * 0.9) / 8 };
const PASSWORD = "bench-password-1";

type Mode = "fresh" | "replay";
type Sample = { readyMs: number; listMs: number; replayed: number };

/** Puts `count` messages from A into B's log through the real send path, 64 in flight. */
async function fill(server: DevServer, count: number) {
  const tag = String(Date.now() % 1e6);
  const [a, b] = [await register(server.url, 9001, tag), await register(server.url, 9002, tag)];
  await befriend(server.url, a, b);
  const ws = await open(server.url, a.token);
  await hello(ws, 0);
  let sent = 0;
  let answered = 0;
  await new Promise<void>((done, fail) => {
    const pump = () => {
      for (; sent < count && sent - answered < 64; sent++) {
        ws.send(JSON.stringify({ t: "send", id: `fresh.${tag}.${sent}`, to: { user: b.id }, body: { type: "text", text: `message number ${sent} of the backlog` } }));
      }
    };
    ws.on("message", (d) => {
      const text = d.toString();
      if (text.startsWith('{"t":"error"')) fail(new Error(`fill refused: ${text}`));
      if (!text.startsWith('{"t":"accepted"')) return;
      if (++answered === count) done();
      else pump();
    });
    pump();
  });
  await closeAll([{ ws }]);
  return b;
}

async function signInOnce(browser: Browser, server: DevServer, handle: string, mode: Mode): Promise<Sample> {
  const context = await browser.newContext({ ...PHONE, baseURL: server.url });
  if (mode === "replay") {
    await context.addInitScript(() => {
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (this: WebSocket, data: Parameters<WebSocket["send"]>[0]) {
        const out = typeof data === "string" && data.startsWith('{"t":"hello"') ? data.replace(/"fresh":true,?/, "").replace(/,}$/, "}") : data;
        return send.call(this, out);
      };
    });
  }
  const page = await context.newPage();
  let replayed = 0;
  page.on("websocket", (ws) => ws.on("framereceived", (f) => String(f.payload).startsWith('{"t":"ev"') && replayed++));
  try {
    await page.goto("/signin");
    await page.fill("#login", handle);
    await page.fill("#password", PASSWORD);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    await cdp.send("Network.emulateNetworkConditions", FAST_3G);
    const t0 = Date.now();
    await page.click("form button[type=submit]");
    // The chat list is usable when it shows the newest message, not a replay's first one.
    await page.locator("a.row[data-conv] .preview", { hasText: `message number ${EVENTS - 1} ` }).waitFor({ timeout: 600_000 });
    const listMs = Date.now() - t0;
    await waitConnected(page);
    const readyAt = await page.evaluate(() => performance.timeOrigin + performance.getEntriesByName("unibox:ready")[0]!.startTime);
    return { readyMs: readyAt - t0, listMs, replayed };
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;

async function main() {
  const [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  try {
    const began = Date.now();
    const user = await fill(server, EVENTS);
    console.error(`filled ${EVENTS} messages in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    const samples: Record<Mode, Sample[]> = { fresh: [], replay: [] };
    for (let run = 1; run <= RUNS; run++) {
      for (const mode of ["replay", "fresh"] as const) {
        const s = await signInOnce(browser, server, user.handle, mode);
        samples[mode].push(s);
        console.error(`run ${run} ${mode}: ready ${Math.round(s.readyMs)} ms, list ${s.listMs} ms, ${s.replayed} events replayed`);
      }
    }
    const row = (mode: Mode) => {
      const ready = samples[mode].map((s) => s.readyMs);
      const list = samples[mode].map((s) => s.listMs);
      return { ready, list, line: `| ${mode} | ${Math.round(median(ready))} (${spread(ready)}) | ${Math.round(median(list))} (${spread(list)}) | ${median(samples[mode].map((s) => s.replayed))} |` };
    };
    const [replay, fresh] = [row("replay"), row("fresh")];
    console.log(`Sign-in on a new phone, account log of ${EVENTS} messages; Chromium 360×740, 4× CPU, Fast 3G; median (min–max) of ${RUNS} runs`);
    console.log("| hello | sign-in → ready ms | sign-in → chat list ms | events replayed |");
    console.log("|---|---|---|---|");
    console.log(replay.line);
    console.log(fresh.line);
    console.log(`fresh vs replay: ready ${(median(fresh.ready) / median(replay.ready)).toFixed(2)}×, chat list ${(median(fresh.list) / median(replay.list)).toFixed(2)}×`);
    console.log(JSON.stringify({ events: EVENTS, runs: RUNS, replay: { readyMs: median(replay.ready), listMs: median(replay.list) }, fresh: { readyMs: median(fresh.ready), listMs: median(fresh.list) } }));
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
