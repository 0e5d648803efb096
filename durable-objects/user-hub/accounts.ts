// The user's bound accounts, as the hub sees them: the cached list (like the friend set, so a
// send needs no D1), remote conversations, remote id ↔ message id (dedupe, echo matching,
// receipts both ways), and the outbox rows that carry sends, reads and online/offline to
// each account's AccountLink. Knows no network by name.
import { remoteConversationId, remoteOf } from "../../core/conversation";
import { refusal, type Result } from "../../core/errors";
import { newId } from "../../core/ids";
import type { Account, Body, Message, RemoteContact } from "../../core/protocol";
import type { RemoteChat, RemoteEvent, SendResult, StateReport } from "../../worker/connectors/types";
import { linkOf } from "../stubs";
import { type Hub, Refused } from "./context";
import { RetryLater } from "./outbox";
import type { Presence } from "./presence";
import type { Accepted, SendLedger } from "./sends";

type RemoteSend = { account: string; chat: string; msgId: string; conv: string; body: Body };

/** A send to another network is retried this many times (about ten minutes of backoff) before it is failed. */
const SEND_ATTEMPTS = 12;

type EventHandler = (account: Account, ev: RemoteEvent) => void;

export class Accounts {
  private handlers = new Map<string, EventHandler>();
  private contactsAt = new Map<string, number>();

  constructor(
    private hub: Hub,
    private sends: SendLedger,
    presence: Presence,
  ) {
    presence.onChange((online) => this.everyLink(online ? "open" : "close"));
    hub.outbox.register("link", (p: { account: string; op: "open" | "close" }) => (p.op === "open" ? linkOf(hub.env, p.account).open() : linkOf(hub.env, p.account).close()));
    hub.outbox.register("remote-send", (p: RemoteSend, row) => this.deliverOut(p, row.attempts + 1));
    hub.outbox.register("link-read", (p: { account: string; chat: string; remoteIds: string[] }) => linkOf(hub.env, p.account).markRead(p.chat, p.remoteIds));
    hub.timers.register("contacts", () => this.flushContacts());
  }

  /** Other modules (mail, social) take the event types they own. */
  handle(type: RemoteEvent["type"], handler: EventHandler): void {
    this.handlers.set(type, handler);
  }

  // ---- the list ------------------------------------------------------------------------

  bound(account: Account): void {
    this.hub.store.accounts.put(account);
    this.hub.events.append({ type: "account.bound", account });
    if (this.hub.store.meta.get("online") === "1") this.toLink(account.id, "open");
  }

  removed(id: string): void {
    if (!this.hub.store.accounts.get(id)) return;
    const at = Date.now();
    this.hub.store.accounts.remove(id, at);
    this.hub.events.append({ type: "account.removed", account: id, at });
  }

  list(): Account[] {
    return this.hub.store.accounts.active();
  }

  contacts(id: string): RemoteContact[] | null {
    const account = this.hub.store.accounts.get(id);
    if (!account || account.removed) return null;
    return this.hub.store.accounts.contacts(id) ?? [];
  }

  status(id: string, report: StateReport): void {
    const account = this.hub.store.accounts.get(id);
    if (!account || account.removed) return;
    const { removed: _, ...rest } = account;
    this.hub.store.accounts.put({ ...rest, state: report.state, message: report.message, ...(report.action ? { action: report.action } : { action: undefined }) });
    this.hub.events.append({ type: "account.status", account: id, state: report.state, message: report.message, ...(report.action ? { action: report.action } : {}), at: Date.now() });
  }

  private everyLink(op: "open" | "close"): void {
    for (const a of this.list()) this.toLink(a.id, op);
  }

  private toLink(account: string, op: "open" | "close"): void {
    this.hub.outbox.enqueue(account, "link", { account, op });
    this.hub.outbox.flush();
  }

  // ---- in --------------------------------------------------------------------------------

  /** Everything a link hands over, stored before this returns (no awaits: one atomic step). */
  ingest(id: string, events: RemoteEvent[]): Result {
    const account = this.hub.store.accounts.get(id);
    if (!account || account.removed) return refusal("account_not_found", "this account is not bound here");
    for (const ev of events) this.take(account, ev);
    return { ok: true };
  }

  private take(account: Account, ev: RemoteEvent): void {
    switch (ev.type) {
      case "message":
        return this.message(account, ev);
      case "receipt":
        return this.receipt(account, ev);
      case "contacts":
        this.hub.store.accounts.setContacts(account.id, ev.contacts, Date.now());
        return this.contactsChanged(account.id);
      case "presence":
        return this.presence(account.id, ev.contact, ev.presence);
      case "notice": {
        const conv = this.conversation(account, ev.chat, ev.at);
        this.hub.events.append({ type: "notice", conv, key: ev.key, text: ev.text, at: ev.at });
        return;
      }
      default:
        this.handlers.get(ev.type)?.(account, ev);
    }
  }

  private conversation(account: Account, chat: RemoteChat, at: number): string {
    const conv = remoteConversationId(account.id, chat.id);
    this.hub.store.conversations.ensure({ id: conv, kind: "remote", source: account.id, title: chat.title, ref: account.id }, at);
    return conv;
  }

  private message(account: Account, ev: Extract<RemoteEvent, { type: "message" }>): void {
    const { store, me } = this.hub;
    // Our own message coming back (echo): it is already here under our id.
    if (ev.echoOf && store.messages.has(ev.echoOf)) {
      store.accounts.mapRemote(account.id, ev.remoteId, ev.echoOf);
      return;
    }
    if (store.accounts.messageFor(account.id, ev.remoteId)) return; // seen before (catch-up overlap, redelivery)
    const conv = this.conversation(account, ev.chat, ev.at);
    const own = ev.fromMe;
    const msg: Message = { id: newMessageId(), from: own ? me : ev.sender.id, ...(own ? {} : { name: ev.sender.name }), source: account.id, body: ev.body, at: ev.at };
    store.accounts.mapRemote(account.id, ev.remoteId, msg.id);
    this.hub.events.append({ type: "message", conv, msg }, (seq) => store.messages.insert(conv, msg, seq, own ? "sent" : null));
  }

  private receipt(account: Account, ev: Extract<RemoteEvent, { type: "receipt" }>): void {
    const { store, me } = this.hub;
    const ids = ev.remoteIds.map((r) => store.accounts.messageFor(account.id, r)).filter((id): id is string => id !== undefined);
    const changed = store.messages.raiseState(me, ids, ev.state);
    if (changed.length === 0) return;
    this.hub.events.append({ type: "status", conv: remoteConversationId(account.id, ev.chat), msgIds: changed, state: ev.state, by: ev.by ?? ev.chat, at: ev.at });
  }

  private presence(account: string, contact: string, presence: RemoteContact["presence"]): void {
    const list = this.hub.store.accounts.contacts(account) ?? [];
    const known = list.find((c) => c.id === contact);
    const next = known ? list.map((c) => (c.id === contact ? { ...c, presence } : c)) : [...list, { id: contact, name: contact, presence }];
    this.hub.store.accounts.setContacts(account, next, Date.now());
    this.contactsChanged(account);
  }

  /** A buddy list changes in bursts (a roster, presence on connect): tell devices at most every 2 s. */
  private contactsChanged(account: string): void {
    const pending = new Set(JSON.parse(this.hub.store.meta.get("contacts_pending") ?? "[]") as string[]);
    pending.add(account);
    this.hub.store.meta.set("contacts_pending", JSON.stringify([...pending]));
    const last = this.contactsAt.get(account) ?? 0;
    this.hub.timers.set("contacts", Math.max(Date.now(), last + 2_000));
    void this.hub.timers.schedule();
  }

  private flushContacts(): void {
    const pending = JSON.parse(this.hub.store.meta.get("contacts_pending") ?? "[]") as string[];
    this.hub.store.meta.set("contacts_pending", "[]");
    for (const account of pending) {
      const contacts = this.contacts(account);
      if (!contacts) continue;
      this.contactsAt.set(account, Date.now());
      this.hub.events.append({ type: "account.contacts", account, contacts });
    }
  }

  // ---- out -------------------------------------------------------------------------------

  /** `send {to:{account, contact}}` or `{to:{conv}}` on an account: accepted once queued here. */
  send(clientId: string, to: { account: string; contact: string } | { conv: string }, body: Body): Accepted {
    const done = this.sends.finished(clientId);
    if (done) return done;
    const target = "conv" in to ? remoteOf(to.conv) : { account: to.account, chat: to.contact };
    if (!target) throw new Refused("conversation_not_found", "that conversation is not on a bound account");
    const account = this.hub.store.accounts.get(target.account);
    if (!account) throw new Refused("account_not_found", "no such account");
    if (account.removed) throw new Refused("account_removed", "this account was removed; its history is read-only");
    const { store, me } = this.hub;
    const conv = remoteConversationId(account.id, target.chat);
    if ("conv" in to && !store.conversations.has(conv)) throw new Refused("conversation_not_found", "no such conversation");
    const { msgId, at } = this.sends.reserve(clientId, conv);
    if (!store.messages.has(msgId)) {
      const title = store.accounts.contacts(account.id)?.find((c) => c.id === target.chat)?.name ?? target.chat;
      if (!store.conversations.has(conv)) store.conversations.ensure({ id: conv, kind: "remote", source: account.id, title, ref: account.id }, at);
      const msg: Message = { id: msgId, from: me, source: account.id, body, at };
      this.hub.events.append({ type: "message", conv, msg }, (seq) => store.messages.insert(conv, msg, seq, "queued"));
      this.hub.outbox.enqueue(account.id, "remote-send", { account: account.id, chat: target.chat, msgId, conv, body } satisfies RemoteSend);
      this.hub.outbox.flush();
    }
    return this.sends.finish(clientId, { msgId, conv, at });
  }

  /** The outbox's sender for one queued message: sent, retried as the network says, or failed. */
  private async deliverOut(p: RemoteSend, attempt: number): Promise<void> {
    const account = this.hub.store.accounts.get(p.account);
    if (!account || account.removed) return this.settle(p, { ok: false, code: "account_removed", message: "the account was removed before this went", retryable: false });
    const result = await linkOf(this.hub.env, p.account).send({ key: p.msgId, chat: p.chat, body: p.body });
    if (!result.ok && result.retryable && attempt < SEND_ATTEMPTS) throw new RetryLater(result.retryAfterMs ?? Math.min(120_000, 1000 * 2 ** attempt), result.message);
    this.settle(p, result);
  }

  private settle(p: RemoteSend, result: SendResult): void {
    const { store, me } = this.hub;
    if (result.ok) store.accounts.mapRemote(p.account, result.remoteId, p.msgId);
    const state = result.ok ? "sent" : "failed";
    const changed = store.messages.raiseState(me, [p.msgId], state);
    if (changed.length === 0) return;
    this.hub.events.append({
      type: "status", conv: p.conv, msgIds: changed, state, by: p.account, at: Date.now(),
      ...(result.ok ? {} : { reason: result.message, code: result.code }),
    });
  }

  /** The user read messages in a remote conversation: tell the network, where it listens. */
  read(conv: string, msgIds: string[]): void {
    const where = remoteOf(conv);
    if (!where) return;
    const account = this.hub.store.accounts.get(where.account);
    if (!account || account.removed) return;
    const remoteIds = this.hub.store.accounts.remoteIdsOf(msgIds);
    if (remoteIds.length === 0) return;
    this.hub.outbox.enqueue(account.id, "link-read", { account: account.id, chat: where.chat, remoteIds });
    this.hub.outbox.flush();
  }
}

const newMessageId = () => newId("m");
