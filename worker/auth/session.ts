import { and, eq, gt } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { db } from "../db/client";
import { sessions } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { unauthorized } from "../errors";
import { randomToken, sha256 } from "../../core/ids";

export const SESSION_COOKIE = "unibox_session";

export async function createSession(c: Context<AppEnv>, userId: string): Promise<string> {
  const token = randomToken();
  const ttlMs = Number(c.env.SESSION_TTL_DAYS) * 86_400_000;
  await db(c.env.DB).insert(sessions).values({ tokenHash: await sha256(token), userId, expiresAt: Date.now() + ttlMs });
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:",
    path: "/",
    maxAge: ttlMs / 1000,
  });
  return token;
}

function tokenOf(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("Authorization");
  if (header?.startsWith("Bearer ")) return header.slice(7).trim() || undefined;
  return getCookie(c, SESSION_COOKIE);
}

export async function userIdForToken(env: Env, token: string): Promise<string | undefined> {
  const row = await db(env.DB).query.sessions.findFirst({
    where: and(eq(sessions.tokenHash, await sha256(token)), gt(sessions.expiresAt, Date.now())),
  });
  return row?.userId;
}

/** Rejects the request with 401 unless it carries a live session. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = tokenOf(c);
  const userId = token && (await userIdForToken(c.env, token));
  if (!userId) throw unauthorized();
  c.set("userId", userId);
  await next();
};

export async function endSession(c: Context<AppEnv>): Promise<void> {
  const token = tokenOf(c);
  if (token) await db(c.env.DB).delete(sessions).where(eq(sessions.tokenHash, await sha256(token)));
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}
