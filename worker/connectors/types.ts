// The connector framework's contract (docs/connectors.md). A connector is one network's
// code behind one interface; the rest of Unibox never names a network. It runs inside the
// account's AccountLink Durable Object and talks to the world only through `LinkIO`.
import type { z } from "zod";
import type { ErrorCode } from "../../core/errors";
import type { AccountState, Body, Network } from "../../core/protocol";
import type { LengthRules } from "../../core/text-length";

export type { AccountState, Network };

// ---- what a connector reports -------------------------------------------------------------

/** A state change, as mautrix's bridge states: a human message and what the user can do. */
export type StateReport = { state: AccountState; message: string; action?: string };

/** Someone on the network. `id` is the network's own address (bare JID, nick, @user:server). */
export type RemoteUser = { id: string; name: string };

export type Presence = "online" | "away" | "offline";

export type RemoteContact = { id: string; name: string; presence?: Presence; group?: string };

/**
 * A chat on the network: a person (direct) or a room/channel/group. `id` is opaque and
 * stable; only the connector that made it parses it. For a direct chat it is the contact's id.
 */
export type RemoteChat = { id: string; kind: "direct" | "group"; title: string };

export type RemotePost = {
  remoteId: string;
  kind: "status" | "mention" | "reply" | "dm" | "boost" | "entry";
  author: RemoteUser;
  text: string;
  url?: string;
  /** Our media ids (io.media.put) for the post's pictures. */
  media?: string[];
  at: number;
  inReplyTo?: string;
};

export type RemoteMail = {
  /** The mail's id wherever it is fetched from (worker/mail/identity.ts mailId): the hub dedupes on it. */
  remoteId: string;
  from: { address: string; name?: string };
  to: { address: string; name?: string }[];
  cc?: { address: string; name?: string }[];
  replyTo?: { address: string; name?: string }[];
  subject: string;
  text: string;
  html?: string;
  /** Our media ids (io.media.put) for the attachments, with their names. */
  attachments?: {
    /** "" when not stored (`omitted` says why). */
    media: string;
    /** How the media store kept it. */
    type?: "image" | "audio" | "video" | "file";
    filename: string;
    mime: string;
    size: number;
    omitted?: "too_large" | "not_stored";
    /** The Content-ID (with <>) an HTML body refers to as cid:, for inline pictures. */
    contentId?: string;
  }[];
  at: number;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  /** SPF/DKIM/DMARC from Authentication-Results, when the server says, and the verdict from them. */
  auth?: { spf?: string; dkim?: string; dmarc?: string; verdict?: "authenticated" | "possibly_forged" | "unverified" };
  /** The body was not fetched (larger than the connector fetches). */
  omitted?: "too_large";
  /** The structure could not be read: `text` is the raw body, original.eml the message. */
  unreadable?: true;
};

/** What the network told us, in the common shape. Deduped by the hub on (account, remoteId). */
export type RemoteEvent =
  | {
      type: "message";
      chat: RemoteChat;
      remoteId: string;
      sender: RemoteUser;
      /** Sent by the account itself (from another client, or the echo of our own send). */
      fromMe: boolean;
      body: Body;
      at: number;
      /** Our idempotency key when the network echoes it back (Matrix txn_id, XMPP message id). */
      echoOf?: string;
    }
  | { type: "receipt"; chat: string; remoteIds: string[]; state: "delivered" | "read"; by?: string; at: number }
  | { type: "contacts"; contacts: RemoteContact[] }
  | { type: "presence"; contact: string; presence: Presence }
  /** A line in a chat that is not a message: "encrypted room: not supported yet", "no history while closed". */
  | { type: "notice"; chat: RemoteChat; key: string; text: string; at: number }
  | { type: "post"; post: RemotePost }
  | { type: "mail"; mail: RemoteMail };

// ---- sending ------------------------------------------------------------------------------

/** The chat id of an account's own public timeline: where a post "To: <network>" goes. */
export const TIMELINE = "timeline";

export type Outbound = {
  /** Stable across retries and restarts: the network's idempotency key where it has one. */
  key: string;
  chat: string;
  body: Body;
  /** The bytes of a media body, read from R2 by the link. */
  media?: { bytes: Uint8Array; mime: string; filename: string };
  /** A reply to this remote message, where the network has replies. */
  replyTo?: string;
  /** Mail: the thread's Message-IDs before `replyTo` (References, RFC 5322 §3.6.4). */
  references?: string[];
};

export type SendResult =
  | { ok: true; remoteId: string; at: number; url?: string }
  | { ok: false; code: ErrorCode; message: string; retryable: boolean; retryAfterMs?: number };

/**
 * Thrown by a connector for a failure with a kind: `auth` (credentials no longer work: the
 * account goes to bad_credentials and stops retrying), `rate_limited` (wait retryAfterMs),
 * `transient` (network down or 5xx: back off and retry), `permanent` (a bug or a refusal that
 * retrying will not change: unknown_error).
 */
export class RemoteError extends Error {
  constructor(
    readonly kind: "auth" | "rate_limited" | "transient" | "permanent",
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

// ---- what a connector gets ----------------------------------------------------------------

export type AccountRef = { id: string; owner: string; network: Network; label: string };

/** Bytes in Unibox's media store (R2), addressable by id in message bodies. */
export interface MediaIO {
  put(bytes: Uint8Array, mime: string, filename?: string): Promise<{ id: string; type: "image" | "audio" | "video" }>;
  /**
   * Like put, but bytes that are not media Unibox shows are kept anyway as a `file` (a
   * mail's PDF or zip), only ever served as a download. Pictures and clips are stored as put does.
   */
  putFile?(bytes: Uint8Array, mime: string, filename: string): Promise<{ id: string; type: "image" | "audio" | "video" | "file" }>;
  get(id: string): Promise<{ bytes: Uint8Array; mime: string; filename?: string } | null>;
}

/** A small persistent key/value store private to this account's connector (JSON values). */
export interface LinkStore {
  get<T>(key: string): T | undefined;
  put(key: string, value: unknown): void;
  delete(key: string): void;
}

/** A TCP socket (cloudflare:sockets), guarded against private and loopback addresses. */
export type TcpSocket = {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  opened: Promise<unknown>;
  closed: Promise<void>;
  close(): Promise<void>;
  startTls(): TcpSocket;
};

export interface LinkIO {
  readonly account: AccountRef;
  /** Outbound HTTP; refuses private, loopback and link-local hosts unless the server allows them. */
  fetch(input: string | URL, init?: RequestInit & { timeoutMs?: number }): Promise<Response>;
  /** Outbound TCP, with the same guard. `tls`: "on" (implicit TLS), "off", or "starttls". */
  connect(host: string, port: number, tls: "on" | "off" | "starttls"): TcpSocket;
  /** An outbound WebSocket client (accepted), with the same guard. */
  websocket(url: string, protocols?: string[]): Promise<WebSocket>;
  media: MediaIO;
  store: LinkStore;
  /** Server configuration (wrangler vars), e.g. a network's API root for tests. Never user input. */
  config(name: string): string | undefined;
  /** The public base URL of this Unibox (for webhooks), without a trailing slash. */
  readonly publicUrl: string;
  log(event: string, fields?: Record<string, unknown>): void;
}

// ---- the connector ------------------------------------------------------------------------

/** A live upstream session (XMPP, IRC, Matrix /sync, IMAP IDLE), held while the user is online. */
export interface LiveSession {
  send(out: Outbound): Promise<SendResult>;
  /** The buddy list as the session knows it now. */
  contacts?(): Promise<RemoteContact[]>;
  /** Read markers going back to the network, where it has them (XEP-0333, m.receipt). */
  markRead?(chat: string, remoteIds: string[]): Promise<void>;
  /** Resolves when the session ends by itself (dropped, kicked, logged out); never rejects. */
  readonly ended: Promise<{ reason: string; kind: RemoteError["kind"] }>;
  close(): Promise<void>;
}

export type LiveHandlers = {
  /** Events arrived; resolve when they are safely stored. `cursor` moves only after that. */
  emit(events: RemoteEvent[], cursor?: string): Promise<void>;
  state(report: StateReport): void;
};

export type Verified = { ok: true; remote: RemoteUser } | { ok: false; code: "bad_credentials" | "unreachable" | "invalid_input"; message: string };

/**
 * Why a verify failed, from the RemoteError it threw: auth → bad_credentials, permanent →
 * invalid_input, anything else → unreachable; a network may word the first two its own way.
 * Anything that is not a RemoteError is a bug and is thrown again.
 */
export function verifyFailed(err: unknown, say: { auth?: string; permanent?: string } = {}): Extract<Verified, { ok: false }> {
  if (!(err instanceof RemoteError)) throw err;
  if (err.kind === "auth") return { ok: false, code: "bad_credentials", message: say.auth ?? err.message };
  if (err.kind === "permanent") return { ok: false, code: "invalid_input", message: say.permanent ?? err.message };
  return { ok: false, code: "unreachable", message: err.message };
}

/**
 * How long a post may be, as the network counts it: at most `max` graphemes under its rules
 * (a URL as `urlChars`, "@user@domain" as "@user"). Plain data: it goes to the client too.
 */
export type TextLimits = { max: number } & LengthRules;

/** What a reply to a post needs: its remote id, the text, and the key that makes it post once. */
export type ReplyInput = { key: string; remoteId: string; text: string };

/**
 * Acting on a post in the feed, where the network has it (worker/connectors/social). Each is
 * idempotent on the network: boosting or liking twice leaves one boost or like.
 */
export interface PostActions<C> {
  reply?(credentials: C, io: LinkIO, input: ReplyInput): Promise<SendResult>;
  boost?(credentials: C, io: LinkIO, remoteId: string): Promise<SendResult>;
  like?(credentials: C, io: LinkIO, remoteId: string): Promise<SendResult>;
}

export interface Connector<C = unknown> {
  network: Network;
  /** What the bind form asks for. Credentials are verified before anything is stored. */
  credentials: z.ZodType<C>;
  /** Checks the credentials against the network. Bad ones are never stored. */
  verify(credentials: C, io: LinkIO): Promise<Verified>;
  /** After a successful bind (e.g. setWebhook), and before the account is deleted (deleteWebhook). */
  bound?(credentials: C, io: LinkIO): Promise<void>;
  unbound?(credentials: C, io: LinkIO): Promise<void>;

  /**
   * Live networks: opens the upstream session and catches up from `cursor` (the network's
   * archive: XMPP MAM, Matrix since, IMAP UIDs). Throws RemoteError when it cannot connect.
   */
  connect?(credentials: C, io: LinkIO, cursor: string | null, on: LiveHandlers): Promise<LiveSession>;

  /** Poll networks (and live ones while the user is away): what is new since `cursor`. */
  poll?(credentials: C, io: LinkIO, cursor: string | null): Promise<{ events: RemoteEvent[]; cursor: string | null; nextInMs?: number }>;
  /** How often to poll: while the owner is online and while away (ms). */
  pollEvery?: { online: number; away: number };

  /** Webhook networks: the header that carries the per-account secret, and the handler. */
  webhook?: { secretHeader: string; handle(credentials: C, io: LinkIO, request: Request): Promise<RemoteEvent[]> };

  /** Sends without a live session (HTTP networks); live ones send through their session. */
  send?(credentials: C, io: LinkIO, out: Outbound): Promise<SendResult>;
  contacts?(credentials: C, io: LinkIO): Promise<RemoteContact[]>;
  markRead?(credentials: C, io: LinkIO, chat: string, remoteIds: string[]): Promise<void>;
  /**
   * Per-network text limits: shown to the user as they type, and applied by the link, which
   * splits an over-long post into a thread when the user asked for that. `measure` counts as
   * the network does (Mastodon counts a link as 23 characters); graphemes by default.
   */
  limits?: {
    textChars?: number;
    textGraphemes?: number;
    measure?: (text: string) => number;
    /** The rules `measure` applies, as data, so the client counts the same way. */
    rules?: LengthRules;
    /** This account's own figures, where the server says (a Mastodon instance's limit), from the connector's store. */
    current?(io: LinkIO): TextLimits | undefined;
  };
  /** Reply, boost and like on posts of the feed, where the network has them. */
  actions?: PostActions<C>;
}
