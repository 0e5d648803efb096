// Polling at scale on this machine: ACCOUNTS feed accounts bound through the real API (each a
// real feed on a local HTTP server), their users offline, so every poll comes from Cron →
// Queue → the account's link, at the real away cadence (2 minutes). Cron is fired every
// TICK_S seconds as Cloudflare fires it every minute. Each round is every account polled
// once; between rounds 1 and 2 every feed gets a new entry (a full fetch and a post each),
// round 3 finds nothing new (304s). Measured, not asserted: prints markdown, writes JSON.
// Run: npm run bench:poll   (ACCOUNTS=1000 USERS=20 ROUNDS=3 TICK_S=60 by default)
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { bind, call, fireCron, type Session, signUp } from "../test/support/accounts";
import { type DevServer, startDevServer } from "../test/support/dev-server";
import { CONTENT_TYPES, type FeedItem, FeedServer, rss } from "../test/support/feed-server";
import { groupCpuSeconds, machine } from "./lib/proc";
import { percentile } from "./lib/stats";

const ACCOUNTS = Number(process.env.ACCOUNTS ?? 1000);
const USERS = Number(process.env.USERS ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TICK_S = Number(process.env.TICK_S ?? 60);
const BIND_CONCURRENCY = 8;
/** The feed connector's away cadence (worker/connectors/feed: pollEvery.away). */
const INTERVAL_S = 120;

type Enqueued = { accounts: number; messages: number; ms: number; full: boolean };
type Batch = { messages: number; accounts: number; failed: number; slowestMs: number; startedAt: number; ms: number };
type Round = { round: number; startedAt: number; ticks: number; enqueued: number[]; tookS: number; pollsPerS: number; firstPollAfterTickS: number; cpuS: number };

const item = (i: number, n: number): FeedItem => ({ id: `f${i}-e${n}`, link: `http://127.0.0.1/f/${i}/${n}`, title: `Feed ${i} entry ${n}`, content: `<p>entry ${n}</p>`, date: new Date(Date.UTC(2026, 10, 1 + n)) });
const path = (i: number) => `/f/${i}.xml`;

async function main() {
  const host = machine();
  console.error(`machine: ${host.nproc} × ${host.cpuModel}; ${ACCOUNTS} accounts over ${USERS} users, cron every ${TICK_S} s, ${ROUNDS} rounds`);
  const feeds = await new FeedServer().start();
  for (let i = 0; i < ACCOUNTS; i++) feeds.set(path(i), rss({ title: `Feed ${i}`, link: feeds.url("/") }, [item(i, 2), item(i, 1)]), CONTENT_TYPES.rss);
  const server = await startDevServer();
  const pgid = groupOf(server);
  try {
    const users: Session[] = [];
    for (let u = 0; u < USERS; u++) users.push(await signUp(server.url, "pollb"));
    const bindStarted = Date.now();
    await pool(ACCOUNTS, BIND_CONCURRENCY, async (i) => {
      const res = await bind(server.url, users[i % USERS]!, "feed", { url: feeds.url(path(i)) }, `feed ${i}`);
      if (res.status !== 201) throw new Error(`bind ${i}: ${res.status} ${JSON.stringify(res.body)}`);
    });
    const bindS = (Date.now() - bindStarted) / 1000;
    console.error(`bound ${ACCOUNTS} in ${bindS.toFixed(1)} s`);

    // Each path was fetched once by its verify at bind; round r is done at 1 + r requests.
    const seen: number[][] = Array.from({ length: ACCOUNTS }, () => []);
    const watch = setInterval(() => {
      const now = Date.now();
      for (let i = 0; i < ACCOUNTS; i++) while (seen[i]!.length < feeds.stats(path(i)).requests - 1) seen[i]!.push(now);
    }, 100);
    const rounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      if (r === 2) for (let i = 0; i < ACCOUNTS; i++) feeds.set(path(i), rss({ title: `Feed ${i}`, link: feeds.url("/") }, [item(i, 3), item(i, 2), item(i, 1)]), CONTENT_TYPES.rss);
      rounds.push(await round(server, pgid, r, seen));
      console.error(`round ${r}: ${ACCOUNTS} polls in ${rounds.at(-1)!.tookS.toFixed(1)} s after the first tick that had them due`);
    }
    clearInterval(watch);

    const logs = events(server.logs());
    const batches = logs.filter((e) => e.event === "poll.batch") as unknown as Batch[];
    const enqueued = logs.filter((e) => e.event === "poll.enqueued") as unknown as Enqueued[];
    const spacing = seen.flatMap((times) => times.slice(1).map((t, k) => (t - times[k]!) / 1000));
    const posts = await postsOf(server, users);
    const result = {
      at: new Date().toISOString(), machine: host, accounts: ACCOUNTS, users: USERS, tickS: TICK_S, intervalS: INTERVAL_S, bindS,
      rounds, enqueuedPerTick: enqueued.map((e) => e.accounts), enqueueMs: summary(enqueued.map((e) => e.ms)),
      batches: { count: batches.length, accounts: summary(batches.map((b) => b.accounts)), ms: summary(batches.map((b) => b.ms)), slowestPollMs: summary(batches.map((b) => b.slowestMs)), failed: batches.reduce((n, b) => n + b.failed, 0), maxConcurrent: concurrency(batches) },
      spacingS: summary(spacing), postsStored: posts, postsExpected: ACCOUNTS * 3,
      linkFailures: tally(logs.filter((e) => e.event === "link.poll_failed").map((e) => String(e.error).slice(0, 100))),
    };
    const file = join(dirname(new URL(import.meta.url).pathname), "results", `poll-${result.at.replace(/[:.]/g, "-")}.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(result, null, 2));
    console.log(markdown(result));
    console.error(`full results: ${file}`);
  } finally {
    await server.stop();
    await feeds.stop();
  }
}

/** Fires Cron every TICK_S until every account has been polled `r` times. */
async function round(server: DevServer, pgid: number, r: number, seen: number[][]): Promise<Round> {
  const enqueued: number[] = [];
  const cpu0 = groupCpuSeconds(pgid);
  let firstDueTick = 0;
  let ticks = 0;
  for (;;) {
    const before = events(server.logs()).filter((e) => e.event === "poll.enqueued").length;
    const tickAt = Date.now();
    await fireCron(server.url);
    ticks++;
    await sleep(1500);
    const got = events(server.logs()).filter((e) => e.event === "poll.enqueued").slice(before).reduce((n, e) => n + (e.accounts as number), 0);
    enqueued.push(got);
    if (got > 0 && firstDueTick === 0) firstDueTick = tickAt;
    const deadline = tickAt + TICK_S * 1000;
    while (Date.now() < deadline && !seen.every((t) => t.length >= r)) await sleep(200);
    if (seen.every((t) => t.length >= r)) {
      const last = Math.max(...seen.map((t) => t[r - 1]!));
      const first = Math.min(...seen.map((t) => t[r - 1]!));
      const took = (last - firstDueTick) / 1000;
      // Wait out the rest of the tick, as Cron would.
      while (Date.now() < deadline) await sleep(200);
      return { round: r, startedAt: firstDueTick, ticks, enqueued, tookS: took, pollsPerS: seen.length / Math.max(0.1, took), firstPollAfterTickS: (first - firstDueTick) / 1000, cpuS: groupCpuSeconds(pgid) - cpu0 };
    }
    if (ticks > 10) throw new Error(`round ${r} did not finish in 10 ticks: ${seen.filter((t) => t.length < r).length} accounts not polled`);
  }
}

async function postsOf(server: DevServer, users: Session[]): Promise<number> {
  let n = 0;
  for (const u of users) {
    let before: string | undefined;
    do {
      const page = (await call(server.url, `/api/feed?limit=200${before ? `&before=${before}` : ""}`, { token: u.token })) as { posts: unknown[]; before?: string };
      n += page.posts.length;
      before = page.before;
    } while (before);
  }
  return n;
}

function markdown(r: { linkFailures: Record<string, number>; accounts: number; tickS: number; bindS: number; rounds: Round[]; enqueueMs: ReturnType<typeof summary>; batches: { count: number; accounts: ReturnType<typeof summary>; ms: ReturnType<typeof summary>; slowestPollMs: ReturnType<typeof summary>; failed: number; maxConcurrent: number }; spacingS: ReturnType<typeof summary>; postsStored: number; postsExpected: number }) {
  const lines = [
    `| round | ticks | accounts per tick | all polled after the first due tick | polls/s | server CPU s | CPU ms per poll |`,
    `|---|---|---|---|---|---|---|`,
    ...r.rounds.map((x) => `| ${x.round} | ${x.ticks} | ${x.enqueued.join(", ")} | ${x.tookS.toFixed(1)} s | ${x.pollsPerS.toFixed(0)} | ${x.cpuS.toFixed(1)} | ${((x.cpuS * 1000) / r.accounts).toFixed(1)} |`),
    "",
    `- bind: ${r.accounts} accounts in ${r.bindS.toFixed(1)} s; enqueue per tick: median ${r.enqueueMs.p50} ms, max ${r.enqueueMs.max} ms`,
    `- consumer batches: ${r.batches.count}, accounts per batch median ${r.batches.accounts.p50} (max ${r.batches.accounts.max}), batch time median ${r.batches.ms.p50} ms (p95 ${r.batches.ms.p95}, max ${r.batches.ms.max}), slowest poll in a batch median ${r.batches.slowestPollMs.p50} ms, at most ${r.batches.maxConcurrent} batches at once, ${r.batches.failed} failed polls`,
    `- one account's polls were ${r.spacingS.p50} s apart (median; min ${r.spacingS.min}, max ${r.spacingS.max}) with a ${INTERVAL_S} s interval and ${r.tickS} s ticks`,
    `- posts stored: ${r.postsStored} of ${r.postsExpected} expected (2 entries at the first poll, 1 new in round 2, none after)`,
    `- polls that failed at the link: ${Object.entries(r.linkFailures).map(([k, n]) => `${n} × ${k}`).join("; ") || "none"}`,
  ];
  return lines.join("\n");
}

function summary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return s.length === 0 ? { n: 0, min: 0, p50: 0, p95: 0, max: 0 } : { n: s.length, min: r(s[0]!), p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), max: r(s.at(-1)!) };
}

function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** The most consumer batches that were running at the same moment. */
function concurrency(batches: Batch[]): number {
  const edges = batches.flatMap((b) => [[b.startedAt, 1], [b.startedAt + b.ms, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (now += d));
  return max;
}

function events(logs: string): Record<string, unknown>[] {
  return [...logs.matchAll(/\{"event":"(?:poll|link\.poll)[^\n]*?\}(?=\s|$)/g)].map((m) => JSON.parse(m[0]) as Record<string, unknown>);
}

/** The dev server's process group (wrangler is spawned detached, so it leads one). */
function groupOf(server: DevServer): number {
  const pid = execFileSync("pgrep", ["-f", `persist-to ${server.stateDir}`], { encoding: "utf8" }).trim().split("\n")[0]!;
  return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2]);
}

async function pool(n: number, width: number, run: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await run(next++);
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await main();
