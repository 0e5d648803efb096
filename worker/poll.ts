// Polling at scale (docs/connectors.md, "Polling"): Cron does no network I/O. Each tick picks
// the accounts that are due from D1, in bounded batches, and sends them to a Queue; the
// consumer asks each account's link to poll (in parallel, each with a deadline, so one slow
// network never holds the others) and writes when each wants its next poll. The same code
// serves ten accounts under `wrangler dev`, which runs Queues locally, and many thousands.
import { and, asc, eq, isNotNull, lte } from "drizzle-orm";
import { linkOf } from "../durable-objects/stubs";
import { db } from "./db/client";
import { accounts } from "./db/schema";
import type { Env } from "./env";

/** Accounts sent to the queue per tick at most; the rest wait for the next minute. */
export const PER_TICK = 5_000;
/** How long an enqueued account is not picked again, in case its consumer dies. */
const LEASE_MS = 5 * 60_000;
/** A poll that takes longer than this is given up (the link's own fetch timeouts are shorter). */
const POLL_DEADLINE_MS = 25_000;
/** After a failed poll with no answer, try again in this long. */
const RETRY_MS = 2 * 60_000;

export type PollMessage = { account: string };

/** The Cron tick's share: due accounts to the queue, leased so the next tick does not send them twice. */
export async function enqueueDue(env: Env, now = Date.now()): Promise<number> {
  const d = db(env.DB);
  const due = await d
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(isNotNull(accounts.nextPollAt), lte(accounts.nextPollAt, now)))
    .orderBy(asc(accounts.nextPollAt))
    .limit(PER_TICK);
  if (due.length === 0) return 0;
  // sendBatch takes at most 100 messages; D1 binds at most 100 parameters per statement.
  for (let i = 0; i < due.length; i += 100) {
    const part = due.slice(i, i + 100);
    await env.POLL_QUEUE.sendBatch(part.map((a) => ({ body: { account: a.id } satisfies PollMessage })));
    await d.batch(part.map((a) => d.update(accounts).set({ nextPollAt: now + LEASE_MS }).where(eq(accounts.id, a.id))) as [never, ...never[]]);
  }
  return due.length;
}

/** The queue consumer: one poll per message, all at once; each account's next poll time written back. */
export async function consumePolls(batch: MessageBatch<PollMessage>, env: Env): Promise<void> {
  const d = db(env.DB);
  const results = await Promise.all(
    batch.messages.map(async (m) => {
      const nextAt = await withDeadline(linkOf(env, m.body.account).poll(), POLL_DEADLINE_MS)
        .then((r) => r.nextAt)
        .catch((err) => {
          console.log(JSON.stringify({ event: "poll.failed", account: m.body.account, error: String(err) }));
          return Date.now() + RETRY_MS;
        });
      m.ack();
      return { account: m.body.account, nextAt };
    }),
  );
  const updates = results.map((r) => d.update(accounts).set({ nextPollAt: r.nextAt }).where(eq(accounts.id, r.account)));
  if (updates.length > 0) await d.batch(updates as [never, ...never[]]);
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms))]);
}
