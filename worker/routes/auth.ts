import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { clearLoginFailures, checkLoginDelay, loginKeys, recordLoginFailure } from "../auth/login-throttle";
import { hashPassword, NOBODY, verifyPassword } from "../auth/password";
import { phoneHash, toE164 } from "../auth/phone";
import { clientIp, rateLimit } from "../auth/rate-limit";
import { createSession, endOtherSessions, endSession, requireUser } from "../auth/session";
import { db } from "../db/client";
import { users } from "../db/schema";
import { findUserByLogin, loginNameKey, parseLogin, toUser } from "../db/users";
import type { AppEnv } from "../env";
import { ApiError, fail } from "../errors";
import { newId } from "../../core/ids";
import { loginBody, registerBody } from "../../core/protocol";
import { json } from "../validate";

export const auth = new Hono<AppEnv>()
  // The number is only claimed here: it counts for nothing until the code sent to it
  // comes back (POST /api/me/phone, then /api/me/phone/verify). So registering never
  // says whether someone else has that number.
  .post("/register", json(registerBody), async (c) => {
    const input = c.req.valid("json");
    await rateLimit(c.env, "RATE_REGISTER_PER_IP", clientIp(c.req.raw));
    const region = input.region ?? c.env.DEFAULT_REGION;
    const e164 = toE164(input.phone, region);
    if (!e164) throw fail("invalid_phone", `"${input.phone}" is not a valid phone number for region ${region}`);
    const d = db(c.env.DB);
    if (await d.query.users.findFirst({ where: eq(users.handle, input.handle) })) throw fail("handle_taken", "that handle is taken");
    const pw = await hashPassword(input.password);
    const row = {
      id: newId("u"),
      handle: input.handle,
      displayName: input.displayName,
      phoneHash: await phoneHash(c.env.PHONE_PEPPER, e164),
      phoneDisplay: e164,
      phoneVerifiedAt: null,
      region,
      passwordHash: pw.hash,
      passwordSalt: pw.salt,
      passwordIterations: pw.iterations,
      createdAt: Date.now(),
    };
    try {
      await d.insert(users).values(row);
    } catch (err) {
      // Two registrations raced past the check above: the unique index decides.
      if (String(err).includes("users.handle")) throw fail("handle_taken", "that handle is taken");
      throw err;
    }
    const { token } = await createSession(c, row.id);
    return c.json({ user: toUser(row, c.env, true), token }, 201);
  })
  // Unknown logins do the same work and meet the same limiter as wrong passwords, so
  // neither the answer nor its timing says whether an account exists.
  .post("/login", json(loginBody), async (c) => {
    const { login, password } = c.req.valid("json");
    const ip = clientIp(c.req.raw);
    await rateLimit(c.env, "RATE_LOGIN_PER_IP", ip);
    const name = parseLogin(c.env, login);
    const row = await findUserByLogin(db(c.env.DB), c.env, name);
    const keys = await loginKeys(c.env, row?.id ?? loginNameKey(name), ip);
    await checkLoginDelay(c.env, keys);
    const stored = row ? { hash: row.passwordHash, salt: row.passwordSalt, iterations: row.passwordIterations } : NOBODY;
    const passwordOk = await verifyPassword(password, stored);
    if (!row || !passwordOk) {
      await recordLoginFailure(c.env, keys);
      throw new ApiError("invalid_credentials", "wrong login or password");
    }
    await clearLoginFailures(c.env, keys);
    const { token } = await createSession(c, row.id);
    return c.json({ user: toUser(row, c.env, true), token });
  })
  .post("/logout", async (c) => {
    await endSession(c);
    return c.json({ ok: true });
  })
  // "Sign out other devices": their sessions end and their open sockets close.
  .post("/sessions/end-others", requireUser, async (c) => {
    const signedOut = await endOtherSessions(c.env, c.get("userId"), c.get("session").hash);
    return c.json({ signedOut });
  });
