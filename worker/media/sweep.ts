// Uploads that no message ever carried are deleted after UNSENT_MAX_AGE_MS. Only the
// owner's hub knows whether a message carries an upload (the send path does no D1), so
// the sweep asks it, and the hub answers and forgets in one step: what it releases can
// no longer be sent (a late send gets `invalid_media`, never a message pointing at
// nothing), and what any message of the owner carries, or a send still on its way,
// stays. The answer "carried" is written to `media.sent_at` (as is a recipient's first
// view, routes/media.ts), so a sent upload is asked about once and then never again.
import { and, inArray, isNull, lt } from "drizzle-orm";
import { db } from "../db/client";
import { media } from "../db/schema";
import type { Env } from "../env";
import { hubOf } from "../../durable-objects/stubs";

/** Long enough for a phone to upload, go offline and send from its outbox days later. */
export const UNSENT_MAX_AGE_MS = 7 * 86_400_000;
const BATCH = 200;

export async function sweepUnsentMedia(env: Env, now = Date.now()): Promise<{ deleted: number; sent: number }> {
  const d = db(env.DB);
  const rows = await d
    .select({ id: media.id, owner: media.owner, key: media.key })
    .from(media)
    .where(and(isNull(media.sentAt), lt(media.createdAt, now - UNSENT_MAX_AGE_MS)))
    .limit(BATCH);
  const byOwner = new Map<string, typeof rows>();
  for (const r of rows) byOwner.set(r.owner, [...(byOwner.get(r.owner) ?? []), r]);
  let deleted = 0;
  let sent = 0;
  for (const [owner, mine] of byOwner) {
    try {
      const { released, carried } = await hubOf(env, owner).releaseUnsentMedia(mine.map((r) => r.id));
      if (carried.length > 0) await d.update(media).set({ sentAt: now }).where(inArray(media.id, carried));
      const gone = mine.filter((r) => released.includes(r.id));
      // Object first, row last: if the row delete fails, the next sweep finds the row again.
      if (gone.length > 0) {
        await env.MEDIA.delete(gone.map((r) => r.key));
        await d.delete(media).where(inArray(media.id, gone.map((r) => r.id)));
      }
      deleted += gone.length;
      sent += carried.length;
    } catch (err) {
      // One owner's hub failing keeps their uploads (never a wrong delete) and not the others'.
      console.error(`Error in media sweep: owner=${owner}`, err);
    }
  }
  return { deleted, sent };
}
