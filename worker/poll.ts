// Polling at scale (docs/architecture.md, "Polling"): Cron does no network I/O. Each tick
// leases the accounts that are due from D1, in bounded chunks, and sends them to a Queue,
// several accounts to a message; the consumer asks each account's link to poll (all at once,
// each with a deadline, so one slow network never holds the others) and writes back when each
// wants its next poll. The same code serves ten accounts under `wrangler dev`, which runs
// Queues locally, and 100,000 on Cloudflare (the numbers are in docs/performance.md).
import { and, asc, eq, inArray, isNotNull, lte, sql } from "drizzle-orm";
import { linkOf } from "../durable-objects/stubs";
import { db } from "./db/client";
import { accounts } from "./db/schema";
import type { Env } from "./env";

/** Accounts leased per tick at most (100,000 accounts every 2 minutes is 50,000 a minute); the rest wait a minute. */
export const PER_TICK = 60_000;
/** Accounts leased by one D1 statement. */
export const LEASE_CHUNK = 2_000;
/** Accounts per queue message: a queue operation per 10 accounts instead of per account. */
export const PER_MESSAGE = 10;
/** Messages per sendBatch, the Queues limit (and ≤ 256 KB: 100 × 10 ids is about 25 KB). */
const SEND_BATCH = 100;
/** How long past its due time a leased account is not picked again, in case its consumer dies before writing back. */
export const LEASE_MS = 5 * 60_000;
/** The Cron trigger's period (wrangler.toml: every minute). */
export const TICK_MS = 60_000;
/** A poll that takes longer than this is given up (the link's own fetch timeouts are shorter). */
const POLL_DEADLINE_MS = 25_000;
/** After a poll that failed with no answer from the link, try again in this long. */
const RETRY_MS = 2 * 60_000;

/** `{account}` was one account a message; kept readable for messages still queued from before. */
export type PollMessage = { accounts: string[] } | { account: string };
type Polled = { account: string; nextAt: number | null; ms: number; failed: boolean };

const accountsOf = (m: PollMessage): string[] => ("accounts" in m ? m.accounts : [m.account]);

/**
 * The Cron tick's share: the accounts due before the next tick, leased (so the next tick does
 * not send them again) and queued to be delivered when each is due. Without the delay an
 * account due a second after a tick waited for the next one: a 2-minute cadence became 3.
 */
export async function enqueueDue(env: Env, now = Date.now()): Promise<number> {
  let total = 0;
  while (total < PER_TICK) {
    const due = await leaseDue(env, now, Math.min(LEASE_CHUNK, PER_TICK - total));
    await queueAccounts(env, due, now);
    total += due.length;
    if (due.length < LEASE_CHUNK) break;
  }
  if (total > 0) console.log(JSON.stringify({ event: "poll.enqueued", accounts: total, messages: Math.ceil(total / PER_MESSAGE), ms: Date.now() - now, full: total === PER_TICK }));
  return total;
}

/**
 * One statement picks the accounts due before the next tick, most overdue first, and moves
 * each one's next poll a lease past its due time (returning that due time), so two ticks
 * that overlap can never both take an account.
 */
async function leaseDue(env: Env, now: number, limit: number): Promise<{ id: string; due: number }[]> {
  const d = db(env.DB);
  const due = d
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(isNotNull(accounts.nextPollAt), lte(accounts.nextPollAt, now + TICK_MS)))
    .orderBy(asc(accounts.nextPollAt))
    .limit(limit);
  const leased = await d
    .update(accounts)
    .set({ nextPollAt: sql`${accounts.nextPollAt} + ${LEASE_MS}` })
    .where(inArray(accounts.id, due))
    .returning({ id: accounts.id, due: sql<number>`${accounts.nextPollAt} - ${LEASE_MS}` });
  return leased.sort((a, b) => a.due - b.due);
}

/** Ten accounts a message, in due order; a message is delivered when its first account is due. */
async function queueAccounts(env: Env, due: { id: string; due: number }[], now: number): Promise<void> {
  const messages: { body: PollMessage; delaySeconds?: number }[] = [];
  for (let i = 0; i < due.length; i += PER_MESSAGE) {
    const part = due.slice(i, i + PER_MESSAGE);
    const delaySeconds = Math.ceil(Math.max(0, part[0]!.due - now) / 1000); // never before it is due
    messages.push({ body: { accounts: part.map((a) => a.id) }, ...(delaySeconds > 0 ? { delaySeconds } : {}) });
  }
  for (let i = 0; i < messages.length; i += SEND_BATCH) await env.POLL_QUEUE.sendBatch(messages.slice(i, i + SEND_BATCH));
}

/** An account to be polled at the next tick (new credentials after it had stopped). */
export async function pollSoon(env: Env, account: string, now = Date.now()): Promise<void> {
  await db(env.DB).update(accounts).set({ nextPollAt: now }).where(eq(accounts.id, account));
}

/**
 * The queue consumer: every account of every message polled at once, each account's next
 * poll written back in one D1 batch, and only then the messages acked. A consumer that dies
 * before that leaves the leases to run out, and the accounts are polled again (the hub
 * dedupes, the links keep their cursors).
 */
export async function consumePolls(batch: MessageBatch<PollMessage>, env: Env): Promise<void> {
  const started = Date.now();
  const ids = [...new Set(batch.messages.flatMap((m) => accountsOf(m.body)))];
  const polled = await Promise.all(ids.map((id) => pollOne(env, id)));
  const d = db(env.DB);
  const updates = polled.map((r) => d.update(accounts).set({ nextPollAt: r.nextAt }).where(eq(accounts.id, r.account)));
  for (let i = 0; i < updates.length; i += 100) await d.batch(updates.slice(i, i + 100) as [never, ...never[]]);
  batch.ackAll();
  const failed = polled.filter((r) => r.failed).length;
  const slowest = Math.max(0, ...polled.map((r) => r.ms));
  console.log(JSON.stringify({ event: "poll.batch", messages: batch.messages.length, accounts: ids.length, failed, slowestMs: slowest, startedAt: started, ms: Date.now() - started }));
}

async function pollOne(env: Env, account: string): Promise<Polled> {
  const started = Date.now();
  try {
    const { nextAt } = await withDeadline(linkOf(env, account).poll(), POLL_DEADLINE_MS);
    return { account, nextAt, ms: Date.now() - started, failed: false };
  } catch (err) {
    console.log(JSON.stringify({ event: "poll.failed", account, error: String(err) }));
    return { account, nextAt: Date.now() + RETRY_MS, ms: Date.now() - started, failed: true };
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)));
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
