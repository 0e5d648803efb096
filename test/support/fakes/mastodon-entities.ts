// The JSON a Mastodon server sends, typed with the `masto` package's entity types. masto
// turns the wire's snake_case into camelCase for its users, so its types are mapped back
// here (`Wire<T>`): a field the fake forgets or names wrongly is a compile error.
// Shapes and example values from docs.joinmastodon.org (entities/Account, Status,
// Notification, MediaAttachment, Instance; methods/instance for the v2 configuration).
import type { mastodon } from "masto";

type Snake<S extends string> = S extends `${infer H}${infer T}`
  ? H extends Lowercase<H>
    ? `${H}${Snake<T>}`
    : `_${Lowercase<H>}${Snake<T>}`
  : S;

/** A masto entity as it travels: snake_case keys, all the way down. */
export type Wire<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends readonly (infer E)[]
    ? Wire<E>[]
    : T extends object
      ? { [K in keyof T as K extends string ? Snake<K> : K]: Wire<T[K]> }
      : T;

export type Account = Wire<mastodon.v1.Account>;
export type Status = Wire<mastodon.v1.Status>;
export type Notification = Wire<mastodon.v1.Notification>;
export type MediaAttachment = Wire<mastodon.v1.MediaAttachment>;
export type Instance = Wire<mastodon.v2.Instance>;
export type Visibility = mastodon.v1.StatusVisibility;
export type NotificationType = "mention" | "status" | "reblog" | "follow" | "favourite";

/** The limits the fake enforces, published in /api/v2/instance as mastodon.social does. */
export const LIMITS = {
  maxCharacters: 500,
  maxMediaAttachments: 4,
  charactersReservedPerUrl: 23,
  imageSizeLimit: 16_777_216,
  videoSizeLimit: 103_809_024,
  descriptionLimit: 1500,
  supportedMimeTypes: ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/webm", "audio/mpeg", "audio/ogg"],
};

export type AccountRow = { id: string; username: string; displayName: string; createdAt: string; statuses: number; lastStatusAt: string | null; followers: Set<string>; following: Set<string> };
export type MediaRow = { id: string; accountId: string; type: "image" | "video" | "audio"; mime: string; size: number; description: string | null; readyAt: number; statusId: string | null };
export type StatusRow = {
  id: string;
  accountId: string;
  text: string;
  spoilerText: string;
  visibility: Visibility;
  sensitive: boolean;
  inReplyToId: string | null;
  inReplyToAccountId: string | null;
  mentions: string[]; // account ids
  mediaIds: string[];
  reblogOf: string | null;
  createdAt: string;
  favouritedBy: Set<string>;
  rebloggedBy: Set<string>;
  replies: number;
  application: string;
};
export type NotificationRow = { id: string; type: NotificationType; accountId: string; fromId: string; statusId: string | null; createdAt: string };

/** What serializers need to look other rows up. */
export type Lookup = {
  origin: string;
  host: string;
  account(id: string): AccountRow;
  status(id: string): StatusRow;
  media(id: string): MediaRow;
  byUsername(name: string): AccountRow | undefined;
  now(): number;
};

export function account(a: AccountRow, l: Lookup): Account {
  const url = `${l.origin}/@${a.username}`;
  const avatar = `${l.origin}/avatars/original/missing.png`;
  const header = `${l.origin}/headers/original/missing.png`;
  return {
    id: a.id,
    username: a.username,
    acct: a.username, // local accounts: acct is the bare username
    url,
    display_name: a.displayName,
    note: "",
    avatar,
    avatar_static: avatar,
    header,
    header_static: header,
    locked: false,
    fields: [],
    emojis: [],
    bot: false,
    group: false,
    discoverable: true,
    noindex: false,
    created_at: a.createdAt,
    last_status_at: a.lastStatusAt as string,
    statuses_count: a.statuses,
    followers_count: a.followers.size,
    following_count: a.following.size,
    roles: [],
    feature_approval: { automatic: [], manual: [], current_user: "denied" },
  };
}

export function status(s: StatusRow, viewerId: string | null, l: Lookup): Status {
  const author = l.account(s.accountId);
  const reblog = s.reblogOf ? status(l.status(s.reblogOf), viewerId, l) : null;
  const flagsOf = s.reblogOf ? l.status(s.reblogOf) : s; // a boost shows the viewer's flags on the boosted status
  return {
    id: s.id,
    uri: `${l.origin}/users/${author.username}/statuses/${s.id}`,
    url: `${l.origin}/@${author.username}/${s.id}`,
    created_at: s.createdAt,
    edited_at: null,
    account: account(author, l),
    content: reblog ? "" : html(s.text, l),
    visibility: s.visibility,
    sensitive: s.sensitive,
    spoiler_text: s.spoilerText,
    media_attachments: s.mediaIds.map((id) => media(l.media(id), l)),
    application: { name: s.application, website: null },
    mentions: s.mentions.map((id) => {
      const m = l.account(id);
      return { id: m.id, username: m.username, url: `${l.origin}/@${m.username}`, acct: m.username };
    }),
    tags: [],
    emojis: [],
    reblogs_count: s.rebloggedBy.size,
    favourites_count: s.favouritedBy.size,
    replies_count: s.replies,
    quotes_count: 0,
    quote_approval: { automatic: [], manual: [], current_user: "denied" },
    in_reply_to_id: s.inReplyToId,
    in_reply_to_account_id: s.inReplyToAccountId,
    reblog,
    poll: null,
    card: null,
    language: "en",
    // The viewer-relative flags appear only for an authenticated viewer.
    ...(viewerId
      ? { favourited: flagsOf.favouritedBy.has(viewerId), reblogged: flagsOf.rebloggedBy.has(viewerId), muted: false, bookmarked: false, pinned: false }
      : {}),
  };
}

export function media(m: MediaRow, l: Lookup): MediaAttachment {
  const ready = l.now() >= m.readyAt;
  const ext = m.mime.split("/")[1];
  const path = `${l.origin}/system/media_attachments/files/${m.id}`;
  return {
    id: m.id,
    type: m.type,
    // Large media is processed in the background: url stays null until it is done.
    url: ready ? `${path}/original/file.${ext}` : null,
    preview_url: `${path}/small/file.jpeg`,
    remote_url: null,
    preview_remote_url: null,
    text_url: null,
    meta: m.type === "image" ? { original: { width: 640, height: 480, size: "640x480", aspect: 4 / 3 } } : null,
    description: m.description,
    blurhash: null,
  };
}

export function notification(n: NotificationRow, l: Lookup): Notification {
  const base = { id: n.id, created_at: n.createdAt, account: account(l.account(n.fromId), l), group_key: `ungrouped-${n.id}` };
  if (n.type === "follow") return { ...base, type: "follow" };
  return { ...base, type: n.type, status: status(l.status(n.statusId!), n.accountId, l) };
}

export function instance(l: Lookup, contact: AccountRow | undefined): Instance {
  return {
    domain: l.host,
    title: "Fake Mastodon",
    version: "4.5.0",
    source_url: "https://github.com/mastodon/mastodon",
    description: "A Mastodon API fake for tests",
    usage: { users: { active_month: 1 } },
    thumbnail: {
      url: `${l.origin}/thumbnail.png`,
      blurhash: "UeKUpFxuo~R%0nW;WCnhF6RjaJt757oJodS$",
      versions: { "@1x": `${l.origin}/thumbnail.png`, "@2x": `${l.origin}/thumbnail@2x.png` },
      description: "",
    },
    icon: [],
    languages: ["en"],
    configuration: {
      urls: { streaming: l.origin.replace(/^http/, "ws") },
      vapid: { public_key: "" },
      accounts: {
        max_featured_tags: 10,
        max_pinned_statuses: 5,
        max_display_name_length: 30,
        max_note_length: 500,
        max_avatar_description_length: 1500,
        max_header_description_length: 1500,
        max_profile_fields: 4,
        profile_field_name_limit: 255,
        profile_field_value_limit: 255,
      },
      statuses: {
        max_characters: LIMITS.maxCharacters,
        max_media_attachments: LIMITS.maxMediaAttachments,
        characters_reserved_per_url: LIMITS.charactersReservedPerUrl,
      },
      media_attachments: {
        supported_mime_types: LIMITS.supportedMimeTypes,
        image_size_limit: LIMITS.imageSizeLimit,
        image_matrix_limit: 33_177_600,
        video_size_limit: LIMITS.videoSizeLimit,
        video_frame_rate_limit: 120,
        video_matrix_limit: 8_294_400,
      },
      polls: { max_options: 4, max_characters_per_option: 50, min_expiration: 300, max_expiration: 2_629_746 },
      translation: { enabled: false },
    },
    registrations: { enabled: false, approval_required: false, message: null },
    api_versions: { mastodon: "6" },
    contact: { email: `admin@${l.host}`, account: contact ? account(contact, l) : (null as unknown as Account) },
    rules: [],
  };
}

/** Plain text as Mastodon renders it: escaped, paragraphs, line breaks, mentions as h-card links. */
export function html(text: string, l: Lookup): string {
  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const linked = (s: string) =>
    escape(s).replace(MENTION, (whole, pre: string, name: string) => {
      const who = l.byUsername(name);
      if (!who) return whole;
      return `${pre}<span class="h-card" translate="no"><a href="${l.origin}/@${who.username}" class="u-url mention">@<span>${who.username}</span></a></span>`;
    });
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${linked(p).replace(/\n/g, "<br />")}</p>`)
    .join("");
}

/** `@name` or `@name@domain` at a word start (the domain part is dropped for counting and matching). */
export const MENTION = /(^|[^\w/@])@([a-z0-9_]+)(?:@[a-z0-9.-]+)?/gi;

/**
 * Mastodon's StatusLengthValidator: grapheme clusters of spoiler + text, where every URL
 * counts as 23 characters and a remote mention counts only its username part.
 */
export function countableLength(text: string, spoiler: string): number {
  const countable = text
    .replace(/https?:\/\/[^\s<>"]+/g, "x".repeat(LIMITS.charactersReservedPerUrl))
    .replace(/(^|[^\w/@])@([a-z0-9_]+)@[a-z0-9.-]+/gi, "$1@$2");
  return graphemes(spoiler + countable);
}

const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });
export const graphemes = (s: string) => [...segmenter.segment(s)].length;
