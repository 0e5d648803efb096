// The user's bound accounts, as the hub sees them: the cached list (like the friend set, so a
// send needs no D1), remote conversations, remote id ↔ message id (dedupe, echo matching,
// receipts both ways), and the outbox rows that carry sends, reads and online/offline to
// each account's AccountLink. Knows no network by name.
import { remoteConversationId, remoteOf } from "../../core/conversation";
import { refusal, type Result } from "../../core/errors";
import { newId } from "../../core/ids";
import type { Account, Message, RemoteContact } from "../../core/protocol";
import type { RemoteChat, RemoteEvent, StateReport } from "../../worker/connectors/types";
import { linkOf } from "../stubs";
import type { Hub } from "./context";
import type { Presence } from "./presence";

type EventHandler = (account: Account, ev: RemoteEvent) => void;

export class Accounts {
  private handlers = new Map<string, EventHandler>();
  private contactsAt = new Map<string, number>();

  constructor(
    private hub: Hub,
    presence: Presence,
  ) {
    presence.onChange((online) => this.everyLink(online ? "open" : "close"));
    hub.outbox.register("link", (p: { account: string; op: "open" | "close" }) => (p.op === "open" ? linkOf(hub.env, p.account).open() : linkOf(hub.env, p.account).close()));
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
    // For the dashboard: which accounts are in trouble (the message is the network's reason, never a secret).
    this.hub.log(report.state === "connected" || report.state === "connecting" ? "info" : "warn", "account.status", { account: id, network: account.network, state: report.state });
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
