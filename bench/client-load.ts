// Time from navigation to (a) the chat list rendered from the device cache and (b) the
// socket's `ready`, in Chromium at phone size with 4× CPU throttling and DevTools'
// "Fast 3G" profile. Measured, not asserted. The client marks both moments with
// performance.mark("unibox:chats-from-cache" | "unibox:ready").
// Run: npm run bench:client (builds the client first).
import WebSocket from "ws";
import { type DevServer, startDevServer } from "../test/support/dev-server";
import { launchChromium, newPhone, person, signUp, waitConnected, waitForServiceWorker } from "../test/browser/support";

const RUNS = Number(process.env.RUNS ?? 5);
// Chrome DevTools' "Fast 3G" preset (also Lighthouse's mobile throttling).
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8, uploadThroughput: (750 * 1024 * 0.9) / 8 };

async function json(server: DevServer, path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const res = await fetch(server.url + path, {
    method: init.method ?? "GET",
    headers: { "Content-Type": "application/json", ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
}

/** A friend who has sent a few messages, so the chat list has something to show. */
async function seedFriend(server: DevServer, handle: string, acceptAs: (id: string) => Promise<void>) {
  const p = person("Bench");
  const { token } = await json(server, "/api/auth/register", { method: "POST", body: { handle: p.handle, phone: p.phone, password: p.password, displayName: "Bench Friend" } });
  const { request } = await json(server, "/api/friends/requests", { method: "POST", token, body: { to: handle, message: "bench" } });
  await acceptAs(request.id);
  const ws = new WebSocket(server.url.replace("http", "ws") + "/api/ws", { headers: { Authorization: `Bearer ${token}` } });
  await new Promise((r) => ws.once("open", r));
  const me = await json(server, "/api/me", { token });
  const { friends } = await json(server, "/api/friends", { token });
  const to = friends[0].user.id as string;
  ws.send(JSON.stringify({ t: "hello" }));
  for (let i = 0; i < 20; i++) {
    const id = `bench-${me.user.id}-${i}`;
    ws.send(JSON.stringify({ t: "send", id, to: { user: to }, body: { type: "text", text: `message ${i}` } }));
    await new Promise<void>((resolve) => ws.on("message", function onMsg(d) {
      if (String(d).includes(`"accepted"`) && String(d).includes(id)) { ws.off("message", onMsg); resolve(); }
    }));
  }
  ws.close();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  try {
    const { page } = await newPhone(browser, server.url);
    const who = person("Reader");
    await signUp(page, who);
    await seedFriend(server, who.handle, async (id) => {
      await page.evaluate((rid) => fetch(`/api/friends/requests/${rid}/accept`, { method: "POST" }), id);
    });
    await page.locator("a.row[data-conv]").waitFor();
    await waitForServiceWorker(page);

    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    await cdp.send("Network.emulateNetworkConditions", FAST_3G);

    const marks = async () =>
      page.evaluate(() => Object.fromEntries(["unibox:chats-from-cache", "unibox:ready"].map((n) => [n, performance.getEntriesByName(n)[0]?.startTime ?? null])));
    const cache: number[] = [];
    const ready: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.reload();
      await waitConnected(page);
      await page.waitForFunction(() => performance.getEntriesByName("unibox:ready").length > 0);
      const m = await marks();
      cache.push(m["unibox:chats-from-cache"]!);
      ready.push(m["unibox:ready"]!);
    }

    // For comparison: a first visit on a fresh phone (no service worker, no cache), signing in.
    const cold = await newPhone(browser, server.url);
    const coldCdp = await cold.context.newCDPSession(cold.page);
    await coldCdp.send("Network.enable");
    await coldCdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    await coldCdp.send("Network.emulateNetworkConditions", FAST_3G);
    const t0 = Date.now();
    await cold.page.goto("/");
    await cold.page.locator("#login").waitFor();
    const signInScreenMs = Date.now() - t0;

    const fmt = (xs: number[]) => `median ${Math.round(median(xs))} ms (runs: ${xs.map((x) => Math.round(x)).join(", ")})`;
    console.log("Chromium 360×740, 4× CPU throttle, Fast 3G (562.5 ms RTT, 1.44 Mbit/s down), warm (service worker + IndexedDB)");
    console.log(`  navigation → chat list rendered from cache: ${fmt(cache)}`);
    console.log(`  navigation → socket ready:                  ${fmt(ready)}`);
    console.log(`cold first visit (nothing cached) → sign-in form usable: ${signInScreenMs} ms`);
    console.log(JSON.stringify({ chatsFromCacheMs: median(cache), readyMs: median(ready), coldSignInMs: signInScreenMs, runs: RUNS }));
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
