import { eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { friendsOf } from "../db/friends";
import { users } from "../db/schema";
import { toUser } from "../db/users";
import type { AppEnv } from "../env";
import { ApiError, fail, unauthorized } from "../errors";
import { appOrigin, crossSite } from "../auth/origin";
import { hubOf } from "../../durable-objects/stubs";

/**
 * What every socket upgrade checks (the hub's and a group room's): an upgrade, from our own
 * page if by cookie (cross-site WebSocket hijacking), by the user the app expects. Returns
 * the headers the object gets: who the user is and which session the socket belongs to, so
 * signing out closes it. Identity is checked once, here; the object trusts its sockets.
 */
export function upgradeHeaders(c: Context<AppEnv>): Headers {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError("upgrade_required", "this endpoint speaks WebSocket only");
  }
  const me = c.get("userId");
  const session = c.get("session");
  // A browser sends the cookie with a WebSocket from any page; only our own page may use
  // it. Bearer clients are not browsers acting for someone.
  if (session.via === "cookie" && c.req.header("Origin") !== appOrigin(c)) throw crossSite();
  // The app says who it thinks is signed in: after a sign-in as someone else (in another
  // tab), its queued sends must not go out as that person.
  const expected = c.req.query("as");
  if (expected !== undefined && expected !== me) throw fail("session_changed", "this device is signed in as someone else now");
  const headers = new Headers(c.req.raw.headers);
  headers.set("X-Unibox-User", me);
  headers.set("X-Unibox-Session", session.hash);
  headers.set("X-Unibox-Session-Expires", String(session.expiresAt));
  return headers;
}

// The friend set is refreshed from D1 when the socket opens, so frames never need D1.
export const ws = new Hono<AppEnv>().use(requireUser).get("/", async (c) => {
  const headers = upgradeHeaders(c);
  const me = c.get("userId");
  const d = db(c.env.DB);
  const [row, friends] = await Promise.all([d.query.users.findFirst({ where: eq(users.id, me) }), friendsOf(d, c.env, me)]);
  if (!row) throw unauthorized();
  const hub = hubOf(c.env, me);
  await hub.syncProfile(toUser(row, c.env), friends);
  return hub.fetch(new Request(c.req.raw.url, { headers }));
});
