import { eq, inArray } from "drizzle-orm";
import type { Env } from "../env";
import type { User } from "../../core/protocol";
import { looksLikePhone, phoneHash, toE164 } from "../auth/phone";
import { chunked, type Db } from "./client";
import { users } from "./schema";

export type UserRow = typeof users.$inferSelect;

export function toUser(row: UserRow, env: Env, self = false): User {
  const user: User = { id: row.id, handle: row.handle, address: `${row.handle}@${env.MAIL_DOMAIN}`, displayName: row.displayName };
  if (self) user.phone = row.phoneDisplay;
  return user;
}

/**
 * Finds a user by what a person would type: a phone number in any common format,
 * a handle (with or without @), or the user's own address handle@MAIL_DOMAIN.
 */
export async function findUserByLogin(d: Db, env: Env, login: string, region = env.DEFAULT_REGION): Promise<UserRow | undefined> {
  const text = login.trim().toLowerCase();
  const suffix = `@${env.MAIL_DOMAIN.toLowerCase()}`;
  if (text.endsWith(suffix)) return byHandle(d, text.slice(0, -suffix.length));
  if (looksLikePhone(text)) {
    const e164 = toE164(text, region);
    if (!e164) return undefined;
    return d.query.users.findFirst({ where: eq(users.phoneHash, await phoneHash(env.PHONE_PEPPER, e164)) });
  }
  return byHandle(d, text.replace(/^@/, ""));
}

function byHandle(d: Db, handle: string) {
  return d.query.users.findFirst({ where: eq(users.handle, handle) });
}

export async function usersByIds(d: Db, ids: string[]): Promise<Map<string, UserRow>> {
  const pages = await Promise.all(chunked(ids).map((part) => d.select().from(users).where(inArray(users.id, part))));
  return new Map(pages.flat().map((r) => [r.id, r]));
}
