// Client-side shapes. Wire shapes are imported as types only from the shared protocol
// module, so none of zod's runtime lands in the first-route bundle.
import type { Body, ConversationSummary, HubEvent, Message, ServerFrame, User } from "../../../worker/protocol";

export type { Body, ConversationSummary, HubEvent, Message, ServerFrame, User };

export type DeliveryState = "sending" | "sent" | "delivered" | "read" | "failed";

/** A message as the client keeps it: the wire message plus where it lives and, for own messages, its state. */
export type StoredMessage = Message & { conv: string; state?: "sent" | "delivered" | "read" };

/** A message the user wrote that the hub has not accepted yet. `id` is the client id reused on every retry. */
export type OutboxItem = {
  id: string;
  conv: string;
  to: string;
  body: Body;
  createdAt: number;
  /** Set when the hub refused it for good (e.g. not_friend); such items are not retried. */
  error?: { code: string; message: string };
};

export type Friend = { user: User; since: number; online: boolean };
export type IncomingRequest = { id: string; from: User; message: string | null; at: number };
export type OutgoingRequest = { id: string; to: User; message: string | null; at: number };
