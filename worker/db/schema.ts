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
    // HMAC-SHA256(pepper, E.164): matches contacts without keeping anyone's number in clear.
    phoneHash: text("phone_hash").notNull(),
    // Shown to the owner only.
    phoneDisplay: text("phone_display").notNull(),
    region: text("region").notNull(),
    passwordHash: text("password_hash").notNull(),
    passwordSalt: text("password_salt").notNull(),
    passwordIterations: integer("password_iterations").notNull(),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("users_handle").on(t.handle), uniqueIndex("users_phone_hash").on(t.phoneHash)],
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
    status: text("status", { enum: ["pending", "accepted", "declined"] }).notNull().default("pending"),
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
    action: text("action", { enum: ["requested", "accepted", "declined", "removed"] }).notNull(),
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
  },
  (t) => [index("media_owner").on(t.owner)],
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
