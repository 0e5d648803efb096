import { and, count, eq, max, or } from "drizzle-orm";
import { Hono } from "hono";
import { rateLimit } from "../auth/rate-limit";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { areFriends, friendsOf, pair } from "../db/friends";
import { friendAudit, friendRequests, friendships, users } from "../db/schema";
import { findUserByLogin, parseLogin, toUser, usersByIds } from "../db/users";
import type { AppEnv, Env } from "../env";
import { ApiError, fail } from "../errors";
import { countLookups } from "../auth/lookups";
import { phoneHash } from "../auth/phone";
import { requireVerifiedPhone } from "../auth/verify-phone";
import type { Db } from "../db/client";
import { directConversationId } from "../../core/conversation";
import { hubOf } from "../../durable-objects/stubs";
import { newId } from "../../core/ids";
import { friendRequestBody } from "../../core/protocol";
import { json } from "../validate";

export const friends = new Hono<AppEnv>()
  .use(requireUser)
  .get("/", async (c) => {
    const me = c.get("userId");
    const [list, presence] = await Promise.all([friendsOf(db(c.env.DB), c.env, me), hubOf(c.env, me).presence()]);
    return c.json({ friends: list.map((f) => ({ ...f, conv: directConversationId(me, f.user.id), online: presence[f.user.id]?.online ?? false })) });
  })
  .delete("/:userId", async (c) => {
    const me = c.get("userId");
    const other = c.req.param("userId");
    const d = db(c.env.DB);
    if (!(await areFriends(d, me, other))) throw fail("not_friends", "this user is not your friend");
    const p = pair(me, other);
    await d.batch([
      d.delete(friendships).where(and(eq(friendships.userA, p.userA), eq(friendships.userB, p.userB))),
      d.insert(friendAudit).values({ actor: me, subject: other, action: "removed" }),
    ]);
    await Promise.all([hubOf(c.env, me).friendRemoved(other), hubOf(c.env, other).friendRemoved(me)]);
    return c.json({ ok: true });
  })
  .get("/requests", async (c) => {
    const me = c.get("userId");
    const d = db(c.env.DB);
    const pending = await d.query.friendRequests.findMany({
      where: and(eq(friendRequests.status, "pending"), or(eq(friendRequests.toUser, me), eq(friendRequests.fromUser, me))),
      orderBy: (r, { desc }) => desc(r.createdAt),
    });
    const people = await usersByIds(d, [...new Set(pending.flatMap((r) => [r.fromUser, r.toUser]))]);
    const user = (id: string) => toUser(people.get(id)!, c.env);
    return c.json({
      incoming: pending.filter((r) => r.toUser === me).map((r) => ({ id: r.id, from: user(r.fromUser), message: r.message, at: r.createdAt })),
      outgoing: pending.filter((r) => r.fromUser === me).map((r) => ({ id: r.id, to: user(r.toUser), message: r.message, at: r.createdAt })),
    });
  })
  .post("/requests", json(friendRequestBody), async (c) => {
    const me = c.get("userId");
    const input = c.req.valid("json");
    await rateLimit(c.env, "RATE_FRIEND_REQUESTS", me);
    const d = db(c.env.DB);
    const meRow = await d.query.users.findFirst({ where: eq(users.id, me) });
    if (!meRow) throw fail("user_not_found", `no Unibox user is "${input.to}"`);
    requireVerifiedPhone(meRow);
    // Adding by phone says whether a number is on Unibox, like discovery: it counts against the same daily cap.
    const name = parseLogin(c.env, input.to, meRow.region);
    if ("phone" in name) await countLookups(c.env, me, [await phoneHash(c.env.PHONE_PEPPER, name.phone)]);
    const target = await findUserByLogin(d, c.env, name);
    if (!target) throw fail("user_not_found", `no Unibox user is "${input.to}"`);
    if (target.id === me) throw fail("cannot_friend_self", "you cannot send a friend request to yourself");
    if (await areFriends(d, me, target.id)) throw fail("already_friends", "you are already friends");
    const open = await d.query.friendRequests.findFirst({
      where: and(
        eq(friendRequests.status, "pending"),
        or(and(eq(friendRequests.fromUser, me), eq(friendRequests.toUser, target.id)), and(eq(friendRequests.fromUser, target.id), eq(friendRequests.toUser, me))),
      ),
    });
    if (open?.fromUser === me) throw fail("request_pending", "you already asked; wait for their answer");
    if (open) throw fail("request_incoming", "they already asked you: accept their request instead");
    await checkCooldown(d, c.env, me, target.id);
    const request = { id: newId("fr"), fromUser: me, toUser: target.id, message: input.message || null, createdAt: Date.now() };
    await d.batch([
      d.insert(friendRequests).values(request),
      d.insert(friendAudit).values({ requestId: request.id, actor: me, subject: target.id, action: "requested" }),
    ]);
    const event = { type: "friend.request" as const, request: { id: request.id, from: toUser(meRow, c.env), message: request.message, at: request.createdAt } };
    await hubOf(c.env, target.id).pushEvent(event);
    return c.json({ request: { id: request.id, to: toUser(target, c.env), message: request.message, at: request.createdAt } }, 201);
  })
  // The sender takes a pending request back.
  .delete("/requests/:id", async (c) => {
    const me = c.get("userId");
    const d = db(c.env.DB);
    const request = await d.query.friendRequests.findFirst({ where: and(eq(friendRequests.id, c.req.param("id")), eq(friendRequests.fromUser, me)) });
    if (!request) throw fail("request_not_found", "no such friend request of yours");
    if (request.status !== "pending") throw fail("request_settled", `this request was already ${request.status}`);
    await d.batch([
      d.update(friendRequests).set({ status: "cancelled", decidedAt: Date.now() }).where(and(eq(friendRequests.id, request.id), eq(friendRequests.status, "pending"))),
      d.insert(friendAudit).values({ requestId: request.id, actor: me, subject: request.toUser, action: "cancelled" }),
    ]);
    // Both sides' devices drop it: theirs from incoming, the sender's other devices from outgoing.
    const event = { type: "friend.request.cancelled" as const, request: request.id };
    await Promise.all([hubOf(c.env, request.toUser).pushEvent(event), hubOf(c.env, me).pushEvent(event)]);
    return c.json({ ok: true as const });
  })
  .post("/requests/:id/:decision{accept|decline}", async (c) => {
    const me = c.get("userId");
    const decision = c.req.param("decision") as "accept" | "decline";
    const d = db(c.env.DB);
    const request = await d.query.friendRequests.findFirst({ where: and(eq(friendRequests.id, c.req.param("id")), eq(friendRequests.toUser, me)) });
    if (!request) throw fail("request_not_found", "no such friend request for you");
    if (request.status !== "pending") throw fail("request_settled", `this request was already ${request.status}`);
    const decidedAt = Date.now();
    const settle = d
      .update(friendRequests)
      .set({ status: decision === "accept" ? "accepted" : "declined", decidedAt })
      .where(and(eq(friendRequests.id, request.id), eq(friendRequests.status, "pending")));
    const audit = d.insert(friendAudit).values({ requestId: request.id, actor: me, subject: request.fromUser, action: decision === "accept" ? "accepted" : "declined" });
    if (decision === "decline") {
      await d.batch([settle, audit]);
      return c.json({ ok: true });
    }
    await d.batch([settle, audit, d.insert(friendships).values({ ...pair(me, request.fromUser), since: decidedAt }).onConflictDoNothing()]);
    const people = await usersByIds(d, [me, request.fromUser]);
    const meUser = toUser(people.get(me)!, c.env);
    const them = toUser(people.get(request.fromUser)!, c.env);
    // Both hubs learn at once, so the first message needs no D1 read.
    await Promise.all([
      hubOf(c.env, request.fromUser).friendAdded(meUser, decidedAt, { type: "friend.accepted", user: meUser }),
      hubOf(c.env, me).friendAdded(them, decidedAt, { type: "friend.accepted", user: them }),
    ]);
    const presence = await hubOf(c.env, me).presence();
    return c.json({ friend: { user: them, since: decidedAt, conv: directConversationId(me, them.id), online: presence[them.id]?.online ?? false } });
  });

const HOUR_MS = 3_600_000;
const COOLDOWN_CAP_MS = 30 * 24 * HOUR_MS;

/**
 * After they declined you, asking again waits FRIEND_DECLINE_COOLDOWN_HOURS, doubling
 * with each further decline (at most 30 days), so a declined request cannot be pushed
 * onto their phone again and again.
 */
async function checkCooldown(d: Db, env: Env, from: string, to: string, now = Date.now()): Promise<void> {
  const [row] = await d
    .select({ declines: count(), last: max(friendRequests.decidedAt) })
    .from(friendRequests)
    .where(and(eq(friendRequests.fromUser, from), eq(friendRequests.toUser, to), eq(friendRequests.status, "declined")));
  if (!row || row.declines === 0 || row.last === null) return;
  const wait = Math.min(Number(env.FRIEND_DECLINE_COOLDOWN_HOURS) * HOUR_MS * 2 ** (row.declines - 1), COOLDOWN_CAP_MS);
  const left = row.last + wait - now;
  if (left <= 0) return;
  const retryAfter = Math.ceil(left / 1000);
  throw new ApiError("request_cooldown", "you can ask them again later", { retryAfter }, { "Retry-After": String(retryAfter) });
}
