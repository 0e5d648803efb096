import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { newId } from "../../core/ids";
import { type Account, bindAccountBody } from "../../core/protocol";
import { hubOf, linkOf } from "../../durable-objects/stubs";
import { requireUser } from "../auth/session";
import { boundNetworks, connectorFor } from "../connectors/registry";
import { db } from "../db/client";
import { accounts } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError, fail } from "../errors";
import { json } from "../validate";

// Bound accounts. Credentials go to the account's AccountLink, which verifies them against the
// network before anything is kept and seals them; no route ever returns them, and no log line
// carries them. D1 holds the registry row; the hub the list with live states.
export const accountsRoute = new Hono<AppEnv>()
  .use(requireUser)
  .get("/", async (c) => {
    const me = c.get("userId");
    return c.json({ accounts: await hubOf(c.env, me).listAccounts() });
  })
  /** What each network's bind form asks for, from its connector's credential schema. */
  .get("/networks", (c) =>
    c.json({ networks: boundNetworks().map((network) => ({ network, credentials: z.toJSONSchema(connectorFor(network)!.credentials, { io: "input", unrepresentable: "any" }) })) }),
  )
  .post("/", json(bindAccountBody), async (c) => {
    const me = c.get("userId");
    const input = c.req.valid("json");
    if (!connectorFor(input.network)) throw fail("unsupported_network", `this server cannot bind ${input.network} accounts`);
    const id = newId("a");
    const label = input.label ?? input.network;
    const bound = await linkOf(c.env, id).bind({ account: { id, owner: me, network: input.network, label }, credentials: input.credentials });
    if (!bound.ok) throw ApiError.from(bound);
    const createdAt = Date.now();
    // Networks that are polled start at once (Cron picks it up on its next tick).
    const nextPollAt = connectorFor(input.network)!.poll ? createdAt : null;
    await db(c.env.DB).insert(accounts).values({ id, owner: me, network: input.network, label, remote: bound.remote, createdAt, nextPollAt });
    const account: Account = { id, network: input.network, label, remote: bound.remote, state: "connecting", message: "bound", createdAt };
    await hubOf(c.env, me).accountBound(account);
    return c.json({ account }, 201);
  })
  .put("/:id/credentials", json(bindAccountBody.pick({ credentials: true })), async (c) => {
    const row = await ownAccount(c.env.DB, c.get("userId"), c.req.param("id"));
    const rebound = await linkOf(c.env, row.id).rebind(c.req.valid("json").credentials);
    if (!rebound.ok) throw ApiError.from(rebound);
    return c.json({ ok: true });
  })
  .delete("/:id", async (c) => {
    const me = c.get("userId");
    const row = await ownAccount(c.env.DB, me, c.req.param("id"));
    await linkOf(c.env, row.id).unbind();
    await db(c.env.DB).delete(accounts).where(eq(accounts.id, row.id));
    await hubOf(c.env, me).accountRemoved(row.id);
    // Its conversations stay in the hub, read-only, as they were.
    return c.json({ ok: true, history: "kept" as const });
  })
  .get("/:id/contacts", async (c) => {
    const me = c.get("userId");
    const row = await ownAccount(c.env.DB, me, c.req.param("id"));
    const known = await hubOf(c.env, me).accountContacts(row.id);
    if (!known) throw fail("account_not_found");
    return c.json({ contacts: known.length > 0 ? known : await linkOf(c.env, row.id).contacts() });
  });

/** The caller's own account, or the same 404 as for one that does not exist. */
async function ownAccount(d1: D1Database, me: string, id: string) {
  const row = id.length <= 64 ? await db(d1).query.accounts.findFirst({ where: and(eq(accounts.id, id), eq(accounts.owner, me)) }) : undefined;
  if (!row) throw fail("account_not_found", "no such account");
  return row;
}
