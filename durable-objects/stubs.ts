import type { Env } from "../worker/env";

/** The user's push engine. Named by user id, so every caller reaches the same object. */
export const hubOf = (env: Env, userId: string) => env.USER_HUB.get(env.USER_HUB.idFromName(userId));

/** A temporary group's room, named by group id. */
export const roomOf = (env: Env, groupId: string) => env.GROUP_ROOM.get(env.GROUP_ROOM.idFromName(groupId));
