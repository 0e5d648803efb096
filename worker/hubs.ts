import type { Env } from "./env";

/** The user's push engine. Named by user id, so every caller reaches the same object. */
export const hubOf = (env: Env, userId: string) => env.USER_HUB.get(env.USER_HUB.idFromName(userId));
