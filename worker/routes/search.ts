import { Hono } from "hono";
import { searchQuery } from "../../core/protocol";
import { hubOf } from "../../durable-objects/stubs";
import { requireUser } from "../auth/session";
import type { AppEnv } from "../env";
import { orThrow } from "../errors";
import { query } from "../validate";

// Full-text search, answered by the user's own hub from its own index: only the caller's
// hub is ever asked, so no filter can reach another user's history.
export const searchRoute = new Hono<AppEnv>().use(requireUser).get("/", query(searchQuery), async (c) => {
  const { ok: _, ...page } = orThrow(await hubOf(c.env, c.get("userId")).search(c.req.valid("query")));
  return c.json(page);
});
