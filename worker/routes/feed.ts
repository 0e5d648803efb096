import { Hono } from "hono";
import { feedQuery, LIMITS } from "../../core/protocol";
import { hubOf } from "../../durable-objects/stubs";
import { requireUser } from "../auth/session";
import type { AppEnv, Env } from "../env";
import { fail, orThrow } from "../errors";
import { query } from "../validate";

// The social feed, served from the user's own hub (newest first); new posts also arrive live
// as `post` events, so a client only pages back with this. Boost and like are HTTP because
// the user waits for the network's answer (the link asks it at once; both are idempotent
// there), while a reply is a `send {to:{post}}` frame like any other post.
export const feedRoute = new Hono<AppEnv>()
  .use(requireUser)
  .get("/", query(feedQuery), async (c) => {
    const me = c.get("userId");
    const q = c.req.valid("query");
    return c.json(await hubOf(c.env, me).listPosts(q.account, q.before ? Number(q.before) : undefined, q.limit ?? LIMITS.pageSize));
  })
  .post("/:id/boost", (c) => act(c.env, c.get("userId"), c.req.param("id"), "boost").then((r) => c.json(r)))
  .post("/:id/like", (c) => act(c.env, c.get("userId"), c.req.param("id"), "like").then((r) => c.json(r)));

async function act(env: Env, me: string, id: string, action: "boost" | "like") {
  if (id.length > 64) throw fail("post_not_found");
  const done = orThrow(await hubOf(env, me).actOnPost(id, action));
  return { ok: true as const, ...(done.url ? { url: done.url } : {}) };
}
