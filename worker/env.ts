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
  POLL_QUEUE: Queue<{ accounts: string[] } | { account: string }>;
  /** Which build is running (Workers version metadata; absent in some local runs). */
  VERSION?: { id: string; tag: string; timestamp: string };
  MAIL_DOMAIN: string;
  DEFAULT_REGION: string;
  PRESENCE_GRACE_SECONDS: string;
  /** How long a delivered/read receipt waits to be merged with the next ones (default 200). */
  RECEIPT_HOLD_MS?: string;
  /** "1": count calls into Durable Objects for the benchmark (durable-objects/call-count.ts). */
  COUNT_DO_CALLS?: string;
  /** A group room's fan-out window per member under load (default 200). */
  FANOUT_WINDOW_MS?: string;
  /** How long a member hub holds a group's `delivered` receipts for the room's next delivery to carry (default 1500). */
  GROUP_RECEIPT_HOLD_MS?: string;
  /** The longest a live member's hub waits for what their room sockets already got (a lazy digest; default 600000). */
  GROUP_DIGEST_MS?: string;
  /** How long a live member's devices have to ack a room entry before their hub logs and pushes it too (default 2000). */
  GROUP_ACK_GRACE_MS?: string;
  SESSION_TTL_DAYS: string;
  /** Sends per user as "count/seconds" (a token bucket in the hub; default 300/60). */
  RATE_SENDS_PER_USER?: string;
  /** Failed logins per account from one client (IP) before each next try waits 1 s, 2 s, 4 s, ... up to the window. */
  RATE_LOGIN_PER_ACCOUNT_CLIENT: string;
  /** The same for every client together: a much higher ceiling, so strangers cannot lock an owner out. */
  RATE_LOGIN_ACCOUNT_CEILING: string;
  RATE_LOGIN_PER_IP: string;
  RATE_REGISTER_PER_IP: string;
  RATE_FRIEND_REQUESTS: string;
  RATE_DISCOVER: string;
  /** Verification codes sent to one number, and asked for from one IP. */
  RATE_SMS_PER_NUMBER: string;
  RATE_SMS_PER_IP: string;
  /** Uploads per user. */
  RATE_UPLOADS: string;
  /** Distinct phone numbers one account may look up per UTC day (discovery and add by phone). */
  PHONE_LOOKUPS_PER_DAY: string;
  /** Bytes of media one user may keep. */
  MEDIA_QUOTA_BYTES: string;
  /** Hours after a declined friend request before the same person may ask again (doubling with each further decline). */
  FRIEND_DECLINE_COOLDOWN_HOURS: string;
  /** `log` (local only: the code goes to the server log) or `twilio`. Default `log`. */
  SMS_PROVIDER?: string;
  /** Server config, never from a request: Twilio's API root (default https://api.twilio.com). */
  SMS_API_ROOT?: string;
  TWILIO_ACCOUNT_SID?: string;
  /** Secret. */
  TWILIO_AUTH_TOKEN?: string;
  /** The sender: a number or alphanumeric id, or a Messaging Service (which wins). */
  TWILIO_FROM?: string;
  TWILIO_MESSAGING_SERVICE_SID?: string;
  /** Pins the app's own origin (e.g. https://unibox.example) for the cross-site checks; default: the request's own origin. */
  APP_ORIGIN?: string;
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
  /**
   * The relay that mail from the own address leaves through (worker/mail/relay.ts). Without
   * a host, sending from the own address is refused with mail_unavailable.
   */
  SMTP_RELAY_HOST?: string;
  SMTP_RELAY_PORT?: string;
  /** "starttls" (default; "tls" when the port is 465) or "plain" (local development only). */
  SMTP_RELAY_SECURITY?: string;
  SMTP_RELAY_USER?: string;
  /** Secret. */
  SMTP_RELAY_PASSWORD?: string;
  /** The authserv-id whose Authentication-Results on incoming mail are believed (Email Routing's: mx.cloudflare.net). */
  MAIL_AUTHSERV_ID?: string;
  /** The largest mail the own address takes, in bytes (default and most: 25 MiB, Email Routing's limit). */
  MAIL_MAX_BYTES?: string;
};

/** What the auth middleware puts on the Hono context. */
export type AppVars = { userId: string; session: { hash: string; expiresAt: number; via: "bearer" | "cookie" }; errorCode?: string };
export type AppEnv = { Bindings: Env; Variables: AppVars };
