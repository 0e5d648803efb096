import { Hono } from "hono";
import { requireUser } from "../auth/session";
import type { AppEnv } from "../env";
import { fail } from "../errors";
import { hubOf } from "../../durable-objects/stubs";
import { LIMITS, messagesQuery } from "../../core/protocol";
import { query } from "../validate";

// History is served from the user's own hub: a conversation the user is not part of
// does not exist there, so a stranger gets 404 without any extra check.
export const conversations = new Hono<AppEnv>()
  .use(requireUser)
  .get("/", async (c) => {
    const me = c.get("userId");
    return c.json({ conversations: await hubOf(c.env, me).listConversations() });
  })
  .get("/:id/messages", query(messagesQuery), async (c) => {
    const me = c.get("userId");
    const q = c.req.valid("query");
    const page = await hubOf(c.env, me).listMessages(c.req.param("id"), q.before ? Number(q.before) : undefined, q.limit ?? LIMITS.pageSize);
    if (!page) throw fail("conversation_not_found", "no such conversation");
    return c.json(page);
  });
