// The wire contract (docs/protocol.md), as zod schemas shared by the Worker, the
// Durable Objects and the client. Types are inferred from these; never re-declare them.
import { z } from "zod";

// Zod would probe `new Function` to compile faster parsers. Nowhere we run has eval: the
// app's Content-Security-Policy forbids it (the probe alone is a violation report) and
// workerd has none. Set before any schema below is built.
z.config({ jitless: true });

export const LIMITS = {
  frameBytes: 64 * 1024,
  textChars: 4000,
  clientIdChars: 64,
  readBatch: 500,
  pageSize: 50,
  pageSizeMax: 200,
} as const;

// ---- resources -------------------------------------------------------------------

export const handleSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{3,20}$/, "3–20 characters: a–z, 0–9 and _");

/**
 * How a display name is kept: NFC, without control characters, bidi overrides or
 * invisible fillers, whitespace runs as one space, trimmed. Zero-width joiners stay
 * (emoji sequences and some scripts need them) but do not count as visible.
 */
export function normalizeDisplayName(raw: string): string {
  return raw
    .replace(/\p{Cs}/gu, "") // lone surrogates
    .normalize("NFC")
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]/g, " ")
    .replace(INVISIBLE, "")
    .replace(/\s+/gu, " ")
    .trim();
}

// Controls (NUL included), format characters but ZWNJ/ZWJ and emoji tag characters (bidi
// overrides, isolates and marks, zero-width space, BOM, ...), and letters that draw nothing.
const INVISIBLE = /[\p{Cc}\u3164\u115f\u1160\uffa0\u2800]|(?![\u200c\u200d\u{e0020}-\u{e007f}])\p{Cf}/gu;

export const DISPLAY_NAME_MAX = 64;

export const displayNameSchema = z
  .string()
  .max(1000)
  .transform(normalizeDisplayName)
  .pipe(
    z
      .string()
      .max(DISPLAY_NAME_MAX)
      .refine((s) => /[\p{L}\p{N}\p{P}\p{S}]/u.test(s), "needs at least one visible character"),
  );

export const userSchema = z.object({
  id: z.string(),
  handle: z.string(),
  address: z.string(),
  displayName: z.string(),
  /** Your own user only: your number (E.164), and whether you proved you hold it. */
  phone: z.string().optional(),
  phoneVerified: z.boolean().optional(),
});
export type User = z.infer<typeof userSchema>;

// ---- HTTP bodies -----------------------------------------------------------------

export const registerBody = z.strictObject({
  handle: handleSchema,
  phone: z.string().trim().min(3).max(32),
  password: z.string().min(10, "at least 10 characters").max(256),
  displayName: displayNameSchema,
  region: z.string().regex(/^[A-Z]{2}$/).optional(),
});

export const PHONE_CODE = { digits: 6, ttlMs: 10 * 60_000, attempts: 5, resendMs: 30_000 } as const;

/** `POST /api/me/phone`: send a code to your number, or to a new one (change number). */
export const phoneCodeBody = z.strictObject({
  phone: z.string().trim().min(3).max(32).optional(),
  region: z.string().regex(/^[A-Z]{2}$/).optional(),
});

export const verifyPhoneBody = z.strictObject({ code: z.string().trim().regex(/^\d{6}$/, "6 digits") });

/** Where the code went and when: it expires at `expiresAt`; another may be asked for from `resendAt`. */
export const verificationSchema = z.object({ phone: z.string(), expiresAt: z.number(), resendAt: z.number() });
export type Verification = z.infer<typeof verificationSchema>;

export const profileBody = z.strictObject({ displayName: displayNameSchema });

export const passwordSchema = z.string().min(10, "at least 10 characters").max(256);

export const passwordChangeBody = z.strictObject({ current: z.string().min(1).max(256), next: passwordSchema });

export const loginBody = z.strictObject({
  login: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(256),
});

export const friendRequestBody = z.strictObject({
  to: z.string().trim().min(1).max(320),
  message: z.string().trim().max(280).optional(),
});

const userId = z.string().min(1).max(64);

export const GROUP_LIMITS = { members: 500, ttlHoursDefault: 24, ttlHoursMax: 168 } as const;

export const createGroupBody = z.strictObject({
  name: z.string().trim().min(1).max(64).optional(),
  members: z.array(userId).min(1).max(GROUP_LIMITS.members - 1),
  ttlHours: z.number().int().min(1).max(GROUP_LIMITS.ttlHoursMax).optional(),
});

export const addMembersBody = z.strictObject({ members: z.array(userId).min(1).max(GROUP_LIMITS.members - 1) });

export const groupSchema = z.object({
  id: z.string(),
  conv: z.string(),
  name: z.string().nullable(),
  owner: z.string(),
  members: z.array(userSchema),
  ttlHours: z.number(),
  createdAt: z.number(),
  endedAt: z.number().nullable(),
  endReason: z.enum(["ttl", "ended"]).nullable(),
  /** In `GET /api/groups`: you left this group; `members` are the ones still in it. */
  left: z.literal(true).optional(),
});
export type Group = z.infer<typeof groupSchema>;

/** Media kinds and their size limits (bytes); the real type is sniffed from the bytes. */
export const MEDIA_LIMITS = { image: 10 * 1024 * 1024, audio: 20 * 1024 * 1024, video: 50 * 1024 * 1024 } as const;
export type MediaKind = keyof typeof MEDIA_LIMITS;
export const mediaSchema = z.object({ id: z.string(), type: z.enum(["image", "audio", "video"]), mime: z.string(), size: z.number() });
export type Media = z.infer<typeof mediaSchema>;

export const discoverBody = z.strictObject({
  numbers: z.array(z.string().trim().min(1).max(40)).min(1).max(1000),
  region: z.string().regex(/^[A-Z]{2}$/).optional(),
});

/** PushSubscription.toJSON() as browsers send it; unknown fields are ignored. */
export const pushSubscriptionBody = z.object({
  endpoint: z.string().max(2048).pipe(z.url()),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({ p256dh: z.string().max(200), auth: z.string().max(100) }),
});

export type PushSubscriptionBody = z.input<typeof pushSubscriptionBody>;

export const pushEndpointBody = z.object({ endpoint: z.string().max(2048) });

export const messagesQuery = z.strictObject({
  before: z.string().regex(/^\d{1,15}$/).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).optional(),
});

// ---- message bodies and targets ----------------------------------------------------

const finite = z.number().refine(Number.isFinite, "must be finite");

export const bodySchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text"), text: z.string().trim().min(1, "empty message").max(LIMITS.textChars) }),
  ...(["image", "audio", "video", "file"] as const).map((type) =>
    z.strictObject({
      type: z.literal(type),
      media: z.string().min(1).max(64),
      caption: z.string().max(1000).optional(),
    }),
  ),
  z.strictObject({
    type: z.literal("location"),
    lat: finite.min(-90).max(90),
    lng: finite.min(-180).max(180),
    accuracy: finite.min(0).max(1e7).optional(),
    label: z.string().max(200).optional(),
  }),
  z.strictObject({
    type: z.literal("email"),
    subject: z.string().max(998),
    text: z.string().max(200_000),
    html: z.string().max(500_000).optional(),
    attachments: z.array(z.string().max(64)).max(20).optional(),
  }),
]);
export type Body = z.infer<typeof bodySchema>;

export const targetSchema = z.union([
  z.strictObject({ user: z.string().min(1).max(64) }),
  z.strictObject({ group: z.string().min(1).max(64) }),
  z.strictObject({ account: z.string().min(1).max(64), contact: z.string().min(1).max(320) }),
  z.strictObject({ network: z.string().min(1).max(32) }),
  z.strictObject({ email: z.string().email(), account: z.string().max(64).optional() }),
]);
export type Target = z.infer<typeof targetSchema>;

// ---- frames: client → hub ----------------------------------------------------------

const clientId = z.string().min(1).max(LIMITS.clientIdChars);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const clientFrame = z.discriminatedUnion("t", [
  // `fresh`: a device with nothing stored starts at the head and loads lists and history
  // over HTTP instead of replaying the whole log. `resume` wins when both are given.
  z.strictObject({ t: z.literal("hello"), resume: seq.optional(), fresh: z.boolean().optional(), device: z.string().max(64).optional() }),
  z.strictObject({ t: z.literal("send"), id: clientId, to: targetSchema, body: bodySchema }),
  z.strictObject({ t: z.literal("broadcast"), id: clientId, to: z.array(targetSchema).min(1).max(20), body: bodySchema }),
  z.strictObject({ t: z.literal("ack"), seq }),
  z.strictObject({ t: z.literal("read"), conv: z.string().min(1).max(200), msgIds: z.array(z.string().min(1).max(64)).min(1).max(LIMITS.readBatch) }),
]);
export type ClientFrame = z.infer<typeof clientFrame>;

// ---- events and frames: hub → client ---------------------------------------------

/** How far an own message got: stored by both hubs, on a device of the recipient, read. */
export const deliveryStates = ["sent", "delivered", "read"] as const;
export const deliveryState = z.enum(deliveryStates);
export type DeliveryState = z.infer<typeof deliveryState>;
/** What a receipt can raise a message to. */
export const receiptState = z.enum(["delivered", "read"]);
export type ReceiptState = z.infer<typeof receiptState>;

export const messageSchema = z.object({
  id: z.string(),
  from: z.string(),
  source: z.string(),
  body: bodySchema,
  at: z.number(),
});
export type Message = z.infer<typeof messageSchema>;

export const presenceEvent = z.object({ type: z.literal("presence"), user: z.string(), online: z.boolean(), at: z.number() });

export const eventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("message"), conv: z.string(), msg: messageSchema }),
  z.object({
    type: z.literal("status"),
    conv: z.string(),
    msgIds: z.array(z.string()),
    state: receiptState,
    by: z.string(),
    at: z.number(),
    /** Only on your own read (`by` = you): the conversation's unread count right after it. */
    unread: z.number().int().nonnegative().optional(),
  }),
  z.object({
    type: z.literal("friend.request"),
    request: z.object({ id: z.string(), from: userSchema, message: z.string().nullable(), at: z.number() }),
  }),
  z.object({ type: z.literal("friend.accepted"), user: userSchema }),
  z.object({ type: z.literal("friend.removed"), user: z.string() }),
  /** The sender took their request back. */
  z.object({ type: z.literal("friend.request.cancelled"), request: z.string() }),
  /** Someone proved they hold the number this account had: it is theirs now, and this account has none verified. */
  z.object({ type: z.literal("phone.moved"), at: z.number() }),
  presenceEvent,
  z.object({ type: z.literal("group.invited"), conv: z.string(), group: groupSchema, by: z.string() }),
  z.object({ type: z.literal("group.member.joined"), conv: z.string(), group: z.string(), user: userSchema, by: z.string() }),
  z.object({ type: z.literal("group.member.left"), conv: z.string(), group: z.string(), user: z.string() }),
  z.object({ type: z.literal("group.expired"), conv: z.string(), group: z.string(), reason: z.enum(["ttl", "ended"]), at: z.number() }),
]);
export type HubEvent = z.infer<typeof eventSchema>;

export const serverFrame = z.discriminatedUnion("t", [
  z.object({ t: z.literal("ready"), head: z.number(), reset: z.literal(true).optional() }),
  z.object({ t: z.literal("ev"), seq: z.number(), ev: eventSchema }),
  z.object({ t: z.literal("accepted"), id: z.string(), msgId: z.string(), conv: z.string(), at: z.number() }),
  z.object({ t: z.literal("error"), id: z.string().optional(), code: z.string(), message: z.string(), retryAfterMs: z.number().optional() }),
]);
export type ServerFrame = z.infer<typeof serverFrame>;

// ---- conversation shapes served over HTTP ------------------------------------------

/** A message as history pages and the conversation list serve it. */
export const storedMessageSchema = messageSchema.extend({
  conv: z.string(),
  seq: z.number(),
  /** Your own messages only. */
  state: deliveryState.optional(),
  /** Your own messages in a group: the members who have read it, in reading order. */
  readBy: z.array(z.string()).optional(),
});
export type StoredMessage = z.infer<typeof storedMessageSchema>;

export const conversationSummarySchema = z.object({
  id: z.string(),
  kind: z.enum(["direct", "group", "remote"]),
  source: z.string(),
  title: z.string(),
  peer: userSchema.optional(),
  /** Groups: the group id. */
  group: z.string().optional(),
  // As the hub stored it; a client may keep one it got live, without conv and seq.
  last: storedMessageSchema.partial({ conv: true, seq: true }).nullable(),
  unread: z.number(),
  /** Groups: set once the group expired or was ended; the conversation is read-only. */
  ended: z.enum(["ttl", "ended"]).optional(),
  /** Groups: set once you left; read-only for you. */
  left: z.literal(true).optional(),
});
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;

export const messagesPageSchema = z.object({ messages: z.array(storedMessageSchema), before: z.string().optional() });

