// One person, several handles (issue 14). A person is a set of (source, contact) handles the
// user confirmed; the conversations stay exactly as they are, and the person's view merges
// them by time. So merging and splitting only write `person_handles`: no message moves, none
// can be lost, and a split gives back each conversation as it was. Suggestions come from a
// shared phone number, a shared address, or the same name on several networks.
import { directConversationId, directPeer, isNativeSource, NATIVE_SOURCE, remoteConversationId, remoteOf } from "../../core/conversation";
import { refusal, type Result } from "../../core/errors";
import { newId } from "../../core/ids";
import type { MergeSuggestion, Person, PersonHandle, StoredMessage, Target } from "../../core/protocol";
import { type Hub, Refused } from "./context";
import { toMessage } from "./store/messages";
import { handleKey } from "./store/people";

/** Someone the user can reach, with what may tie them to their other handles. */
type Known = PersonHandle & { name: string; phone?: string; email?: string };

export class People {
  constructor(private hub: Hub) {}

  list(): Person[] {
    return this.hub.store.people.all().map((p) => this.view(p.id)!);
  }

  get(id: string): Person | null {
    return this.view(id);
  }

  /** Confirms handles as one person; handles already in people bring those people along (merged into the first). */
  merge(handles: PersonHandle[], name?: string, suggestion?: string): Result<{ person: Person }> {
    const { people } = this.hub.store;
    const known = new Map(this.known().map((k) => [handleKey(k), k]));
    const unknown = handles.filter((h) => !known.has(handleKey(h)));
    if (unknown.length > 0) return refusal("handle_not_found", "some of these are not your friends or contacts", { details: { handles: unknown.map((h) => `${h.source}/${h.contact}`) } });
    const existing = [...new Set(handles.map((h) => people.personOf(h)).filter((p): p is string => p !== undefined))];
    const at = Date.now();
    const id = existing[0] ?? newId("p");
    if (!existing[0]) people.create(id, name ?? known.get(handleKey(handles[0]!))!.name, at);
    else if (name) people.rename(id, name);
    for (const other of existing.slice(1)) {
      for (const h of people.handles(other)) people.attach(id, h);
      people.remove(other);
      this.hub.events.append({ type: "person.removed", person: other, at });
    }
    for (const h of handles) people.attach(id, h);
    if (suggestion) people.dismiss(suggestion, at);
    const person = this.view(id)!;
    this.hub.events.append({ type: "person.updated", person });
    return { ok: true, person };
  }

  /** Takes handles out of a person (all of them when none are named); a person left with one handle is no person. */
  split(id: string, handles?: PersonHandle[]): Result<{ person: Person | null }> {
    const { people } = this.hub.store;
    if (!people.get(id)) return refusal("person_not_found");
    const out = new Set((handles ?? people.handles(id)).map(handleKey));
    const keep = people.handles(id).filter((h) => !out.has(handleKey(h)));
    const name = people.get(id)!.name;
    const at = Date.now();
    people.remove(id);
    if (keep.length < 2) {
      this.hub.events.append({ type: "person.removed", person: id, at });
      return { ok: true, person: null };
    }
    people.create(id, name, at);
    for (const h of keep) people.attach(id, h);
    const person = this.view(id)!;
    this.hub.events.append({ type: "person.updated", person });
    return { ok: true, person };
  }

  dismiss(key: string): void {
    this.hub.store.people.dismiss(key, Date.now());
  }

  // ---- suggestions -------------------------------------------------------------------------

  suggestions(): MergeSuggestion[] {
    const { people } = this.hub.store;
    const assigned = people.assigned();
    const dismissed = people.dismissed();
    const groups = new Map<string, { reason: MergeSuggestion["reason"]; value: string; handles: Known[] }>();
    const add = (reason: MergeSuggestion["reason"], norm: string | undefined, value: string | undefined, k: Known) => {
      if (!norm || !value) return;
      const key = `${reason}:${norm}`;
      const g = groups.get(key) ?? { reason, value, handles: [] };
      g.handles.push(k);
      groups.set(key, g);
    };
    for (const k of this.known()) {
      add("phone", normalPhone(k.phone), k.phone, k);
      add("email", k.email?.trim().toLowerCase(), k.email, k);
      add("name", normalName(k.name), k.name, k);
    }
    const out: MergeSuggestion[] = [];
    const proposed = new Set<string>();
    for (const [key, g] of groups) {
      if (dismissed.has(key)) continue;
      // The same name on one network is two people more often than one.
      if (g.reason === "name" && new Set(g.handles.map((h) => h.source)).size < 2) continue;
      const units = new Set(g.handles.map((h) => assigned.get(handleKey(h)) ?? handleKey(h)));
      if (units.size < 2) continue;
      const set = g.handles.map(handleKey).sort().join("\t");
      if (proposed.has(set)) continue; // a phone match already proposes these very handles
      proposed.add(set);
      out.push({ key, reason: g.reason, value: g.value, handles: g.handles.map((h) => ({ source: h.source, contact: h.contact, name: h.name, ...(assigned.has(handleKey(h)) ? { person: assigned.get(handleKey(h))! } : {}) })) });
    }
    return out.slice(0, 100);
  }

  // ---- the merged view ---------------------------------------------------------------------

  /** The person's conversations merged in time order; `before` is "at:pos" of the oldest shown. */
  messages(id: string, before: { at: number; pos: number } | undefined, limit: number): { person: Person; messages: StoredMessage[]; before?: string } | null {
    const person = this.view(id);
    if (!person) return null;
    const convs = person.handles.map((h) => h.conv);
    const rows = this.hub.store.people.messagesAcross(convs, before, limit + 1);
    const page = rows.slice(0, limit).reverse();
    const oldest = page[0];
    return { person, messages: page.map(toMessage), ...(rows.length > limit && oldest ? { before: `${oldest.at}:${oldest.pos}` } : {}) };
  }

  /** Where `send {to:{person}}` goes: the network they last wrote on; a retry keeps its first way. */
  replyTarget(id: string, clientId: string): Target {
    const prior = this.hub.store.sends.get(clientId);
    if (prior) return this.targetOf(prior.conv);
    const person = this.view(id);
    if (!person) throw new Refused("person_not_found", "no such person");
    if (!person.replyTo) throw new Refused("invalid_target", "none of this person's networks can be written to now");
    return this.targetOf(person.replyTo.conv);
  }

  private targetOf(conv: string): Target {
    const peer = directPeer(conv, this.hub.me);
    return peer ? { user: peer } : { conv };
  }

  private view(id: string): Person | null {
    const { people } = this.hub.store;
    const row = people.get(id);
    if (!row) return null;
    const handles = people.handles(id).map((h) => ({ ...h, name: this.nameOf(h), conv: this.convOf(h) }));
    const usable = handles.filter((h) => this.usable(h));
    const last = this.hub.store.people.lastWriter(usable.map((h) => h.conv), this.hub.me);
    const reply = usable.find((h) => h.conv === last) ?? usable[0];
    return { id, name: row.name, handles, replyTo: reply ? { source: reply.source, contact: reply.contact, conv: reply.conv } : null, createdAt: row.created_at };
  }

  /** Every handle the user can reach now: friends, contacts of bound accounts, and people who wrote on one. */
  private known(): Known[] {
    const { store, me } = this.hub;
    const out = new Map<string, Known>();
    for (const id of store.friends.ids()) {
      const u = store.friends.get(id)!;
      out.set(handleKey({ source: NATIVE_SOURCE, contact: id }), { source: NATIVE_SOURCE, contact: id, name: u.displayName, email: u.address, ...(u.phone ? { phone: u.phone } : {}) });
    }
    for (const account of store.accounts.active()) {
      for (const c of store.accounts.contacts(account.id) ?? []) {
        const email = c.email ?? (ADDRESS.test(c.id) ? c.id : undefined);
        const phone = c.phone ?? (PHONE.test(c.id) ? c.id : undefined);
        out.set(handleKey({ source: account.id, contact: c.id }), { source: account.id, contact: c.id, name: c.name, ...(email ? { email } : {}), ...(phone ? { phone } : {}) });
      }
      // Someone who wrote in a chat of their own (a direct chat's id is its person's id), roster or not: mail senders.
      for (const w of store.people.writers(account.id, me)) {
        if (w.conv !== remoteConversationId(account.id, w.id)) continue;
        const key = handleKey({ source: account.id, contact: w.id });
        if (!out.has(key)) out.set(key, { source: account.id, contact: w.id, name: w.name ?? w.id, ...(ADDRESS.test(w.id) ? { email: w.id } : {}) });
      }
      // Who wrote to a bound mailbox (mail lives in the Mail tab, not in chats).
      for (const s of store.mail.senders(account.id)) {
        const key = handleKey({ source: account.id, contact: s.address });
        if (!out.has(key)) out.set(key, { source: account.id, contact: s.address, name: s.name ?? s.address, email: s.address });
      }
    }
    return [...out.values()];
  }

  private nameOf(h: PersonHandle): string {
    const { store } = this.hub;
    if (isNativeSource(h.source)) return store.friends.get(h.contact)?.displayName ?? h.contact;
    return store.accounts.contacts(h.source)?.find((c) => c.id === h.contact)?.name ?? store.conversations.title(this.convOf(h)) ?? h.contact;
  }

  private convOf(h: PersonHandle): string {
    return isNativeSource(h.source) ? directConversationId(this.hub.me, h.contact) : remoteConversationId(h.source, h.contact);
  }

  private usable(h: PersonHandle): boolean {
    const { store } = this.hub;
    if (isNativeSource(h.source)) return store.friends.has(h.contact);
    const account = store.accounts.get(h.source);
    return !!account && !account.removed;
  }

  /** The person a conversation belongs to, for search hits. */
  personOfConv(conv: string): string | undefined {
    const peer = directPeer(conv, this.hub.me);
    if (peer) return this.hub.store.people.personOf({ source: NATIVE_SOURCE, contact: peer });
    const where = remoteOf(conv);
    return where ? this.hub.store.people.personOf({ source: where.account, contact: where.chat }) : undefined;
  }

  /** A person's conversations (for search filters); null for a person that is not this user's. */
  convsOf(id: string): string[] | null {
    if (!this.hub.store.people.get(id)) return null;
    return this.hub.store.people.handles(id).map((h) => this.convOf(h));
  }
}

// Contact ids are the networks' own; these only ask whether one has the form of an address
// or an international phone number, which is what a mail or phone-based network's ids are.
const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+\d{7,15}$/;

function normalPhone(p: string | undefined): string | undefined {
  // The last ten digits: "+1 415 555 0199" and "(415) 555-0199" are one number. Only a
  // suggestion comes of it, which the user confirms.
  const digits = p?.replace(/[^\d]/g, "");
  return digits && digits.length >= 7 ? digits.slice(-10) : undefined;
}

function normalName(n: string): string | undefined {
  const s = n.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
  return [...s].length >= 3 ? s : undefined;
}
