import type { AccountLinkRpc, GroupRoomRpc, RateLimiterRpc, UserHubRpc } from "../durable-objects/api";

/** Bindings from wrangler.toml, plus secrets from `wrangler secret` / .dev.vars. */
export type Env = {
  DB: D1Database;
  MEDIA: R2Bucket;
  ASSETS?: Fetcher;
  USER_HUB: DurableObjectNamespace<UserHubRpc>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiterRpc>;
  GROUP_ROOM: DurableObjectNamespace<GroupRoomRpc>;
  ACCOUNT_LINK: DurableObjectNamespace<AccountLinkRpc>;
  /** Accounts due for a poll (Cron → here → the consumer → the account's link). */
  POLL_QUEUE: Queue<{ account: string }>;
  MAIL_DOMAIN: string;
  DEFAULT_REGION: string;
  PRESENCE_GRACE_SECONDS: string;
  /** How long a delivered/read receipt waits to be merged with the next ones (default 200). */
  RECEIPT_HOLD_MS?: string;
  SESSION_TTL_DAYS: string;
  /** Sends per user as "count/seconds" (a token bucket in the hub; default 300/60). */
  RATE_SENDS_PER_USER?: string;
  RATE_LOGIN_PER_ACCOUNT: string;
  RATE_LOGIN_PER_IP: string;
  RATE_REGISTER_PER_IP: string;
  RATE_FRIEND_REQUESTS: string;
  RATE_DISCOVER: string;
  /** Secret: keys the phone-number HMAC. */
  PHONE_PEPPER: string;
  /** Web Push (VAPID, RFC 8292): the public key browsers subscribe with, base64url (65 bytes). Without both keys there is no push. */
  VAPID_PUBLIC_KEY?: string;
  /** Secret: the VAPID private key, the base64url P-256 scalar d. */
  VAPID_PRIVATE_KEY?: string;
  /** Who push services may contact about our pushes (default mailto:push@MAIL_DOMAIN). */
  VAPID_SUBJECT?: string;
  /** Secret: seals bound accounts' credentials (AES-256-GCM; 32 bytes, base64url), with its key id. */
  CREDENTIALS_KEY?: string;
  CREDENTIALS_KEY_ID?: string;
  /** Older keys still able to open credentials while they are re-sealed: "id:key,id:key". */
  CREDENTIALS_OLD_KEYS?: string;
  /** Local only: hosts that connectors may reach although private ("127.0.0.1,localhost"). Never in production. */
  ALLOW_PRIVATE_HOSTS?: string;
  /** The public base URL of this deployment (webhooks point here), e.g. https://unibox.example. */
  PUBLIC_URL?: string;
  /** How long a dropped upstream session may take to come back before the account shows it (default 90). */
  ACCOUNT_BLIP_SECONDS?: string;
  /** Local only: poll every this many ms instead of the networks' cadence (tests). */
  POLL_EVERY_MS?: string;
  /** Local only: lets tests set a hub's clock for quiet hours (PUT /api/settings/clock). Never in production. */
  CLOCK_CONTROL?: string;
  /** Local only: accept http:// push endpoints on 127.0.0.1, for the test push service. Never in production. */
  PUSH_ALLOW_LOOPBACK_HTTP?: string;
};

/** What the auth middleware puts on the Hono context. */
export type AppVars = { userId: string; session: { hash: string; expiresAt: number; via: "bearer" | "cookie" } };
export type AppEnv = { Bindings: Env; Variables: AppVars };
