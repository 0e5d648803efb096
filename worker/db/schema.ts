// The account store (D1). Message bodies never live here: they are in the users' hubs.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(unixepoch('subsec') * 1000)`;

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    handle: text("handle").notNull(),
    displayName: text("display_name").notNull(),
    // The account's number: HMAC-SHA256(pepper, E.164), so contacts match without keeping
    // anyone's number in clear. It counts (discovery, add by phone, login) only once
    // verified: until then, or after the number moved to whoever proved it, any number
    // of accounts may name it.
    phoneHash: text("phone_hash").notNull(),
    // Shown to the owner only.
    phoneDisplay: text("phone_display").notNull(),
    phoneVerifiedAt: integer("phone_verified_at"),
    region: text("region").notNull(),
    passwordHash: text("password_hash").notNull(),
    passwordSalt: text("password_salt").notNull(),
    passwordIterations: integer("password_iterations").notNull(),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("users_handle").on(t.handle),
    // Unique among verified numbers only.
    uniqueIndex("users_verified_phone").on(t.phoneHash).where(sql`phone_verified_at is not null`),
    index("users_phone_hash").on(t.phoneHash),
  ],
);

export const sessions = sqliteTable(
  "sessions",
  {
    // SHA-256 of the bearer token; the token itself is never stored.
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull().default(now),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_user").on(t.userId)],
);

// One row per friendship, stored once with userA < userB.
export const friendships = sqliteTable(
  "friendships",
  {
    userA: text("user_a").notNull().references(() => users.id, { onDelete: "cascade" }),
    userB: text("user_b").notNull().references(() => users.id, { onDelete: "cascade" }),
    since: integer("since").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.userA, t.userB] }), index("friendships_b").on(t.userB)],
);

export const friendRequests = sqliteTable(
  "friend_requests",
  {
    id: text("id").primaryKey(),
    fromUser: text("from_user").notNull().references(() => users.id, { onDelete: "cascade" }),
    toUser: text("to_user").notNull().references(() => users.id, { onDelete: "cascade" }),
    message: text("message"),
    status: text("status", { enum: ["pending", "accepted", "declined", "cancelled"] }).notNull().default("pending"),
    createdAt: integer("created_at").notNull().default(now),
    decidedAt: integer("decided_at"),
  },
  (t) => [index("friend_requests_to").on(t.toUser, t.status), index("friend_requests_from").on(t.fromUser, t.status)],
);

// Every friend request and decision, kept after the request itself is settled.
export const friendAudit = sqliteTable(
  "friend_audit",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    requestId: text("request_id"),
    actor: text("actor").notNull(),
    subject: text("subject").notNull(),
    action: text("action", { enum: ["requested", "accepted", "declined", "removed", "cancelled"] }).notNull(),
    at: integer("at").notNull().default(now),
  },
  (t) => [index("friend_audit_actor").on(t.actor)],
);

// Temporary groups: the registry for listing. Members and the message log live in the
// group's GroupRoom; these rows change on create/join/leave/end, never per message.
export const groups = sqliteTable("groups", {
  id: text("id").primaryKey(),
  name: text("name"),
  owner: text("owner").notNull().references(() => users.id, { onDelete: "cascade" }),
  ttlHours: integer("ttl_hours").notNull(),
  createdAt: integer("created_at").notNull().default(now),
  endedAt: integer("ended_at"),
  endReason: text("end_reason", { enum: ["ttl", "ended"] }),
});

export const groupMembers = sqliteTable(
  "group_members",
  {
    groupId: text("group_id").notNull().references(() => groups.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    joinedAt: integer("joined_at").notNull().default(now),
    leftAt: integer("left_at"),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("group_members_user").on(t.userId)],
);

// Uploaded media: the bytes are in R2 under `key`; who may read them is decided by the
// uploader and by the hubs of the conversations that carry them.
export const media = sqliteTable(
  "media",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull().references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["image", "audio", "video"] }).notNull(),
    mime: text("mime").notNull(),
    size: integer("size").notNull(),
    key: text("key").notNull(),
    createdAt: integer("created_at").notNull().default(now),
    // When we learnt that a message carries it (a hub said so); the unsent-upload sweep
    // only ever looks at rows where this is still null.
    sentAt: integer("sent_at"),
  },
  (t) => [index("media_owner").on(t.owner), index("media_unsent").on(t.sentAt, t.createdAt)],
);

// The one-time code an account was last sent, and the number it went to (the account's
// own, or the one it is changing to). A row claims nothing: any number of accounts may
// wait for a code to the same number.
export const phoneCodes = sqliteTable(
  "phone_codes",
  {
    userId: text("user_id").primaryKey().references(() => users.id, { onDelete: "cascade" }),
    phoneHash: text("phone_hash").notNull(),
    phoneDisplay: text("phone_display").notNull(),
    // HMAC of the code under the pepper; the code itself is never stored. Empty: no code sent yet.
    codeHash: text("code_hash").notNull(),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: integer("expires_at").notNull(),
    sentAt: integer("sent_at").notNull(),
  },
  (t) => [index("phone_codes_phone").on(t.phoneHash)],
);

// Failed logins per limiter key (account+client, and account-wide): growing delays,
// not hard blocks. Keys never hold a password, a login string or an address in clear.
export const loginFailures = sqliteTable("login_failures", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  lastAt: integer("last_at").notNull(),
});

// Distinct numbers an account looked up today (contact discovery, add by phone), to cap
// them per day. Keyed hashes only, kept for the day they count and swept after.
export const phoneLookups = sqliteTable(
  "phone_lookups",
  {
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    day: integer("day").notNull(),
    numberKey: text("number_key").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.day, t.numberKey] }), index("phone_lookups_day").on(t.day)],
);

// Bound accounts: the registry, read when binding, listing for cron and deleting. What the
// account is (credentials, cursor, state) lives sealed in its AccountLink; what it brought
// (messages, conversations) in the owner's hub. Never message bodies or secrets here.
export const accounts = sqliteTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull().references(() => users.id, { onDelete: "cascade" }),
    network: text("network").notNull(),
    label: text("label").notNull(),
    remote: text("remote").notNull(),
    createdAt: integer("created_at").notNull().default(now),
    // When the account's link next wants a poll (poll networks, and live ones while the owner is away).
    nextPollAt: integer("next_poll_at"),
  },
  (t) => [index("accounts_owner").on(t.owner), index("accounts_next_poll").on(t.nextPollAt)],
);
