// How callers reach the Durable Objects: by name, so every caller reaches the same object.
import type { Env } from "../worker/env";

/** The user's push engine, named by user id. */
export const hubOf = (env: Env, userId: string) => env.USER_HUB.get(env.USER_HUB.idFromName(userId));

/** A temporary group's room, named by group id. */
export const roomOf = (env: Env, groupId: string) => env.GROUP_ROOM.get(env.GROUP_ROOM.idFromName(groupId));

/** The fixed-window counter for one key. */
export const limiterOf = (env: Env, key: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));

/** A bound account's link to its network, named by account id. */
export const linkOf = (env: Env, accountId: string) => env.ACCOUNT_LINK.get(env.ACCOUNT_LINK.idFromName(accountId));
