// Client-side shapes. Wire shapes are imported as types only from the shared protocol
// module, so none of zod's runtime lands in the first-route bundle.
import type { Account, AccountState, Body, ConversationSummary, DeliveryState as WireState, Network, RemoteContact, Group, HubEvent, Media, MediaKind, Message, ReceiptState, ServerFrame, StatusState, User } from "../../../core/protocol";

export type { Account, AccountState, Body, ConversationSummary, Network, RemoteContact, Group, HubEvent, Media, MediaKind, Message, ReceiptState, ServerFrame, StatusState, User, WireState };

/** What a bubble shows: the wire states, plus the two only this device knows. */
export type DeliveryState = "sending" | WireState;

/** A message as the client keeps it: the wire message plus where it lives and, for own messages, its state. */
export type StoredMessage = Message & {
  conv: string;
  state?: WireState;
  /** Own messages in a group: the members who have read it (from `status` events, `by` a member). */
  readBy?: string[];
  /**
   * This user's hub event seq for the message (from its `ev` frame or a history page). The
   * hub log's order is the conversation's order — for a group, the room's order — which two
   * senders' clocks (`at`) cannot tell apart.
   */
  seq?: number;
  /**
   * A group message that came over the room's own socket: its seq in the room's log, another
   * count than `seq` (threads.ts orders by whichever two messages share).
   */
  roomSeq?: number;
  /** Own messages to another network that failed: why, by code and in the network's words. */
  failure?: { code: string; reason: string };
  /** Own posts: where the network shows it. */
  url?: string;
};

/** A message the user wrote that the hub has not accepted yet. `id` is the client id reused on every retry. */
export type OutboxItem = {
  id: string;
  conv: string;
  /** The peer's user id, or the group id for a `g:` conversation. */
  to: string;
  /** For a picture or clip, `media` is empty until the upload is done. */
  body: Body;
  /** A picture or clip that still has to reach `POST /api/media` before the message can go. */
  upload?: PendingUpload;
  /** A small picture made on this device for an image, shown until the sent message replaces it. */
  thumb?: Blob;
  createdAt: number;
  /** Set when the hub refused it for good (e.g. not_friend); such items are not retried. */
  error?: { code: string; message: string };
};

export type Friend = { user: User; since: number; online: boolean };
export type IncomingRequest = { id: string; from: User; message: string | null; at: number };
export type OutgoingRequest = { id: string; to: User; message: string | null; at: number };

/**
 * The bytes of a picture or clip written offline or still uploading. Kept in IndexedDB
 * with the outbox item (a Blob is stored as is), so a reload or a dead network loses nothing.
 */
export type PendingUpload = {
  blob: Blob;
  mime: string;
};

/** A line in the conversation that is not a message: who joined or left, and the end. */
export type GroupNotice = { at: number; kind: "joined" | "left" | "ended" | "ttl"; user?: string; by?: string };

/** A group as this device keeps it: the server's shape plus what only the events tell. */
export type ClientGroup = Group & {
  /** This user left: the conversation is read-only for them. */
  left?: boolean;
  /** Members who left, so their old messages keep a name. */
  past: User[];
  notices: GroupNotice[];
};
