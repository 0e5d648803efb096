// How many bytes of media a user may keep (MEDIA_QUOTA_BYTES): every upload counts until
// the sweep removes it as never sent (sweep.ts). An upload that would pass the quota is a
// 413 with what is used and allowed; a flood of uploads is a 429 (RATE_UPLOADS) first.
import { eq, sum } from "drizzle-orm";
import { db } from "../db/client";
import { media } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../errors";

export async function quotaLeft(env: Env, owner: string): Promise<number> {
  const [row] = await db(env.DB).select({ used: sum(media.size) }).from(media).where(eq(media.owner, owner));
  return Number(env.MEDIA_QUOTA_BYTES) - Number(row?.used ?? 0);
}

export const quotaExceeded = (env: Env) =>
  new ApiError("media_quota_exceeded", "your uploads have used up your storage", { limit: Number(env.MEDIA_QUOTA_BYTES) });
