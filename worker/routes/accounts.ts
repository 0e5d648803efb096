import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { newId } from "../../core/ids";
import { type Account, bindAccountBody, type PostAction, type TextLimits } from "../../core/protocol";
import { hubOf, linkOf } from "../../durable-objects/stubs";
import { requireUser } from "../auth/session";
import { boundNetworks, connectorFor } from "../connectors/registry";
import type { Connector } from "../connectors/types";
import { pollSoon } from "../poll";
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
  /** What each network's bind form asks for (its connector's credential schema), how long a post may be, what a post can have done to it. */
  .get("/networks", (c) =>
    c.json({
      networks: boundNetworks().map((network) => {
        const connector = connectorFor(network)!;
        const limits = limitsOf(connector);
        const actions = actionsOf(connector);
        return { network, credentials: z.toJSONSchema(connector.credentials, { io: "input", unrepresentable: "any" }), ...(limits ? { limits } : {}), ...(actions.length ? { actions } : {}) };
      }),
    }),
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
    const account: Account = { id, network: input.network, label, remote: bound.remote, state: "connecting", message: "bound", createdAt, ...(bound.limits ? { limits: bound.limits } : {}) };
    await hubOf(c.env, me).accountBound(account);
    return c.json({ account }, 201);
  })
  .put("/:id/credentials", json(bindAccountBody.pick({ credentials: true })), async (c) => {
    const row = await ownAccount(c.env.DB, c.get("userId"), c.req.param("id"));
    const rebound = await linkOf(c.env, row.id).rebind(c.req.valid("json").credentials);
    if (!rebound.ok) throw ApiError.from(rebound);
    // An account that stopped at bad_credentials was taken off the poll schedule: back on it.
    if (connectorFor(row.network as Account["network"])?.poll) await pollSoon(c.env, row.id);
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

/** A network's default post limit (an account's own may differ: see Account.limits). */
function limitsOf(connector: Connector<unknown>): TextLimits | undefined {
  const max = connector.limits?.textChars ?? connector.limits?.textGraphemes;
  return max ? { max, ...connector.limits?.rules } : undefined;
}

/** Reply needs a send; boost and like their own actions. */
function actionsOf(connector: Connector<unknown>): PostAction[] {
  const a = connector.actions;
  return [...(connector.send && a?.reply ? (["reply"] as const) : []), ...(a?.boost ? (["boost"] as const) : []), ...(a?.like ? (["like"] as const) : [])];
}
