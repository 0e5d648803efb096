import { Hono } from "hono";
import { hubOf } from "../../durable-objects/stubs";
import { requireUser } from "../auth/session";
import type { AppEnv } from "../env";
import { fail } from "../errors";

// An own message's delivery timeline, fetched when the user long-presses it (not inline in
// history pages: most messages are never looked at this way, and steps would grow every page).
export const timelineRoute = new Hono<AppEnv>().use(requireUser).get("/:id/messages/:msgId/timeline", async (c) => {
  const timeline = await hubOf(c.env, c.get("userId")).messageTimeline(c.req.param("id"), c.req.param("msgId"));
  if (!timeline) throw fail("message_not_found");
  return c.json({ timeline });
});
