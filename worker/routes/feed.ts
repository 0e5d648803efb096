import { Hono } from "hono";
import { feedQuery, LIMITS } from "../../core/protocol";
import { hubOf } from "../../durable-objects/stubs";
import { requireUser } from "../auth/session";
import type { AppEnv } from "../env";
import { query } from "../validate";

// The social feed, served from the user's own hub (newest first); new posts also arrive live
// as `post` events, so a client only pages back with this.
export const feedRoute = new Hono<AppEnv>().use(requireUser).get("/", query(feedQuery), async (c) => {
  const me = c.get("userId");
  const q = c.req.valid("query");
  return c.json(await hubOf(c.env, me).listPosts(q.account, q.before ? Number(q.before) : undefined, q.limit ?? LIMITS.pageSize));
});
