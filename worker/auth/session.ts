import { and, eq, gt } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { db } from "../db/client";
import { sessions } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { unauthorized } from "../errors";
import { randomToken, sha256 } from "../../core/ids";
import { hubOf } from "../../durable-objects/stubs";

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

/** The session token and how it came: a Bearer header (API clients) or the cookie (the app). */
function tokenOf(c: Context<AppEnv>): { token: string; via: "bearer" | "cookie" } | undefined {
  const header = c.req.header("Authorization");
  if (header?.startsWith("Bearer ")) {
    const token = header.slice(7).trim();
    return token ? { token, via: "bearer" } : undefined;
  }
  const cookie = getCookie(c, SESSION_COOKIE);
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
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
  if (!presented) return;
  const hash = await sha256(presented.token);
  const row = await db(c.env.DB).delete(sessions).where(eq(sessions.tokenHash, hash)).returning({ userId: sessions.userId });
  if (row[0]) await hubOf(c.env, row[0].userId).endSessions({ only: [hash] });
}
