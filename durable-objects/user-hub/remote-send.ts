// Messages going out through bound accounts: to a contact, as a reply in a remote
// conversation, or as a post to a network by its name ("To: mastodon"). Accepted once queued
// here; the outbox hands each to its account's link and turns the answer into `status`
// events: sent (with the post's URL), failed with the reason, retried as the network says.
import { remoteConversationId, remoteOf } from "../../core/conversation";
import type { Account, Body, Message } from "../../core/protocol";
import { type SendResult, TIMELINE } from "../../worker/connectors/types";
import { linkOf } from "../stubs";
import { type Hub, Refused } from "./context";
import { RetryLater } from "./outbox";
import type { Accepted, SendLedger } from "./sends";

type RemoteSend = { account: string; chat: string; msgId: string; conv: string; body: Body; split?: boolean; replyTo?: string };
export type Sent = { account: Account; msgId: string; chat: string; body: Body; result: Extract<SendResult, { ok: true }>; replyTo?: string };
/** One try of handing a message to its network: when, which try, and what the network said. */
export type Attempt = { account: string; msgId: string; attempt: number; at: number; result: SendResult };

/** A send to another network is retried this many times (about ten minutes of backoff) before it is failed. */
const SEND_ATTEMPTS = 12;

export class RemoteSends {
  private sentHooks: ((sent: Sent) => void)[] = [];
  private attemptHooks: ((attempt: Attempt) => void)[] = [];

  constructor(
    private hub: Hub,
    private sends: SendLedger,
  ) {
    hub.outbox.register("remote-send", (p: RemoteSend, row) => this.deliverOut(p, row.attempts + 1));
  }

  /** Runs for each message a network took (the feed keeps own posts). */
  onSent(hook: (sent: Sent) => void): void {
    this.sentHooks.push(hook);
  }

  /** Runs after each try of handing a message over (the delivery timeline keeps them). */
  onAttempt(hook: (attempt: Attempt) => void): void {
    this.attemptHooks.push(hook);
  }

  /** `send {to:{account, contact}}` or `{to:{conv}}` on an account. */
  send(clientId: string, to: { account: string; contact: string } | { conv: string }, body: Body): Accepted {
    const done = this.sends.finished(clientId);
    if (done) return done;
    const target = "conv" in to ? remoteOf(to.conv) : { account: to.account, chat: to.contact };
    if (!target) throw new Refused("conversation_not_found", "that conversation is not on a bound account");
    const account = this.usable(target.account);
    if ("conv" in to && !this.hub.store.conversations.has(to.conv)) throw new Refused("conversation_not_found", "no such conversation");
    const title = this.hub.store.accounts.contacts(account.id)?.find((c) => c.id === target.chat)?.name ?? target.chat;
    return this.queue(clientId, account, target.chat, title, body);
  }

  /** `send {to:{network}}`: a post to the timeline of the account of that name or network. */
  post(clientId: string, to: { network: string; split?: boolean }, body: Body): Accepted {
    const done = this.sends.finished(clientId);
    if (done) return done;
    if (body.type !== "text" && !("media" in body)) throw new Refused("unsupported_body", "a post is text, or a picture or clip with a caption");
    const account = this.named(to.network);
    return this.queue(clientId, account, TIMELINE, account.label, body, to.split);
  }

  /** A reply to a post of the feed: on the post's account's timeline, threaded under it (`replyTo`, its remote id). */
  reply(clientId: string, accountId: string, replyTo: string, body: Body, split?: boolean): Accepted {
    const done = this.sends.finished(clientId);
    if (done) return done;
    if (body.type !== "text") throw new Refused("unsupported_body", "a reply is text");
    const account = this.usable(accountId);
    return this.queue(clientId, account, TIMELINE, account.label, body, split, replyTo);
  }

  /** The account a name means: an account's label first, else a network with one account. */
  private named(name: string): Account {
    const all = this.hub.store.accounts.active();
    const n = name.trim().toLowerCase();
    const byLabel = all.filter((a) => a.label.toLowerCase() === n);
    const matches = byLabel.length > 0 ? byLabel : all.filter((a) => a.network === n);
    if (matches.length === 1) return matches[0]!;
    const yours = [...new Set(all.map((a) => a.network))].join(", ") || "none yet";
    if (matches.length === 0) throw new Refused("unknown_network", `you have no account called "${name}"; your networks: ${yours}`);
    throw new Refused("ambiguous_network", `you have ${matches.length} ${n} accounts: name one by its label (${matches.map((a) => a.label).join(", ")})`);
  }

  private usable(id: string): Account {
    const account = this.hub.store.accounts.get(id);
    if (!account) throw new Refused("account_not_found", "no such account");
    if (account.removed) throw new Refused("account_removed", "this account was removed; its history is read-only");
    return account;
  }

  /** Our copy first (queued), then the outbox row that carries it; idempotent by client id. */
  private queue(clientId: string, account: Account, chat: string, title: string, body: Body, split?: boolean, replyTo?: string): Accepted {
    const { store, me } = this.hub;
    const conv = remoteConversationId(account.id, chat);
    const { msgId, at } = this.sends.reserve(clientId, conv);
    if (!store.messages.has(msgId)) {
      if (!store.conversations.has(conv)) store.conversations.ensure({ id: conv, kind: "remote", source: account.id, title, ref: account.id }, at);
      const msg: Message = { id: msgId, from: me, source: account.id, body, at };
      this.hub.events.append({ type: "message", conv, msg }, (seq) => store.messages.insert(conv, msg, seq, "queued"));
      store.sendOptions.put(msgId, { ...(split ? { split } : {}), ...(replyTo ? { replyTo } : {}) });
      this.enqueue({ account: account.id, chat, msgId, conv, body, ...(split ? { split } : {}), ...(replyTo ? { replyTo } : {}) });
    }
    return this.sends.finish(clientId, { msgId, conv, at });
  }

  private enqueue(p: RemoteSend): void {
    this.hub.outbox.enqueue(p.account, "remote-send", p);
    this.hub.outbox.flush();
  }

  /** `retry {msgId}`: a message that failed to reach its network goes again, with the same key. */
  retry(msgId: string): void {
    const row = this.hub.store.messages.own(this.hub.me, msgId);
    const where = row && remoteOf(row.conv);
    if (!row || !where || row.state !== "failed") throw new Refused("not_retryable", "only a message that failed to reach its network can be tried again");
    this.usable(where.account);
    this.hub.store.messages.setState(msgId, "queued");
    this.hub.events.append({ type: "status", conv: row.conv, msgIds: [msgId], state: "queued", by: where.account, at: Date.now() });
    // The same thread or reply it was first asked as.
    this.enqueue({ account: where.account, chat: where.chat, msgId, conv: row.conv, body: row.body, ...this.hub.store.sendOptions.get(msgId) });
  }

  /** The outbox's sender for one queued message: sent, retried as the network says, or failed. */
  private async deliverOut(p: RemoteSend, attempt: number): Promise<void> {
    const account = this.hub.store.accounts.get(p.account);
    if (!account || account.removed) return this.settle(p, { ok: false, code: "account_removed", message: "the account was removed before this went", retryable: false });
    const at = Date.now();
    const result = await linkOf(this.hub.env, p.account).send({ key: p.msgId, chat: p.chat, body: p.body, ...(p.split ? { split: true } : {}), ...(p.replyTo ? { replyTo: p.replyTo } : {}) });
    for (const hook of this.attemptHooks) hook({ account: p.account, msgId: p.msgId, attempt, at, result });
    // One line per try: how long the network took, and why it refused (docs/operations.md).
    this.hub.log(result.ok ? "info" : "warn", "remote.send", { account: p.account, network: account.network, msg: p.msgId, attempt, ms: Date.now() - at, ok: result.ok, ...(result.ok ? {} : { code: result.code, retryable: result.retryable }) });
    if (!result.ok && result.retryable && attempt < SEND_ATTEMPTS) throw new RetryLater(result.retryAfterMs ?? Math.min(120_000, 1000 * 2 ** attempt), result.message);
    this.settle(p, result);
    if (result.ok) for (const hook of this.sentHooks) hook({ account, msgId: p.msgId, chat: p.chat, body: p.body, result, ...(p.replyTo ? { replyTo: p.replyTo } : {}) });
  }

  private settle(p: RemoteSend, result: SendResult): void {
    const { store, me } = this.hub;
    if (result.ok) store.accounts.mapRemote(p.account, result.remoteId, p.msgId);
    const state = result.ok ? "sent" : "failed";
    const changed = store.messages.raiseState(me, [p.msgId], state);
    if (changed.length === 0) return;
    this.hub.events.append({
      type: "status", conv: p.conv, msgIds: changed, state, by: p.account, at: Date.now(),
      ...(result.ok ? (result.url ? { url: result.url } : {}) : { reason: result.message, code: result.code }),
    });
  }
}
