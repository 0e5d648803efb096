import { and, eq, inArray, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { requireUser } from "../auth/session";
import { chunked, db, type Db } from "../db/client";
import { friendsOf } from "../db/friends";
import { groupMembers, groups } from "../db/schema";
import { toUser, usersByIds } from "../db/users";
import { groupConversationId } from "../../core/conversation";
import type { AppEnv, Env } from "../env";
import { ApiError, fail, orThrow } from "../errors";
import { roomOf } from "../../durable-objects/stubs";
import { newId } from "../../core/ids";
import { addMembersBody, createGroupBody, GROUP_LIMITS, type Group } from "../../core/protocol";
import { json } from "../validate";
import { upgradeHeaders } from "./ws";

/** Only friends of the caller can be put in a group; names who is not. */
async function friendsAmong(d: Db, env: Env, me: string, ids: string[]) {
  const mine = new Map((await friendsOf(d, env, me)).map((f) => [f.user.id, f.user]));
  const strangers = ids.filter((id) => !mine.has(id));
  if (strangers.length > 0) throw new ApiError("not_friend", "you can only add your friends to a group", { users: strangers });
  return ids.map((id) => mine.get(id)!);
}

/**
 * Groups as a member sees them. `asOf` (group id → when the caller left) freezes a group
 * at that moment for someone who left: the members right after they left, not who
 * joined or left since, and not an end that came after. Everyone else sees the current
 * members.
 */
async function loadGroups(d: Db, env: Env, ids: string[], asOf: Map<string, number> = new Map()): Promise<Group[]> {
  const parts = chunked(ids);
  const rows = (await Promise.all(parts.map((part) => d.select().from(groups).where(inArray(groups.id, part))))).flat();
  const memberRows = (await Promise.all(parts.map((part) => d.select().from(groupMembers).where(inArray(groupMembers.groupId, part))))).flat();
  const inAt = (m: typeof groupMembers.$inferSelect, at: number | undefined) =>
    at === undefined ? m.leftAt === null : m.joinedAt < at && (m.leftAt === null || m.leftAt > at);
  const members = memberRows.filter((m) => inAt(m, asOf.get(m.groupId)));
  const people = await usersByIds(d, [...new Set(members.map((m) => m.userId))]);
  return rows
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((g) => {
      const at = asOf.get(g.id);
      const endedThen = g.endedAt !== null && (at === undefined || g.endedAt <= at);
      return {
        id: g.id,
        conv: groupConversationId(g.id),
        name: g.name,
        owner: g.owner,
        members: members.filter((m) => m.groupId === g.id && people.has(m.userId)).map((m) => toUser(people.get(m.userId)!, env)),
        ttlHours: g.ttlHours,
        createdAt: g.createdAt,
        endedAt: endedThen ? g.endedAt : null,
        endReason: endedThen ? g.endReason : null,
      };
    });
}

async function activeMembership(d: Db, groupId: string, me: string) {
  const row = await d.query.groupMembers.findFirst({ where: and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, me), isNull(groupMembers.leftAt)) });
  if (!row) throw fail("group_not_found", "no such group, or you are not in it");
  return row;
}

export const groupsRoute = new Hono<AppEnv>()
  .use(requireUser)
  .post("/", json(createGroupBody), async (c) => {
    const me = c.get("userId");
    const input = c.req.valid("json");
    const ids = [...new Set(input.members)].filter((id) => id !== me);
    if (ids.length === 0) throw fail("invalid_input", "members: add at least one friend");
    const d = db(c.env.DB);
    const others = await friendsAmong(d, c.env, me, ids);
    const meRow = (await usersByIds(d, [me])).get(me)!;
    const group = { id: newId("g"), name: input.name ?? null, owner: me, ttlHours: input.ttlHours ?? GROUP_LIMITS.ttlHoursDefault, createdAt: Date.now() };
    const members = [toUser(meRow, c.env), ...others];
    const rows = members.map((u) => ({ groupId: group.id, userId: u.id, joinedAt: group.createdAt }));
    await d.batch([d.insert(groups).values(group), ...chunked(rows, 4).map((part) => d.insert(groupMembers).values(part))]);
    orThrow(await roomOf(c.env, group.id).create({ ...group, members }));
    return c.json({ group: { ...group, conv: groupConversationId(group.id), members, endedAt: null, endReason: null } satisfies Group }, 201);
  })
  .get("/", async (c) => {
    const me = c.get("userId");
    const d = db(c.env.DB);
    // Groups you left stay listed (flagged), so any device can still label their history,
    // as they were when you left: what happens in them since is no longer yours to see.
    const mine = await d.select({ id: groupMembers.groupId, leftAt: groupMembers.leftAt }).from(groupMembers).where(eq(groupMembers.userId, me));
    const left = new Map(mine.filter((r) => r.leftAt !== null).map((r) => [r.id, r.leftAt!]));
    const list = await loadGroups(d, c.env, mine.map((r) => r.id), left);
    return c.json({ groups: list.map((g) => (left.has(g.id) ? { ...g, left: true as const } : g)) });
  })
  .post("/:id/members", json(addMembersBody), async (c) => {
    const me = c.get("userId");
    const groupId = c.req.param("id");
    const input = c.req.valid("json");
    const d = db(c.env.DB);
    await activeMembership(d, groupId, me);
    const [group] = await loadGroups(d, c.env, [groupId]);
    if (group!.endedAt) throw fail("group_ended", "this group has ended");
    const present = new Set(group!.members.map((m) => m.id));
    const ids = [...new Set(input.members)].filter((id) => !present.has(id));
    if (ids.length === 0) throw fail("already_members", "they are all in the group already");
    if (present.size + ids.length > GROUP_LIMITS.members) throw fail("group_full", `a group has at most ${GROUP_LIMITS.members} members`);
    const users = await friendsAmong(d, c.env, me, ids);
    const joinedAt = Date.now();
    const rows = users.map((u) => ({ groupId, userId: u.id, joinedAt }));
    const [first, ...rest] = chunked(rows, 4).map((part) =>
      d.insert(groupMembers).values(part).onConflictDoUpdate({ target: [groupMembers.groupId, groupMembers.userId], set: { joinedAt, leftAt: null } }),
    );
    await d.batch([first!, ...rest]);
    orThrow(await roomOf(c.env, groupId).addMembers(me, users));
    return c.json({ group: (await loadGroups(d, c.env, [groupId]))[0] });
  })
  .delete("/:id/members/me", async (c) => {
    const me = c.get("userId");
    const groupId = c.req.param("id");
    const d = db(c.env.DB);
    await activeMembership(d, groupId, me);
    const result = await roomOf(c.env, groupId).leave(me);
    // Leaving an ended group only takes it off your list.
    if (!result.ok && result.code !== "group_ended") orThrow(result);
    await d.update(groupMembers).set({ leftAt: Date.now() }).where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, me)));
    return c.json({ ok: true });
  })
  // A member's socket to the group's room (docs/protocol.md, "A group's own socket").
  // D1 says who is a member before any object is woken (a made-up id reaches none); the
  // room checks again against its own members and refuses an ended group.
  .get("/:id/ws", async (c) => {
    const headers = upgradeHeaders(c);
    const groupId = c.req.param("id");
    await activeMembership(db(c.env.DB), groupId, c.get("userId"));
    return roomOf(c.env, groupId).fetch(new Request(c.req.raw.url, { headers }));
  })
  .delete("/:id", async (c) => {
    const me = c.get("userId");
    const groupId = c.req.param("id");
    const d = db(c.env.DB);
    await activeMembership(d, groupId, me);
    const row = await d.query.groups.findFirst({ where: eq(groups.id, groupId) });
    if (row!.owner !== me) throw fail("not_owner", "only the group's creator can end it");
    if (row!.endedAt) throw fail("group_ended", "this group has ended already");
    orThrow(await roomOf(c.env, groupId).end(me));
    return c.json({ ok: true });
  });
