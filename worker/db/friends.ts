import { and, eq, or } from "drizzle-orm";
import type { Env } from "../env";
import type { User } from "../../core/protocol";
import type { Db } from "./client";
import { friendships, users } from "./schema";
import { toUser } from "./users";

export const pair = (a: string, b: string) => (a < b ? { userA: a, userB: b } : { userA: b, userB: a });

export async function areFriends(d: Db, a: string, b: string): Promise<boolean> {
  const p = pair(a, b);
  return !!(await d.query.friendships.findFirst({ where: and(eq(friendships.userA, p.userA), eq(friendships.userB, p.userB)) }));
}

/** The user's friends as the store has them (the hub caches this set). */
export async function friendsOf(d: Db, env: Env, userId: string): Promise<{ user: User; since: number }[]> {
  const rows = await d
    .select({ since: friendships.since, user: users })
    .from(friendships)
    .innerJoin(users, or(and(eq(friendships.userA, userId), eq(users.id, friendships.userB)), and(eq(friendships.userB, userId), eq(users.id, friendships.userA))))
    .where(or(eq(friendships.userA, userId), eq(friendships.userB, userId)));
  return rows.map((r) => ({ user: toUser(r.user, env), since: r.since }));
}
