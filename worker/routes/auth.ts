import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { hashPassword, verifyPassword } from "../auth/password";
import { phoneHash, toE164 } from "../auth/phone";
import { clientIp, rateLimit } from "../auth/rate-limit";
import { createSession, endSession, requireUser } from "../auth/session";
import { db } from "../db/client";
import { users } from "../db/schema";
import { findUserByLogin, toUser } from "../db/users";
import type { AppEnv } from "../env";
import { ApiError, fail, unauthorized } from "../errors";
import { newId } from "../../core/ids";
import { loginBody, registerBody } from "../../core/protocol";
import { json } from "../validate";

export const auth = new Hono<AppEnv>()
  .post("/register", json(registerBody), async (c) => {
    const input = c.req.valid("json");
    await rateLimit(c.env, "RATE_REGISTER_PER_IP", clientIp(c.req.raw));
    const region = input.region ?? c.env.DEFAULT_REGION;
    const e164 = toE164(input.phone, region);
    if (!e164) throw fail("invalid_phone", `"${input.phone}" is not a valid phone number for region ${region}`);
    const d = db(c.env.DB);
    const hash = await phoneHash(c.env.PHONE_PEPPER, e164);
    if (await d.query.users.findFirst({ where: eq(users.handle, input.handle) })) throw fail("handle_taken", "that handle is taken");
    if (await d.query.users.findFirst({ where: eq(users.phoneHash, hash) })) throw fail("phone_taken", "that phone number already has an account");
    const pw = await hashPassword(input.password);
    const row = {
      id: newId("u"),
      handle: input.handle,
      displayName: input.displayName,
      phoneHash: hash,
      phoneDisplay: e164,
      region,
      passwordHash: pw.hash,
      passwordSalt: pw.salt,
      passwordIterations: pw.iterations,
      createdAt: Date.now(),
    };
    try {
      await d.insert(users).values(row);
    } catch (err) {
      // Two registrations raced past the checks above: the unique index decides.
      const text = String(err);
      if (text.includes("users.handle")) throw fail("handle_taken", "that handle is taken");
      if (text.includes("users.phone_hash")) throw fail("phone_taken", "that phone number already has an account");
      throw err;
    }
    const token = await createSession(c, row.id);
    return c.json({ user: toUser(row, c.env, true), token }, 201);
  })
  .post("/login", json(loginBody), async (c) => {
    const { login, password } = c.req.valid("json");
    await rateLimit(c.env, "RATE_LOGIN_PER_IP", clientIp(c.req.raw));
    const row = await findUserByLogin(db(c.env.DB), c.env, login);
    // Per account, whichever way it was named (phone formats, handle, address).
    await rateLimit(c.env, "RATE_LOGIN_PER_ACCOUNT", row?.id ?? login.toLowerCase());
    const ok = row && (await verifyPassword(password, { hash: row.passwordHash, salt: row.passwordSalt, iterations: row.passwordIterations }));
    if (!row || !ok) throw new ApiError("invalid_credentials", "wrong login or password");
    const token = await createSession(c, row.id);
    return c.json({ user: toUser(row, c.env, true), token });
  })
  .post("/logout", async (c) => {
    await endSession(c);
    return c.json({ ok: true });
  });

export const me = new Hono<AppEnv>().use(requireUser).get("/", async (c) => {
  const row = await db(c.env.DB).query.users.findFirst({ where: eq(users.id, c.get("userId")) });
  if (!row) throw unauthorized();
  return c.json({ user: toUser(row, c.env, true) });
});
