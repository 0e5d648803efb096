// How callers reach the Durable Objects: by name, so every caller reaches the same object.
// (The benchmark counts the calls made through these: call-count.ts.)
import type { Env } from "../worker/env";
import { counted } from "./call-count";

/** The user's push engine, named by user id. */
export const hubOf = (env: Env, userId: string) => counted(env, "UserHub", env.USER_HUB.get(env.USER_HUB.idFromName(userId)));

/** A temporary group's room, named by group id. */
export const roomOf = (env: Env, groupId: string) => counted(env, "GroupRoom", env.GROUP_ROOM.get(env.GROUP_ROOM.idFromName(groupId)));

/** The fixed-window counter for one key. */
export const limiterOf = (env: Env, key: string) => counted(env, "RateLimiter", env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)));

/** A bound account's link to its network, named by account id. */
export const linkOf = (env: Env, accountId: string) => counted(env, "AccountLink", env.ACCOUNT_LINK.get(env.ACCOUNT_LINK.idFromName(accountId)));
