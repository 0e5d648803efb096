import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { friendsOf } from "../db/friends";
import { users } from "../db/schema";
import { toUser } from "../db/users";
import type { AppEnv } from "../env";
import { ApiError, fail, unauthorized } from "../errors";
import { appOrigin, crossSite } from "../auth/origin";
import { hubOf } from "../../durable-objects/stubs";

// Identity is checked once, here, when the socket opens; the hub trusts its sockets
// from then on. The friend set is refreshed from D1 now so frames never need D1.
export const ws = new Hono<AppEnv>().use(requireUser).get("/", async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError("upgrade_required", "this endpoint speaks WebSocket only");
  }
  const me = c.get("userId");
  const session = c.get("session");
  // A browser sends the cookie with a WebSocket from any page; only our own page may use
  // it (cross-site WebSocket hijacking). Bearer clients are not browsers acting for someone.
  if (session.via === "cookie" && c.req.header("Origin") !== appOrigin(c)) throw crossSite();
  // The app says who it thinks is signed in: after a sign-in as someone else (in another
  // tab), its queued sends must not go out as that person.
  const expected = c.req.query("as");
  if (expected !== undefined && expected !== me) throw fail("session_changed", "this device is signed in as someone else now");
  const d = db(c.env.DB);
  const [row, friends] = await Promise.all([d.query.users.findFirst({ where: eq(users.id, me) }), friendsOf(d, c.env, me)]);
  if (!row) throw unauthorized();
  const hub = hubOf(c.env, me);
  await hub.syncProfile(toUser(row, c.env), friends);
  const headers = new Headers(c.req.raw.headers);
  headers.set("X-Unibox-User", me);
  // The hub keeps which session each socket belongs to: signing out closes them.
  headers.set("X-Unibox-Session", session.hash);
  headers.set("X-Unibox-Session-Expires", String(session.expiresAt));
  return hub.fetch(new Request(c.req.raw.url, { headers }));
});
