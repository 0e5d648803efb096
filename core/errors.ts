// The one table of errors a caller can cause: code → HTTP status, whether retrying the
// same request can succeed, and the default message. HTTP errors (worker/errors.ts),
// the socket's `error` frames and the results of Durable Object calls are all made from
// it, so a code means the same everywhere. Codes are stable API (docs/protocol.md);
// the client maps them to sentences in the user's language. Kept free of zod.

type Spec = { status: number; retryable?: true; message: string };

export const ERRORS = {
  // input
  invalid_json: { status: 400, message: "the body or frame is not valid JSON" },
  invalid_input: { status: 400, message: "a field is not valid" },
  invalid_frame: { status: 400, message: "the frame is not one the hub knows" },
  binary_frame: { status: 400, message: "frames are JSON text" },
  frame_too_large: { status: 413, message: "the frame is too large" },
  body_too_large: { status: 413, message: "the request body is too large" },
  unsupported_content_type: { status: 415, message: "send the body as application/json" },
  body_read_failed: { status: 400, message: "the request body could not be read to its end" },
  // auth
  unauthorized: { status: 401, message: "sign in first" },
  invalid_credentials: { status: 401, message: "wrong login or password" },
  cross_site: { status: 403, message: "this request did not come from the app" },
  session_changed: { status: 409, message: "this device is signed in as someone else now" },
  rate_limited: { status: 429, retryable: true, message: "too many attempts; try again later" },
  upgrade_required: { status: 426, message: "this endpoint speaks WebSocket only" },
  // registration and profile
  invalid_phone: { status: 400, message: "that is not a valid phone number" },
  handle_taken: { status: 409, message: "that handle is taken" },
  // Not sent since numbers are verified: registering never reveals whether a number is taken. Kept: codes are stable.
  phone_taken: { status: 409, message: "that phone number already has an account" },
  // phone verification
  code_wrong: { status: 400, message: "that code is not right" },
  code_expired: { status: 400, message: "that code has expired or was used up; ask for a new one" },
  phone_unverified: { status: 403, message: "verify your phone number first" },
  already_verified: { status: 409, message: "that number is verified already" },
  sms_failed: { status: 502, retryable: true, message: "the text message could not be sent; try again" },
  sms_unavailable: { status: 503, message: "this server cannot send text messages" },
  // friends
  user_not_found: { status: 404, message: "no such user" },
  request_not_found: { status: 404, message: "no such friend request" },
  not_friends: { status: 404, message: "you are not friends" },
  cannot_friend_self: { status: 400, message: "you cannot befriend yourself" },
  already_friends: { status: 409, message: "you are friends already" },
  request_pending: { status: 409, message: "you asked already" },
  request_incoming: { status: 409, message: "they asked you already: accept theirs" },
  request_settled: { status: 409, message: "this request was settled already" },
  request_cooldown: { status: 429, retryable: true, message: "you can ask them again later" },
  not_friend: { status: 403, message: "you can only message your friends" },
  // conversations and sends
  not_found: { status: 404, message: "not found" },
  conversation_not_found: { status: 404, message: "no such conversation" },
  invalid_target: { status: 400, message: "you cannot send there" },
  unsupported_target: { status: 400, message: "this server cannot deliver to that target" },
  unsupported_body: { status: 400, message: "this kind of message cannot go there" },
  invalid_ack: { status: 400, message: "that ack is past your newest event" },
  unsupported_frame: { status: 400, message: "this socket does not take that frame" },
  // groups
  group_not_found: { status: 404, message: "no such group, or you are not in it" },
  group_ended: { status: 409, message: "this group has ended" },
  group_full: { status: 400, message: "the group is full" },
  already_members: { status: 409, message: "they are all in the group already" },
  not_owner: { status: 403, message: "only the group's creator can do that" },
  // media
  media_not_found: { status: 404, message: "no such media" },
  media_too_large: { status: 413, message: "that file is too large" },
  media_quota_exceeded: { status: 413, message: "your uploads have used up your storage" },
  unsupported_media_type: { status: 415, message: "that kind of file cannot be sent" },
  media_type_mismatch: { status: 415, message: "the file is not what its type says" },
  range_not_satisfiable: { status: 416, message: "that range is past the end of the file" },
  invalid_media: { status: 400, message: "that media is not yours or not of this kind" },
  // bound accounts
  unsupported_network: { status: 400, message: "this server cannot bind accounts of that network" },
  bad_credentials: { status: 422, message: "the network did not accept these credentials" },
  server_unreachable: { status: 422, message: "the network's server could not be reached" },
  account_not_found: { status: 404, message: "no such account" },
  account_removed: { status: 409, message: "this account was removed; its history is read-only" },
  unknown_network: { status: 400, message: "you have no account of that name; name one of your networks" },
  ambiguous_network: { status: 400, message: "several of your accounts have that name; name one by its label" },
  not_retryable: { status: 409, message: "only a message that failed to reach its network can be tried again" },
  remote_failed: { status: 502, retryable: true, message: "the network did not take the message" },
  // the social feed
  post_not_found: { status: 404, message: "no such post in your feed" },
  unsupported_action: { status: 400, message: "that network cannot do this to a post" },
  // one inbox (issue 14): people, search, timeline
  person_not_found: { status: 404, message: "no such person" },
  handle_not_found: { status: 404, message: "that is not one of your friends or contacts" },
  message_not_found: { status: 404, message: "no such message of yours in this conversation" },
  // Web Push
  invalid_subscription: { status: 400, message: "that push subscription is not valid" },
  push_unavailable: { status: 503, message: "this server does not send push notifications" },
  // what the other network answered (worker/connectors/*)
  too_long: { status: 413, message: "the text is longer than the network allows; split it into a thread or shorten it" },
  remote_unavailable: { status: 503, retryable: true, message: "the other network is not answering; Unibox will try again" },
  remote_refused: { status: 422, message: "the other network refused this" },
  // mail
  mail_unavailable: { status: 503, message: "this server cannot send mail from your own address" },
  mail_refused: { status: 502, message: "the mail server refused the message" },
  mail_deferred: { status: 503, retryable: true, message: "the mail server could not take the message now; it will be retried" },
  mail_not_found: { status: 404, message: "no such mail" },
  // ours
  internal: { status: 500, retryable: true, message: "something went wrong on our side; try again" },
} as const satisfies Record<string, Spec>;

export type ErrorCode = keyof typeof ERRORS;

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERRORS, code);

/** Why something was refused: the one shape for HTTP errors, error frames and RPC results. */
export type Refusal = { ok: false; code: ErrorCode; message: string; details?: Details; retryAfterMs?: number };

/** What a refusal says beyond its message (plain JSON, so it crosses RPC and the wire). */
export type Details = Record<string, string | number | boolean | null | string[]>;

/** A result that either went through (with its data) or was refused. */
export type Result<T extends object = object> = ({ ok: true } & T) | Refusal;

export function refusal(code: ErrorCode, message: string = ERRORS[code].message, extra: { details?: Details; retryAfterMs?: number } = {}): Refusal {
  return { ok: false, code, message, ...extra };
}

export const statusOf = (code: ErrorCode): number => ERRORS[code].status;
export const isRetryable = (code: ErrorCode): boolean => "retryable" in ERRORS[code];
