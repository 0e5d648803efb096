// Polling in workerd: the real scheduled() and queue() handlers, the real links and hubs,
// against a real feed server on 127.0.0.1 (test/support/feed-global.ts). The Queue between
// them is played by the test, which hands the queue handler what Cron sent (wrangler dev
// runs the real Queue: test/e2e/accounts/feed.test.ts and bench/poll.ts).
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { Post } from "../core/protocol";
import type { SetFeed } from "../test/support/feed-global";
import worker from "./index";
import { LEASE_CHUNK, LEASE_MS, PER_MESSAGE, type PollMessage } from "./poll";
import { api, register } from "./test/helpers";

const control = inject("feedControl");
const origin = inject("feedOrigin");
let nextPath = 0;

const item = (n: number) => ({ id: `e-${n}`, link: `${origin}/p/${n}`, title: `Entry ${n}`, content: `<p>Body ${n}</p>`, date: new Date(Date.UTC(2026, 10, n)).toISOString() });
async function serve(path: string, ns: number[], opts?: SetFeed["opts"]) {
  const body: SetFeed = { path, meta: { title: "Workerd blog", link: `${origin}/` }, items: ns.map(item), ...(opts ? { opts } : {}) };
  expect((await fetch(`${control}/set`, { method: "POST", body: JSON.stringify(body) })).status).toBe(204);
}
const stats = async (path: string) => (await (await fetch(`${control}/stats?path=${encodeURIComponent(path)}`)).json()) as { requests: number; notModified: number; failed: number };

/** A Queue stand-in that keeps what Cron sent (and each message's delay), so the test can hand it to the consumer. */
function recordingQueue() {
  const sent: PollMessage[][] = [];
  const delays: number[] = [];
  const queue = {
    send: async (m: PollMessage) => void sent.push([m]),
    sendBatch: async (ms: { body: PollMessage; delaySeconds?: number }[]) => {
      sent.push(ms.map((m) => m.body));
      delays.push(...ms.map((m) => m.delaySeconds ?? 0));
    },
  };
  return { sent, delays, queue: queue as unknown as typeof env.POLL_QUEUE };
}

let lastDelays: number[] = [];
async function tick(): Promise<PollMessage[][]> {
  const { sent, delays, queue } = recordingQueue();
  lastDelays = delays;
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), { ...env, POLL_QUEUE: queue }, ctx);
  await waitOnExecutionContext(ctx);
  return sent;
}

async function consume(messages: PollMessage[]) {
  const batch = createMessageBatch<PollMessage>("unibox-poll", messages.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

const nextPollOf = async (id: string) => (await env.DB.prepare("SELECT next_poll_at AS at FROM accounts WHERE id = ?").bind(id).first<{ at: number | null }>())!.at;
const makeDue = (id: string) => env.DB.prepare("UPDATE accounts SET next_poll_at = ? WHERE id = ?").bind(Date.now() - 1, id).run();
const feedOf = async (token: string) => ((await api("/api/feed", { token })).data as { posts: Post[] }).posts;

async function bindFeed(token: string, path: string) {
  const res = await api("/api/accounts", { method: "POST", token, json: { network: "feed", credentials: { url: `${origin}${path}` } } });
  expect(res.status, JSON.stringify(res.data)).toBe(201);
  return res.data.account.id as string;
}

describe("polling through scheduled() and queue() in workerd", () => {
  it("a bound feed: new entries once, the 304 path, nothing doubled, the next poll written back", async () => {
    const u = await register("pollfeed");
    const path = `/feed-${++nextPath}.xml`;
    await serve(path, [3, 2, 1]);
    const id = await bindFeed(u.token, path);

    const first = await tick();
    expect(first.flat().flatMap((m) => ("accounts" in m ? m.accounts : [m.account]))).toContain(id);
    expect(await nextPollOf(id)).toBeGreaterThan(Date.now() + LEASE_MS - 60_000); // leased while queued
    expect(lastDelays).toEqual([0]); // due now: delivered at once
    const result = await consume(first.flat());
    expect(result.ackAll).toBe(true); // acked only after the write-back
    expect((await feedOf(u.token)).map((p) => p.text.split("\n")[0])).toEqual(["Entry 3", "Entry 2", "Entry 1"]);
    // The link asked for its next poll at the away cadence (the user has no socket open).
    const next = (await nextPollOf(id))!;
    expect(next).toBeGreaterThan(Date.now() + 60_000);
    expect(next).toBeLessThan(Date.now() + LEASE_MS);

    // Not due before the next tick: Cron sends nothing for it.
    expect((await tick()).flat().flatMap((m) => ("accounts" in m ? m.accounts : []))).not.toContain(id);
    // Due within the next minute: queued now, delivered when it is due (not a tick late).
    await env.DB.prepare("UPDATE accounts SET next_poll_at = ? WHERE id = ?").bind(Date.now() + 40_000, id).run();
    const early = await tick();
    expect(early.flat().flatMap((m) => ("accounts" in m ? m.accounts : []))).toContain(id);
    expect(lastDelays[0]).toBeGreaterThanOrEqual(38);
    expect(lastDelays[0]).toBeLessThanOrEqual(40);
    await consume(early.flat());

    // Due, unchanged: a conditional GET answered 304, no post.
    const before = await stats(path);
    await makeDue(id);
    await consume((await tick()).flat());
    expect((await stats(path)).notModified).toBe(before.notModified + 1);
    expect(await feedOf(u.token)).toHaveLength(3);

    // Two new entries: exactly those, once; the same again changes nothing.
    await serve(path, [5, 4, 3, 2, 1]);
    await makeDue(id);
    await consume((await tick()).flat());
    await makeDue(id);
    await consume((await tick()).flat());
    expect((await feedOf(u.token)).map((p) => p.text.split("\n")[0])).toEqual(["Entry 5", "Entry 4", "Entry 3", "Entry 2", "Entry 1"]);
  });

  it("a failing feed backs off alone: the other account in the same batch is polled and written back", async () => {
    const u = await register("pollfail");
    const good = `/feed-${++nextPath}.xml`;
    const bad = `/feed-${++nextPath}.xml`;
    await serve(good, [1]);
    await serve(bad, [1]);
    const goodId = await bindFeed(u.token, good);
    const badId = await bindFeed(u.token, bad);
    await consume((await tick()).flat());
    await serve(good, [2, 1]);
    await serve(bad, [2, 1], { failAfter: 0, failStatus: 503 });
    await makeDue(goodId);
    await makeDue(badId);
    const messages = (await tick()).flat();
    await consume(messages);
    const texts = (await feedOf(u.token)).map((p) => `${p.account}:${p.text.split("\n")[0]}`);
    expect(texts).toContain(`${goodId}:Entry 2`);
    expect(texts).not.toContain(`${badId}:Entry 2`);
    expect((await stats(bad)).failed).toBeGreaterThan(0);
    // The good one at its cadence; the failing one backs off (2 s doubling, ±20 %), still on the schedule.
    const [g, b] = [(await nextPollOf(goodId))!, (await nextPollOf(badId))!];
    expect(g - Date.now()).toBeGreaterThan(60_000);
    expect(b - Date.now()).toBeGreaterThan(2_000);
    expect(b - Date.now()).toBeLessThan(5_000);
    await makeDue(badId);
    await consume((await tick()).flat());
    const again = (await nextPollOf(badId))! - Date.now();
    expect(again).toBeGreaterThan(5_000);
    expect(again).toBeLessThan(10_000);
    // A drop shorter than ACCOUNT_BLIP_SECONDS is not shown: the account still says connected.
    const account = ((await api("/api/accounts", { token: u.token })).data.accounts as { id: string; state: string }[]).find((a) => a.id === badId)!;
    expect(account.state).toBe("connected");
  });

  it("a 429's Retry-After holds even when a poll is asked for early: no request before it", async () => {
    const u = await register("poll429");
    const path = `/feed-${++nextPath}.xml`;
    await serve(path, [1]);
    const id = await bindFeed(u.token, path);
    await consume((await tick()).flat());
    await serve(path, [2, 1], { failAfter: 0, failStatus: 429, retryAfterS: 90 });
    await makeDue(id);
    await consume((await tick()).flat());
    const told = (await nextPollOf(id))!;
    expect(told - Date.now()).toBeGreaterThan(85_000);
    expect(told - Date.now()).toBeLessThanOrEqual(90_000);
    const before = (await stats(path)).requests;
    // A queue message can arrive before this account is due (it rides with the first of its ten):
    // the link answers with the wait it was told and does not touch the server.
    await consume([{ accounts: [id] }]);
    expect((await stats(path)).requests).toBe(before);
    expect(Math.abs((await nextPollOf(id))! - told)).toBeLessThan(1_000);
  });

  it("leases in chunks, queues ten accounts a message, and a second tick sends none of them again", async () => {
    const u = await register("pollmany");
    const now = Date.now();
    const n = LEASE_CHUNK + 500;
    const ids = Array.from({ length: n }, (_, i) => `a_bulk${String(i).padStart(6, "0")}`);
    for (let i = 0; i < n; i += 50) {
      await env.DB.batch(ids.slice(i, i + 50).map((id) => env.DB.prepare("INSERT INTO accounts (id, owner, network, label, remote, created_at, next_poll_at) VALUES (?, ?, 'feed', 'bulk', 'x', ?, ?)").bind(id, u.user.id, now, now - 1000)));
    }
    // Not due before the next tick, and never polled: neither is picked.
    await env.DB.prepare("INSERT INTO accounts (id, owner, network, label, remote, created_at, next_poll_at) VALUES ('a_later', ?, 'feed', 'l', 'x', ?, ?), ('a_never', ?, 'feed', 'n', 'x', ?, NULL)").bind(u.user.id, now, now + 90_000, u.user.id, now).run();

    const sent = await tick();
    const messages = sent.flat();
    const queued = messages.flatMap((m) => ("accounts" in m ? m.accounts : [m.account]));
    // Every bulk account exactly once (accounts of the tests before may be due too).
    expect(queued.filter((id) => id.startsWith("a_bulk")).sort()).toEqual(ids);
    expect(queued).toHaveLength(new Set(queued).size);
    expect(queued).not.toContain("a_later");
    expect(queued).not.toContain("a_never");
    expect(Math.max(...messages.map((m) => ("accounts" in m ? m.accounts.length : 1)))).toBe(PER_MESSAGE);
    expect(Math.max(...sent.map((b) => b.length))).toBeLessThanOrEqual(100); // sendBatch's limit
    // Leased a lease past their due time (1 s ago).
    const leased = await env.DB.prepare("SELECT COUNT(*) AS n FROM accounts WHERE id LIKE 'a_bulk%' AND next_poll_at = ?").bind(now - 1000 + LEASE_MS).first<{ n: number }>();
    expect(leased!.n).toBe(n);
    expect((await tick()).flat().flatMap((m) => ("accounts" in m ? m.accounts : [m.account])).filter((id) => id.startsWith("a_bulk"))).toEqual([]);

    // Accounts without a link (rows only) are polled as "nothing to poll" and leave the schedule.
    await consume(messages.slice(0, 3));
    const first = messages.slice(0, 3).flatMap((m) => ("accounts" in m ? m.accounts : []));
    for (const id of first) expect(await nextPollOf(id)).toBeNull();
  });
});
