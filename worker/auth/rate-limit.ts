import type { Env } from "../env";
import { limiterOf } from "../../durable-objects/stubs";
import { tooMany } from "../errors";

type LimitVar = "RATE_LOGIN_PER_IP" | "RATE_REGISTER_PER_IP" | "RATE_FRIEND_REQUESTS" | "RATE_DISCOVER" | "RATE_SMS_PER_NUMBER" | "RATE_SMS_PER_IP" | "RATE_UPLOADS";

export function parseLimit(spec: string): { limit: number; seconds: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (!m) throw new Error(`rate limit "${spec}" is not count/seconds`);
  return { limit: Number(m[1]), seconds: Number(m[2]) };
}

/** Counts one attempt against `key`; throws 429 with Retry-After past the limit. */
export async function rateLimit(env: Env, which: LimitVar, key: string): Promise<void> {
  const { limit, seconds } = parseLimit(env[which]);
  const stub = limiterOf(env, `${which}:${key}`);
  const { allowed, retryAfter } = await stub.hit(limit, seconds);
  if (!allowed) throw tooMany(retryAfter);
}

export function clientIp(req: Request): string {
  return req.headers.get("CF-Connecting-IP") ?? "local";
}
