import type { GroupRoom } from "../durable-objects/group-room";
import type { RateLimiter } from "../durable-objects/rate-limiter";
import type { UserHub } from "../durable-objects/user-hub";

/** Bindings from wrangler.toml, plus secrets from `wrangler secret` / .dev.vars. */
export type Env = {
  DB: D1Database;
  MEDIA: R2Bucket;
  ASSETS?: Fetcher;
  USER_HUB: DurableObjectNamespace<UserHub>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  GROUP_ROOM: DurableObjectNamespace<GroupRoom>;
  MAIL_DOMAIN: string;
  DEFAULT_REGION: string;
  PRESENCE_GRACE_SECONDS: string;
  /** How long a delivered/read receipt waits to be merged with the next ones (default 200). */
  RECEIPT_HOLD_MS?: string;
  SESSION_TTL_DAYS: string;
  RATE_LOGIN_PER_ACCOUNT: string;
  RATE_LOGIN_PER_IP: string;
  RATE_REGISTER_PER_IP: string;
  RATE_FRIEND_REQUESTS: string;
  RATE_DISCOVER: string;
  /** Secret: keys the phone-number HMAC. */
  PHONE_PEPPER: string;
};

/** What the auth middleware puts on the Hono context. */
export type AppVars = { userId: string };
export type AppEnv = { Bindings: Env; Variables: AppVars };
