import { and, eq, inArray, isNotNull, type SQL } from "drizzle-orm";
import type { Env } from "../env";
import type { User } from "../../core/protocol";
import { looksLikePhone, phoneHash, toE164 } from "../auth/phone";
import { chunked, type Db } from "./client";
import { users } from "./schema";

export type UserRow = typeof users.$inferSelect;

export function toUser(row: UserRow, env: Env, self = false): User {
  const user: User = { id: row.id, handle: row.handle, address: `${row.handle}@${env.MAIL_DOMAIN}`, displayName: row.displayName };
  if (self) {
    user.phone = row.phoneDisplay;
    user.phoneVerified = row.phoneVerifiedAt !== null;
  }
  return user;
}

/** The accounts whose *verified* number has this hash: an unverified number finds nobody. */
export const verifiedPhoneIn = (hashes: string[]): SQL => and(inArray(users.phoneHash, hashes), isNotNull(users.phoneVerifiedAt))!;

/** What a person typed to name someone: a phone number (E.164), a handle, or nothing valid. */
export type LoginName = { phone: string } | { handle: string } | { invalid: string };

/**
 * Reads a phone number in any common format, a handle (with or without @), or the
 * user's own address handle@MAIL_DOMAIN, into one canonical form per person.
 */
export function parseLogin(env: Env, login: string, region = env.DEFAULT_REGION): LoginName {
  const text = login.trim().toLowerCase();
  const suffix = `@${env.MAIL_DOMAIN.toLowerCase()}`;
  if (text.endsWith(suffix)) return { handle: text.slice(0, -suffix.length) };
  if (looksLikePhone(text)) {
    const e164 = toE164(text, region);
    return e164 ? { phone: e164 } : { invalid: text };
  }
  return { handle: text.replace(/^@/, "") };
}

/** The one string a login name stands for (limiter keys): `+14155550100`, `@alice`, `?what was typed`. */
export const loginNameKey = (name: LoginName): string => ("phone" in name ? name.phone : "handle" in name ? `@${name.handle}` : `?${name.invalid}`);

/** Finds a user by what a person would type; a phone number finds its account only once verified. */
export async function findUserByLogin(d: Db, env: Env, login: string | LoginName, region = env.DEFAULT_REGION): Promise<UserRow | undefined> {
  const name = typeof login === "string" ? parseLogin(env, login, region) : login;
  if ("handle" in name) return byHandle(d, name.handle);
  if ("phone" in name) return d.query.users.findFirst({ where: verifiedPhoneIn([await phoneHash(env.PHONE_PEPPER, name.phone)]) });
  return undefined;
}

function byHandle(d: Db, handle: string) {
  return d.query.users.findFirst({ where: eq(users.handle, handle) });
}

export async function usersByIds(d: Db, ids: string[]): Promise<Map<string, UserRow>> {
  const pages = await Promise.all(chunked(ids).map((part) => d.select().from(users).where(inArray(users.id, part))));
  return new Map(pages.flat().map((r) => [r.id, r]));
}
