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
export const verificationResponse = z.object({ verification: verificationSchema });

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
/**
 * Anything else a mail carries or a mail's compose attaches (PDF, zip…): kept as it came,
 * only ever served as a download. Not a kind chat messages can carry.
 */
export const FILE_LIMIT = 25 * 1024 * 1024;
export type StoredKind = MediaKind | "file";
export const mediaSchema = z.object({ id: z.string(), type: z.enum(["image", "audio", "video", "file"]), mime: z.string(), size: z.number() });
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

// ---- bound accounts ---------------------------------------------------------------

/** The networks a user can bind; each has one connector (worker/connectors/registry.ts). */
export const networks = ["xmpp", "irc", "matrix", "telegram", "mail", "mastodon", "bluesky", "feed"] as const;
export const networkSchema = z.enum(networks);
export type Network = z.infer<typeof networkSchema>;

/** An account's state, as the mautrix bridges report theirs. */
export const accountStates = ["connecting", "connected", "transient_disconnect", "bad_credentials", "unknown_error", "logged_out"] as const;
export const accountStateSchema = z.enum(accountStates);
export type AccountState = z.infer<typeof accountStateSchema>;

/**
 * How long a post may be on an account or network: at most `max` graphemes, a URL counting
 * `urlChars` whatever it spells, "@user@domain" counting as "@user" when `mentionDomainsFree`
 * (core/text-length.ts `measure` counts by these rules; the client shows the count).
 */
export const textLimitsSchema = z.object({ max: z.number().int().positive(), urlChars: z.number().int().nonnegative().optional(), mentionDomainsFree: z.boolean().optional() });
export type TextLimits = z.infer<typeof textLimitsSchema>;

/** What can be done to a post in the feed, where its network has it. */
export const postActions = ["reply", "boost", "like"] as const;
export type PostAction = (typeof postActions)[number];

export const accountSchema = z.object({
  id: z.string(),
  network: networkSchema,
  label: z.string(),
  /** Who the account is on its network (a JID, a nick, @user:server, a feed's title). */
  remote: z.string(),
  state: accountStateSchema,
  message: z.string(),
  /** What the user can do about the state ("re-enter the password"). */
  action: z.string().optional(),
  createdAt: z.number(),
  /** Accounts that post: this account's own limit (a Mastodon instance's may differ from the network's). */
  limits: textLimitsSchema.optional(),
});
export type Account = z.infer<typeof accountSchema>;

export const bindAccountBody = z.strictObject({
  network: networkSchema,
  /** The network's own fields, checked by its connector's schema. Never returned, never logged. */
  credentials: z.record(z.string(), z.unknown()),
  label: z.string().trim().min(1).max(64).optional(),
});

export const remoteContactSchema = z.object({
  id: z.string(),
  name: z.string(),
  presence: z.enum(["online", "away", "offline"]).optional(),
  group: z.string().optional(),
  /** Where the network tells them (a shared phone number, a profile's address): merge suggestions use them. */
  phone: z.string().optional(),
  email: z.string().optional(),
});
export type RemoteContact = z.infer<typeof remoteContactSchema>;

/** An item from a social network or feed, as the Social tab shows it. */
export const postSchema = z.object({
  id: z.string(),
  account: z.string(),
  network: networkSchema,
  kind: z.enum(["status", "mention", "reply", "dm", "boost", "entry", "own"]),
  author: z.object({ id: z.string(), name: z.string() }),
  text: z.string(),
  url: z.string().optional(),
  media: z.array(z.string()).optional(),
  at: z.number(),
  inReplyTo: z.string().optional(),
  /** The network's own id of the post (for reply, boost, like). */
  remoteId: z.string(),
  /** You boosted / liked it from Unibox. */
  boosted: z.literal(true).optional(),
  liked: z.literal(true).optional(),
});
export type Post = z.infer<typeof postSchema>;

export const feedQuery = z.strictObject({
  account: z.string().max(64).optional(),
  before: z.string().regex(/^\d{1,15}$/).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).optional(),
});

// ---- mail ----------------------------------------------------------------------------

/**
 * The user's own address (handle@MAIL_DOMAIN) as a mailbox: `?account=own` in the mail list,
 * and the `by` of its sends' status events. In a mail itself the own address is `account: null`.
 */
export const OWN_MAILBOX = "own";

export const mailAddressSchema = z.object({ address: z.string(), name: z.string().optional() });
export type MailAddress = z.infer<typeof mailAddressSchema>;

/** What the receiving server found out about the sender (SPF, DKIM, DMARC); `possibly_forged` is shown as a warning. */
export const mailVerdictSchema = z.enum(["authenticated", "possibly_forged", "unverified"]);

/** A mail as lists and the `mail` event show it. */
export const mailSummarySchema = z.object({
  id: z.string(),
  /** The bound mailbox it came through or went out of; null for the own address. */
  account: z.string().nullable(),
  from: mailAddressSchema,
  to: z.array(mailAddressSchema),
  cc: z.array(mailAddressSchema).optional(),
  subject: z.string(),
  /** The start of the text, without quoted replies and the signature. */
  snippet: z.string(),
  at: z.number(),
  read: z.boolean().optional(),
  /** How many attachments it has (absent: none). */
  attachments: z.number().int().positive().optional(),
  verdict: mailVerdictSchema.optional(),
  /** The id of the first mail of its thread (absent: it starts one). */
  thread: z.string().optional(),
  /** A mail you sent, and how far it got (as a message's state). */
  sent: z.literal(true).optional(),
  state: z.enum(["queued", "sent", "failed"]).optional(),
});
export type MailSummary = z.infer<typeof mailSummarySchema>;

export const mailAttachmentSchema = z.object({
  /** Download it at GET /api/mail/:id/attachments/:media; "" when it was not kept (`omitted`). */
  media: z.string(),
  /** How it was kept: a picture or clip (also at GET /api/media/:id, to show inline), or a file. */
  type: z.enum(["image", "audio", "video", "file"]).optional(),
  filename: z.string(),
  mime: z.string(),
  size: z.number(),
  /** Why the bytes are not here: over the size limit, or the store refused them. */
  omitted: z.enum(["too_large", "not_stored"]).optional(),
  /** The Content-ID an HTML body shows it by (cid:…), for inline pictures. */
  contentId: z.string().optional(),
});
export type MailAttachment = z.infer<typeof mailAttachmentSchema>;

/** A whole mail: GET /api/mail/:id. `html` is as sent: sanitise it before showing it. */
export const mailSchema = mailSummarySchema.extend({
  text: z.string(),
  html: z.string().optional(),
  attachments: z.array(mailAttachmentSchema),
  auth: z.object({ spf: z.string().optional(), dkim: z.string().optional(), dmarc: z.string().optional(), verdict: mailVerdictSchema }),
  replyTo: z.array(mailAddressSchema).optional(),
  /** Only on a mail you sent. */
  bcc: z.array(mailAddressSchema).optional(),
  messageId: z.string().optional(),
  inReplyTo: z.string().optional(),
  references: z.array(z.string()).optional(),
  /** The body was too large to fetch, or could not be read (then `text` is the raw body). */
  omitted: z.literal("too_large").optional(),
  unreadable: z.literal(true).optional(),
  /** A sent mail that failed: why. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type Mail = z.infer<typeof mailSchema>;

export const mailQuery = z.strictObject({
  /** An account id, or `own`; absent: every mailbox. */
  account: z.string().min(1).max(64).optional(),
  before: z.string().regex(/^\d{1,15}$/).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).optional(),
});
export const mailReadBody = z.strictObject({ read: z.boolean().optional() });
// ---- one inbox: people, search, delivery timeline, quiet hours (issue 14) -----------

/** One of a person's addresses: a Unibox friend (`source: "unibox"`, `contact` = user id) or a contact on a bound account. */
export const personHandleSchema = z.strictObject({ source: z.string().min(1).max(64), contact: z.string().min(1).max(320) });
export type PersonHandle = z.infer<typeof personHandleSchema>;

/** Several handles the user confirmed are one person; their conversations stay as they are. */
export const personSchema = z.object({
  id: z.string(),
  name: z.string(),
  handles: z.array(personHandleSchema.extend({ name: z.string(), conv: z.string() })),
  /** Where a reply goes by default: the handle they last wrote on (else the last one you used). */
  replyTo: z.object({ source: z.string(), contact: z.string(), conv: z.string() }).nullable(),
  createdAt: z.number(),
});
export type Person = z.infer<typeof personSchema>;

/** A merge Unibox proposes; nothing is merged until the user confirms it. */
export const mergeSuggestionSchema = z.object({
  key: z.string(),
  reason: z.enum(["phone", "email", "name"]),
  /** The shared phone number, address or name. */
  value: z.string(),
  handles: z.array(personHandleSchema.extend({ name: z.string(), person: z.string().optional() })),
});
export type MergeSuggestion = z.infer<typeof mergeSuggestionSchema>;

export const mergeBody = z.strictObject({
  handles: z.array(personHandleSchema).min(2).max(50),
  name: z.string().trim().min(1).max(64).optional(),
  /** The suggestion this confirms (it is not proposed again). */
  suggestion: z.string().max(200).optional(),
});
export const dismissBody = z.strictObject({ key: z.string().min(1).max(200) });

const dateMs = z.coerce.number().int().min(0).max(8_640_000_000_000_000);

export const searchQuery = z.strictObject({
  q: z.string().trim().min(1).max(200),
  /** `unibox` or a bound account's id. */
  source: z.string().max(64).optional(),
  person: z.string().max(64).optional(),
  conv: z.string().max(600).optional(),
  from: dateMs.optional(),
  to: dateMs.optional(),
  /** The cursor of the next older page (from the previous answer). */
  before: z.string().regex(/^\d{1,15}:\d{1,15}$/).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** One step of an outgoing message's way, with its time. */
export const timelineStepSchema = z.object({
  step: z.enum(["accepted", "handed", "acknowledged", "delivered", "read", "failed", "retried"]),
  at: z.number(),
  /** Who: the network account, or the reader in a group. */
  by: z.string().optional(),
  /** Which try handed it over (a network that was busy is tried again). */
  attempt: z.number().int().optional(),
  reason: z.string().optional(),
  code: z.string().optional(),
});
export type TimelineStep = z.infer<typeof timelineStepSchema>;

/** "HH:MM", 24-hour. */
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 24-hour");

export const quietHoursSchema = z.strictObject({
  start: clockTime,
  end: clockTime,
  /** An IANA time zone ("Europe/Berlin"). */
  tz: z.string().min(1).max(64).refine(isTimeZone, "not a time zone this server knows"),
});
export type QuietHours = z.infer<typeof quietHoursSchema>;

/** Notification settings, enforced by the hub for every source. `null`: off. */
export const notifySettingsSchema = z.object({
  quiet: quietHoursSchema.nullable(),
  /** No pushes at all until then (ms); `muteAll: null` with `muted` empty is "everything on". */
  muteAllUntil: z.number().nullable(),
  /** Conversations muted until a time (ms), or for good (`null`). */
  muted: z.array(z.object({ conv: z.string(), until: z.number().nullable() })),
});
export type NotifySettings = z.infer<typeof notifySettingsSchema>;

export const quietBody = z.strictObject({ quiet: quietHoursSchema.nullable() });
export const muteAllBody = z.strictObject({ until: z.number().int().min(0).nullable() });
/** `until: null`: muted until unmuted; `unmute: true` lifts it. */
export const muteBody = z.union([z.strictObject({ until: z.number().int().min(0).nullable() }), z.strictObject({ unmute: z.literal(true) })]);
export const clockBody = z.strictObject({ now: z.number().int().min(0) });

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

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
    /** Media ids: your uploads (POST /api/mail/attachments, /api/media) or a mail's attachments. */
    attachments: z.array(z.string().max(64)).max(20).optional(),
    cc: z.array(z.string().trim().email().max(254)).max(50).optional(),
    bcc: z.array(z.string().trim().email().max(254)).max(50).optional(),
    /** The id of the mail this answers (from GET /api/mail): sets In-Reply-To and References. */
    inReplyTo: z.string().min(1).max(64).optional(),
  }),
]);
export type Body = z.infer<typeof bodySchema>;

export const targetSchema = z.union([
  z.strictObject({ user: z.string().min(1).max(64) }),
  z.strictObject({ group: z.string().min(1).max(64) }),
  z.strictObject({ account: z.string().min(1).max(64), contact: z.string().min(1).max(320) }),
  // A post to your own timeline on a network, named by network ("mastodon") or an account's
  // label; `split`: an over-long text goes as a thread instead of being refused.
  z.strictObject({ network: z.string().trim().min(1).max(64), split: z.boolean().optional() }),
  // A reply to a post of the feed (its `id`), through the account it came from.
  z.strictObject({ post: z.string().min(1).max(64), split: z.boolean().optional() }),
  z.strictObject({ email: z.string().email(), account: z.string().max(64).optional() }),
  // A reply in a conversation that is on a bound account.
  z.strictObject({ conv: z.string().min(1).max(600) }),
  // A merged person: the hub sends on the network they last wrote on (people.ts).
  z.strictObject({ person: z.string().min(1).max(64) }),
]);
export type Target = z.infer<typeof targetSchema>;

// ---- frames: client → hub ----------------------------------------------------------

const clientId = z.string().min(1).max(LIMITS.clientIdChars);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * `{t:"ack", seq}`, the commonest frame by far (every burst a phone receives), checked by
 * hand exactly as its schema below checks it: the socket's parser takes this path first
 * and gives everything else to zod. test/unit/fast-ack.test.ts holds the two together.
 */
export function plainAck(raw: unknown): raw is { t: "ack"; seq: number } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return false;
  const keys = Object.keys(raw);
  if (keys.length !== 2) return false;
  const { t, seq } = raw as { t?: unknown; seq?: unknown };
  return t === "ack" && typeof seq === "number" && Number.isInteger(seq) && seq >= 0 && seq <= Number.MAX_SAFE_INTEGER && "seq" in raw;
}

/**
 * The group room's hot path: a plain text send to a group, checked by hand. Exactly
 * what `clientFrame` accepts for that shape (same keys, same limits, text trimmed as zod
 * trims it) or null, when the frame goes through `clientFrame` as usual.
 */
export function plainGroupText(raw: unknown): { t: "send"; id: string; to: { group: string }; body: { type: "text"; text: string } } | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const { t, id, to, body } = raw as Record<string, unknown>;
  if (t !== "send" || Object.keys(raw).length !== 4 || typeof id !== "string" || id.length < 1 || id.length > LIMITS.clientIdChars) return null;
  if (typeof to !== "object" || to === null || Array.isArray(to) || Object.keys(to).length !== 1) return null;
  const group = (to as { group?: unknown }).group;
  if (typeof group !== "string" || group.length < 1 || group.length > 64) return null;
  if (typeof body !== "object" || body === null || Array.isArray(body) || Object.keys(body).length !== 2) return null;
  const { type, text } = body as { type?: unknown; text?: unknown };
  if (type !== "text" || typeof text !== "string") return null;
  const trimmed = text.trim();
  if (trimmed.length < 1 || trimmed.length > LIMITS.textChars) return null;
  return { t: "send", id, to: { group }, body: { type: "text", text: trimmed } };
}

export const clientFrame = z.discriminatedUnion("t", [
  // `fresh`: a device with nothing stored starts at the head and loads lists and history
  // over HTTP instead of replaying the whole log. `resume` wins when both are given.
  z.strictObject({ t: z.literal("hello"), resume: seq.optional(), fresh: z.boolean().optional(), device: z.string().max(64).optional() }),
  z.strictObject({ t: z.literal("send"), id: clientId, to: targetSchema, body: bodySchema }),
  z.strictObject({ t: z.literal("broadcast"), id: clientId, to: z.array(targetSchema).min(1).max(20), body: bodySchema }),
  z.strictObject({ t: z.literal("ack"), seq }),
  z.strictObject({ t: z.literal("read"), conv: z.string().min(1).max(600), msgIds: z.array(z.string().min(1).max(64)).min(1).max(LIMITS.readBatch) }),
  // Try a send to another network again after it failed (same message, same idempotency key).
  z.strictObject({ t: z.literal("retry"), msgId: z.string().min(1).max(64) }),
  // Ephemeral: forwarded to the peer's open sockets, never logged, never pushed.
  z.strictObject({ t: z.literal("typing"), conv: z.string().min(1).max(600), state: z.enum(["active", "paused"]) }),
]);
export type ClientFrame = z.infer<typeof clientFrame>;

// ---- events and frames: hub → client ---------------------------------------------

/** How far an own message got: stored by both hubs, on a device of the recipient, read. */
export const deliveryStates = ["queued", "sent", "delivered", "read", "failed"] as const;
export const deliveryState = z.enum(deliveryStates);
export type DeliveryState = z.infer<typeof deliveryState>;
/** What a receipt can raise a message to. */
export const receiptState = z.enum(["delivered", "read"]);
export type ReceiptState = z.infer<typeof receiptState>;
/** What a `status` event can say: a receipt, or where a message to another network got. */
export const statusState = z.enum(["queued", "sent", "delivered", "read", "failed"]);
export type StatusState = z.infer<typeof statusState>;

export const messageSchema = z.object({
  id: z.string(),
  /** A user id, or on a bound account the remote contact's id (a JID, a nick, @user:server). */
  from: z.string(),
  /** The sender's display name, on messages from other networks. */
  name: z.string().optional(),
  /** `unibox`, or the id of the bound account the message came through. */
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
    state: statusState,
    by: z.string(),
    at: z.number(),
    /** Only on your own read (`by` = you): the conversation's unread count right after it. */
    unread: z.number().int().nonnegative().optional(),
    /** Only with `failed`: why, in words, and the error code. */
    reason: z.string().optional(),
    code: z.string().optional(),
    /** Only with `sent`, for a post: where it is on the network. */
    url: z.string().optional(),
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
  z.object({ type: z.literal("account.bound"), account: accountSchema }),
  z.object({ type: z.literal("account.status"), account: z.string(), state: accountStateSchema, message: z.string(), action: z.string().optional(), at: z.number() }),
  z.object({ type: z.literal("account.removed"), account: z.string(), at: z.number() }),
  z.object({ type: z.literal("account.contacts"), account: z.string(), contacts: z.array(remoteContactSchema) }),
  z.object({ type: z.literal("post"), post: postSchema }),
  /** You boosted or liked a post (from this device or another); `url` is where the boost is. */
  z.object({ type: z.literal("post.acted"), post: z.string(), action: z.enum(["boost", "like"]), url: z.string().optional(), at: z.number() }),
  /** Where one target of a broadcast got: queued → sent (or delivered, read) | failed → queued again on retry. */
  z.object({
    type: z.literal("broadcast.status"), id: z.string(), target: z.number().int(), state: z.enum(["queued", "sent", "delivered", "read", "failed"]),
    msgId: z.string().optional(), conv: z.string().optional(), reason: z.string().optional(), code: z.string().optional(), url: z.string().optional(), at: z.number(),
  }),
  /** A line in a conversation that is not a message ("encrypted room: not supported yet"). */
  z.object({ type: z.literal("notice"), conv: z.string(), key: z.string(), text: z.string(), at: z.number() }),
  /** A mail arrived at, or was sent from, the own address or a bound mailbox. */
  z.object({ type: z.literal("mail"), mail: mailSummarySchema }),
  /** A device marked a mail read or unread. */
  z.object({ type: z.literal("mail.read"), id: z.string(), read: z.boolean(), at: z.number() }),
  // Issue 14: people merged or split, notification settings changed (every device follows).
  z.object({ type: z.literal("person.updated"), person: personSchema }),
  z.object({ type: z.literal("person.removed"), person: z.string(), at: z.number() }),
  z.object({ type: z.literal("settings.notify"), settings: notifySettingsSchema }),
]);
export type HubEvent = z.infer<typeof eventSchema>;

export const serverFrame = z.discriminatedUnion("t", [
  z.object({ t: z.literal("ready"), head: z.number(), reset: z.literal(true).optional() }),
  z.object({ t: z.literal("ev"), seq: z.number(), ev: eventSchema }),
  z.object({
    t: z.literal("accepted"), id: z.string(), msgId: z.string(), conv: z.string(), at: z.number(),
    /** A broadcast: one entry per target, in the order given (msgId and conv above are the first's). */
    targets: z.array(z.object({ msgId: z.string().optional(), conv: z.string().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() })).optional(),
  }),
  z.object({ t: z.literal("error"), id: z.string().optional(), code: z.string(), message: z.string(), retryAfterMs: z.number().optional() }),
  z.object({ t: z.literal("typing"), conv: z.string(), from: z.string(), state: z.enum(["active", "paused"]) }),
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


// ---- HTTP responses ------------------------------------------------------------------
// The shapes routes answer with, so docs/protocol.md's examples are checked against them
// (test/unit/protocol-doc.test.ts) and clients can parse with the same schemas.

export const errorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});
export const authResponse = z.object({ user: userSchema, token: z.string() });
export const friendSchema = z.object({ user: userSchema, since: z.number(), online: z.boolean(), conv: z.string().optional() });
export const incomingRequestSchema = z.object({ id: z.string(), from: userSchema, message: z.string().nullable(), at: z.number() });
export const outgoingRequestSchema = z.object({ id: z.string(), to: userSchema, message: z.string().nullable(), at: z.number() });
export const friendsResponse = z.object({ friends: z.array(friendSchema) });
export const requestsResponse = z.object({ incoming: z.array(incomingRequestSchema), outgoing: z.array(outgoingRequestSchema) });
export const sentRequestResponse = z.object({ request: outgoingRequestSchema });
export const discoverResponse = z.object({ matches: z.array(z.object({ number: z.string(), user: userSchema, friend: z.boolean() })) });
export const conversationsResponse = z.object({ conversations: z.array(conversationSummarySchema) });
export const groupResponse = z.object({ group: groupSchema });
export const mediaResponse = z.object({ media: mediaSchema });
export const accountsResponse = z.object({ accounts: z.array(accountSchema) });
export const accountResponse = z.object({ account: accountSchema });
export const contactsResponse = z.object({ contacts: z.array(remoteContactSchema) });
export const feedResponse = z.object({ posts: z.array(postSchema), before: z.string().optional() });
export const networksResponse = z.object({
  networks: z.array(z.object({ network: networkSchema, credentials: z.record(z.string(), z.unknown()), limits: textLimitsSchema.optional(), actions: z.array(z.enum(postActions)).optional() })),
});
export const postActedResponse = z.object({ ok: z.literal(true), url: z.string().optional() });
export const mailListResponse = z.object({ mails: z.array(mailSummarySchema), before: z.string().optional() });
export const mailResponse = z.object({ mail: mailSchema });
export const peopleResponse = z.object({ people: z.array(personSchema) });
export const personResponse = z.object({ person: personSchema });
export const suggestionsResponse = z.object({ suggestions: z.array(mergeSuggestionSchema) });
/** A person's conversations merged in time order, newest page last like a conversation's. */
export const personMessagesResponse = z.object({ person: personSchema, messages: z.array(storedMessageSchema), before: z.string().optional() });
/** A search hit: the message, where it is, and the words around the match. */
/** A search hit: a message in a conversation, or a mail (then `mail` instead of `message`). */
export const searchHitSchema = z
  .object({ message: storedMessageSchema.optional(), mail: mailSummarySchema.optional(), title: z.string(), snippet: z.string(), person: z.string().optional() })
  .refine((h) => (h.message === undefined) !== (h.mail === undefined), "a hit is a message or a mail");
export const searchResponse = z.object({ hits: z.array(searchHitSchema), before: z.string().optional() });
export const timelineResponse = z.object({
  timeline: z.object({ msgId: z.string(), conv: z.string(), state: deliveryState, steps: z.array(timelineStepSchema), readBy: z.array(z.string()).optional() }),
});
export const notifySettingsResponse = z.object({ settings: notifySettingsSchema });

/** What a Web Push says (decrypted by the browser; client/sw/sw.js shows it). */
export const pushNoticeSchema = z.discriminatedUnion("type", [
  z.object({ v: z.literal(1), type: z.literal("message"), conv: z.string(), title: z.string(), kind: z.string(), text: z.string().optional(), at: z.number() }),
  z.object({ v: z.literal(1), type: z.literal("friend.request"), title: z.string(), text: z.string().optional(), at: z.number() }),
  /** `title` the sender, `text` the subject; `mail` opens it. */
  z.object({ v: z.literal(1), type: z.literal("mail"), mail: z.string(), account: z.string().nullable(), title: z.string(), text: z.string().optional(), at: z.number() }),
  /** Sent once when quiet hours end: how many pushes were held, and in how many conversations. */
  z.object({ v: z.literal(1), type: z.literal("summary"), count: z.number().int().positive(), convs: z.array(z.string()), titles: z.array(z.string()), at: z.number() }),
]);
export type PushNotice = z.infer<typeof pushNoticeSchema>;
