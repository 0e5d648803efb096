import { Hono } from "hono";
import { dismissBody, LIMITS, mergeBody, personHandleSchema } from "../../core/protocol";
import { z } from "zod";
import { hubOf } from "../../durable-objects/stubs";
import { requireUser } from "../auth/session";
import type { AppEnv } from "../env";
import { fail, orThrow } from "../errors";
import { json, query } from "../validate";

const pageQuery = z.strictObject({
  before: z.string().regex(/^\d{1,15}:\d{1,15}$/).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).optional(),
});
const splitBody = z.strictObject({ handles: z.array(personHandleSchema).min(1).max(50).optional() });

// Merged contacts ("people"), served from the user's own hub: a person is a set of handles
// (a friend, contacts on bound accounts); merging and splitting never move a message.
export const peopleRoute = new Hono<AppEnv>()
  .use(requireUser)
  .get("/", async (c) => c.json({ people: await hubOf(c.env, c.get("userId")).listPeople() }))
  .get("/suggestions", async (c) => c.json({ suggestions: await hubOf(c.env, c.get("userId")).peopleSuggestions() }))
  .post("/suggestions/dismiss", json(dismissBody), async (c) => {
    await hubOf(c.env, c.get("userId")).dismissSuggestion(c.req.valid("json").key);
    return c.json({ ok: true });
  })
  .post("/", json(mergeBody), async (c) => {
    const { handles, name, suggestion } = c.req.valid("json");
    const { person } = orThrow(await hubOf(c.env, c.get("userId")).mergePeople(handles, name, suggestion));
    return c.json({ person }, 201);
  })
  /** Split: the named handles leave the person (none named: all, and the person is gone). */
  .post("/:id/split", json(splitBody), async (c) => {
    const { person } = orThrow(await hubOf(c.env, c.get("userId")).splitPerson(c.req.param("id"), c.req.valid("json").handles));
    return c.json({ person });
  })
  .delete("/:id", async (c) => {
    orThrow(await hubOf(c.env, c.get("userId")).splitPerson(c.req.param("id")));
    return c.json({ ok: true });
  })
  .get("/:id/messages", query(pageQuery), async (c) => {
    const q = c.req.valid("query");
    const page = await hubOf(c.env, c.get("userId")).personMessages(c.req.param("id"), q.before, q.limit ?? LIMITS.pageSize);
    if (!page) throw fail("person_not_found");
    return c.json(page);
  });
