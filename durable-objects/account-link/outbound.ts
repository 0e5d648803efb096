// Sending from a link: a connector's throw as the result the hub's outbox understands, an
// account's post limits, and an over-long post as a thread.
import { measure } from "../../core/text-length";
import { splitForThread } from "../../core/thread";
import { type Connector, type LinkIO, type Outbound, RemoteError, type SendResult, type TextLimits } from "../../worker/connectors/types";

/** A connector's throw, as the SendResult the hub's outbox understands. */
export function failureOf(err: unknown): Extract<SendResult, { ok: false }> {
  if (err instanceof RemoteError) return { ok: false, code: err.kind === "auth" ? "bad_credentials" : "remote_failed", message: err.message, retryable: err.kind === "transient" || err.kind === "rate_limited", retryAfterMs: err.retryAfterMs };
  return { ok: false, code: "remote_failed", message: messageOf(err), retryable: true };
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const gone = (): SendResult => ({ ok: false, code: "account_not_found", message: "this account is not bound any more", retryable: false });
export const needsCredentials = (): SendResult => ({ ok: false, code: "bad_credentials", message: "the account's credentials no longer work; re-enter them", retryable: false });

/** What a post on this account may hold: the account's own figures (learnt at verify) or the network's. */
export function limitsOf(connector: Connector<unknown>, io: LinkIO): TextLimits | undefined {
  const l = connector.limits;
  if (!l) return undefined;
  const own = l.current?.(io);
  if (own) return own;
  const max = l.textChars ?? l.textGraphemes;
  return max ? { max, ...l.rules } : undefined;
}

/**
 * An over-long post as a thread: each part with its own key (so a retry re-sends none that
 * went), each a reply to the one before. The thread's first part is the answer.
 */
export async function sendThread(
  connector: Connector<unknown>,
  io: LinkIO,
  out: Outbound & { body: { type: "text"; text: string } },
  sendOne: (part: Outbound) => Promise<SendResult>,
): Promise<SendResult> {
  const limits = limitsOf(connector, io);
  const own = connector.limits?.current?.(io);
  // The account's own rules when known; else the network's measure.
  const count = own ? (s: string) => measure(s, own) : (connector.limits?.measure ?? ((s: string) => measure(s, limits)));
  const parts = limits ? splitForThread(out.body.text, limits.max, count) : [out.body.text];
  let first: SendResult | undefined;
  let replyTo = out.replyTo;
  for (const [i, text] of parts.entries()) {
    const result = await sendOne({ ...out, key: i === 0 ? out.key : `${out.key}:${i}`, body: { type: "text", text }, ...(replyTo ? { replyTo } : {}) });
    if (!result.ok) return result;
    first ??= result;
    replyTo = result.remoteId;
  }
  return first!;
}
