import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { clearLoginFailures, checkLoginDelay, loginKeys, recordLoginFailure } from "../auth/login-throttle";
import { hashPassword, verifyPassword } from "../auth/password";
import { phoneHash, toE164 } from "../auth/phone";
import { clientIp } from "../auth/rate-limit";
import { endOtherSessions, requireUser } from "../auth/session";
import { sendCode, verifyCode } from "../auth/verify-phone";
import { db } from "../db/client";
import { friendsOf } from "../db/friends";
import { users } from "../db/schema";
import { toUser, type UserRow } from "../db/users";
import type { AppEnv } from "../env";
import { ApiError, fail, unauthorized } from "../errors";
import { hubOf } from "../../durable-objects/stubs";
import { passwordChangeBody, phoneCodeBody, profileBody, verifyPhoneBody } from "../../core/protocol";
import { json } from "../validate";
import type { Context } from "hono";

async function myRow(c: Context<AppEnv>): Promise<UserRow> {
  const row = await db(c.env.DB).query.users.findFirst({ where: eq(users.id, c.get("userId")) });
  if (!row) throw unauthorized();
  return row;
}

export const me = new Hono<AppEnv>()
  .use(requireUser)
  .get("/", async (c) => c.json({ user: toUser(await myRow(c), c.env, true) }))
  .patch("/", json(profileBody), async (c) => {
    const { displayName } = c.req.valid("json");
    const row = { ...(await myRow(c)), displayName };
    await db(c.env.DB).update(users).set({ displayName }).where(eq(users.id, row.id));
    // The own hub's cached profile now; friends' hubs refresh theirs when they next connect.
    await hubOf(c.env, row.id).syncProfile(toUser(row, c.env), await friendsOf(db(c.env.DB), c.env, row.id));
    return c.json({ user: toUser(row, c.env, true) });
  })
  // A new password ends every other session (and closes their sockets). The current one
  // is checked like a login, with its own growing delays, so a stolen session cannot
  // guess it quickly.
  .post("/password", json(passwordChangeBody), async (c) => {
    const { current, next } = c.req.valid("json");
    const row = await myRow(c);
    const keys = await loginKeys(c.env, row.id, clientIp(c.req.raw));
    await checkLoginDelay(c.env, keys);
    if (!(await verifyPassword(current, { hash: row.passwordHash, salt: row.passwordSalt, iterations: row.passwordIterations }))) {
      await recordLoginFailure(c.env, keys);
      throw new ApiError("invalid_credentials", "that is not your current password");
    }
    await clearLoginFailures(c.env, keys);
    const pw = await hashPassword(next);
    await db(c.env.DB).update(users).set({ passwordHash: pw.hash, passwordSalt: pw.salt, passwordIterations: pw.iterations }).where(eq(users.id, row.id));
    const signedOut = await endOtherSessions(c.env, row.id, c.get("session").hash);
    return c.json({ ok: true as const, signedOut });
  })
  // A code to your number, or to a new one ("change number": your verified number stays
  // yours until the new one is proved).
  .post("/phone", json(phoneCodeBody), async (c) => {
    const input = c.req.valid("json");
    const row = await myRow(c);
    const target = input.phone === undefined ? { e164: row.phoneDisplay, hash: row.phoneHash } : await readPhone(c, input.phone, input.region ?? row.region);
    if (target.hash === row.phoneHash && row.phoneVerifiedAt !== null) throw fail("already_verified", "that number is verified already");
    const verification = await sendCode(c.env, new URL(c.req.url), row, target, clientIp(c.req.raw));
    return c.json({ verification });
  })
  .post("/phone/verify", json(verifyPhoneBody), async (c) => {
    const row = await verifyCode(c.env, await myRow(c), c.req.valid("json").code);
    return c.json({ user: toUser(row, c.env, true) });
  });

async function readPhone(c: Context<AppEnv>, phone: string, region: string) {
  const e164 = toE164(phone, region);
  if (!e164) throw fail("invalid_phone", `"${phone}" is not a valid phone number for region ${region}`);
  return { e164, hash: await phoneHash(c.env.PHONE_PEPPER, e164) };
}
