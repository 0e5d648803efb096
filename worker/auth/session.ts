import { and, eq, gt, ne } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { db } from "../db/client";
import { sessions } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { unauthorized } from "../errors";
import { randomToken, sha256 } from "../../core/ids";
import { hubOf } from "../../durable-objects/stubs";

export const SESSION_COOKIE = "unibox_session";

/**
 * Over https the cookie is `__Host-unibox_session`: the browser then only takes it Secure,
 * for Path=/ and from this exact host, so no sibling subdomain or plain-http page can
 * plant or overwrite it. Plain http (local dev on 127.0.0.1, tests) cannot carry the
 * prefix, so there it keeps the bare name.
 */
export const sessionCookieName = (url: string): string => (new URL(url).protocol === "https:" ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE);

export async function createSession(c: Context<AppEnv>, userId: string): Promise<{ token: string; hash: string }> {
  const token = randomToken();
  const hash = await sha256(token);
  const ttlMs = Number(c.env.SESSION_TTL_DAYS) * 86_400_000;
  await db(c.env.DB).insert(sessions).values({ tokenHash: hash, userId, expiresAt: Date.now() + ttlMs });
  const secure = new URL(c.req.url).protocol === "https:";
  setCookie(c, sessionCookieName(c.req.url), token, { httpOnly: true, sameSite: "Strict", secure, path: "/", maxAge: ttlMs / 1000 });
  return { token, hash };
}

/** The session token and how it came: a Bearer header (API clients) or the cookie (the app). */
function tokenOf(c: Context<AppEnv>): { token: string; via: "bearer" | "cookie" } | undefined {
  const header = c.req.header("Authorization");
  if (header?.startsWith("Bearer ")) {
    const token = header.slice(7).trim();
    return token ? { token, via: "bearer" } : undefined;
  }
  const cookie = getCookie(c, sessionCookieName(c.req.url));
  return cookie ? { token: cookie, via: "cookie" } : undefined;
}

export async function sessionForToken(env: Env, token: string): Promise<{ userId: string; hash: string; expiresAt: number } | undefined> {
  const hash = await sha256(token);
  const row = await db(env.DB).query.sessions.findFirst({ where: and(eq(sessions.tokenHash, hash), gt(sessions.expiresAt, Date.now())) });
  return row && { userId: row.userId, hash, expiresAt: row.expiresAt };
}

/** Rejects the request with 401 unless it carries a live session. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  const presented = tokenOf(c);
  const session = presented && (await sessionForToken(c.env, presented.token));
  if (!session) throw unauthorized();
  c.set("userId", session.userId);
  c.set("session", { hash: session.hash, expiresAt: session.expiresAt, via: presented.via });
  await next();
};

/** Ends the request's session: its row, its cookie, and every socket opened with it. */
export async function endSession(c: Context<AppEnv>): Promise<void> {
  const presented = tokenOf(c);
  const secure = new URL(c.req.url).protocol === "https:";
  deleteCookie(c, sessionCookieName(c.req.url), { path: "/", secure });
  if (!presented) return;
  const hash = await sha256(presented.token);
  const row = await db(c.env.DB).delete(sessions).where(eq(sessions.tokenHash, hash)).returning({ userId: sessions.userId });
  if (row[0]) await hubOf(c.env, row[0].userId).endSessions({ only: [hash] });
}

/** Ends every session of the user but `keep` (sign out other devices, a new password): rows first, then their sockets. */
export async function endOtherSessions(env: Env, userId: string, keep: string): Promise<number> {
  const ended = await db(env.DB).delete(sessions).where(and(eq(sessions.userId, userId), ne(sessions.tokenHash, keep))).returning({ hash: sessions.tokenHash });
  await hubOf(env, userId).endSessions({ except: keep });
  return ended.length;
}
