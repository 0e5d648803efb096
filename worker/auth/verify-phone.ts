// Proving a phone number: a 6-digit one-time code, short-lived, a few attempts, sent no
// more than so often per number and per client. Only a verified number is discoverable,
// addable by phone or a login; proving a number that another account holds moves it
// here, and that account is told (a `phone.moved` event).
import { and, eq, isNotNull, lt, ne, sql } from "drizzle-orm";
import { db } from "../db/client";
import { phoneCodes, users } from "../db/schema";
import type { UserRow } from "../db/users";
import type { Env } from "../env";
import { fail, tooMany } from "../errors";
import { smsProvider } from "../sms/choose";
import { hubOf } from "../../durable-objects/stubs";
import { PHONE_CODE, type Verification } from "../../core/protocol";
import { timingSafeEqual } from "./password";
import { keyedHash } from "./phone";
import { rateLimit } from "./rate-limit";

export type PhoneTarget = { e164: string; hash: string };

/** Six digits, each of the 10⁶ codes equally likely (rejection sampling, no modulo bias). */
export function newCode(): string {
  const buf = new Uint32Array(1);
  const bound = 4_294_000_000; // the largest multiple of 10⁶ under 2³²
  for (;;) {
    crypto.getRandomValues(buf);
    if (buf[0]! < bound) return String(buf[0]! % 1_000_000).padStart(PHONE_CODE.digits, "0");
  }
}

const codeHash = (env: Env, userId: string, phone: string, code: string) => keyedHash(env.PHONE_PEPPER, `code|${userId}|${phone}|${code}`);

/** Sends a fresh code for `target` to the user; the code before it stops working. */
export async function sendCode(env: Env, app: URL, user: UserRow, target: PhoneTarget, ip: string, now = Date.now()): Promise<Verification> {
  const d = db(env.DB);
  const last = await d.query.phoneCodes.findFirst({ where: eq(phoneCodes.userId, user.id) });
  // Again to the same number waits a little; a corrected number (change number) need not.
  // Either way the per-number and per-client limits below count every text.
  if (last?.codeHash && last.phoneHash === target.hash && now < last.sentAt + PHONE_CODE.resendMs) {
    throw tooMany(Math.ceil((last.sentAt + PHONE_CODE.resendMs - now) / 1000));
  }
  const provider = smsProvider(env, app);
  await rateLimit(env, "RATE_SMS_PER_IP", ip);
  await rateLimit(env, "RATE_SMS_PER_NUMBER", target.hash);
  const code = newCode();
  await provider.sendCode(target.e164, code);
  const row = { phoneHash: target.hash, phoneDisplay: target.e164, codeHash: await codeHash(env, user.id, target.e164, code), attempts: 0, expiresAt: now + PHONE_CODE.ttlMs, sentAt: now };
  await d.insert(phoneCodes).values({ userId: user.id, ...row }).onConflictDoUpdate({ target: phoneCodes.userId, set: row });
  return { phone: target.e164, expiresAt: row.expiresAt, resendAt: now + PHONE_CODE.resendMs };
}

/** Checks a code; on success the number is the user's, verified, and moved away from whoever had it. */
export async function verifyCode(env: Env, user: UserRow, code: string, now = Date.now()): Promise<UserRow> {
  const d = db(env.DB);
  // Each try is counted before it is compared, in one statement, so parallel guesses cannot share an attempt.
  const [row] = await d
    .update(phoneCodes)
    .set({ attempts: sql`${phoneCodes.attempts} + 1` })
    .where(and(eq(phoneCodes.userId, user.id), ne(phoneCodes.codeHash, ""), lt(phoneCodes.attempts, PHONE_CODE.attempts), sql`${phoneCodes.expiresAt} > ${now}`))
    .returning();
  if (!row) throw fail("code_expired", "that code has expired or was used up; ask for a new one");
  if (!timingSafeEqual(await codeHash(env, user.id, row.phoneDisplay, code), row.codeHash)) {
    const attemptsLeft = PHONE_CODE.attempts - row.attempts;
    throw fail("code_wrong", attemptsLeft > 0 ? `that code is not right; ${attemptsLeft} tries left` : "that code is not right; ask for a new one", { attemptsLeft });
  }
  // One transaction: the other holder loses the number before we take it (the
  // verified-number index is unique), and the code is gone.
  const [moved] = await d.batch([
    d
      .update(users)
      .set({ phoneVerifiedAt: null })
      .where(and(eq(users.phoneHash, row.phoneHash), isNotNull(users.phoneVerifiedAt), ne(users.id, user.id)))
      .returning({ id: users.id }),
    d.update(users).set({ phoneHash: row.phoneHash, phoneDisplay: row.phoneDisplay, phoneVerifiedAt: now }).where(eq(users.id, user.id)),
    d.delete(phoneCodes).where(eq(phoneCodes.userId, user.id)),
  ]);
  for (const other of moved) {
    console.log(JSON.stringify({ event: "phone.moved", from: other.id, to: user.id }));
    await hubOf(env, other.id).pushEvent({ type: "phone.moved", at: now });
  }
  return { ...user, phoneHash: row.phoneHash, phoneDisplay: row.phoneDisplay, phoneVerifiedAt: now };
}

/** Discovery, add-by-phone and friend requests need a number the account has proved. */
export function requireVerifiedPhone(user: UserRow): void {
  if (user.phoneVerifiedAt === null) throw fail("phone_unverified", "verify your phone number first");
}
