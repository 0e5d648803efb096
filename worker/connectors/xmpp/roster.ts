// The roster (RFC 6121 §2) and who is online (§4): contacts by bare JID, presence as the
// best of a contact's available resources.
import type { Presence, RemoteContact } from "../types";
import { bare, localPart } from "./jid";
import { NS } from "./ns";
import { child, childrenOf, type Element, textOf } from "./xml";

type Item = { jid: string; name?: string; group?: string; subscription: string };

export class Roster {
  private items = new Map<string, Item>();
  /** bare JID → resource → presence. */
  private resources = new Map<string, Map<string, Presence>>();

  /** Replaces the list with an <iq type="result"><query/></iq>, or applies a roster push. */
  apply(query: Element | undefined, replace: boolean): void {
    if (replace) this.items.clear();
    for (const item of childrenOf(query, "item", NS.roster)) {
      const jid = item.attrs.jid && bare(item.attrs.jid);
      if (!jid) continue;
      if (item.attrs.subscription === "remove") this.items.delete(jid);
      else this.items.set(jid, { jid, name: item.attrs.name || undefined, group: textOf(child(item, "group", NS.roster)) || undefined, subscription: item.attrs.subscription ?? "none" });
    }
  }

  name(jid: string): string | undefined {
    return this.items.get(jid)?.name;
  }

  /** Whether `jid` may see our presence (subscription from or both), which a receipt reveals (XEP-0184 §8). */
  seesOurPresence(jid: string): boolean {
    const s = this.items.get(jid)?.subscription;
    return s === "from" || s === "both";
  }

  contacts(): RemoteContact[] {
    return [...this.items.values()].map((i) => ({ id: i.jid, name: i.name ?? localPart(i.jid), presence: this.presenceOf(i.jid), ...(i.group ? { group: i.group } : {}) }));
  }

  presenceOf(jid: string): Presence {
    const all = [...(this.resources.get(jid)?.values() ?? [])];
    return all.includes("online") ? "online" : all.length ? "away" : "offline";
  }

  /** Takes a <presence/>; returns the contact whose presence changed, if it did. */
  onPresence(el: Element): { contact: string; presence: Presence } | null {
    const from = el.attrs.from;
    const type = el.attrs.type;
    if (!from || (type !== undefined && type !== "unavailable")) return null;
    const jid = bare(from);
    const resource = from.slice(from.indexOf("/") + 1 || from.length) || "";
    const before = this.presenceOf(jid);
    const map = this.resources.get(jid) ?? new Map<string, Presence>();
    if (type === "unavailable") map.delete(resource);
    else map.set(resource, ["away", "xa", "dnd"].includes(textOf(child(el, "show"))) ? "away" : "online");
    this.resources.set(jid, map);
    const after = this.presenceOf(jid);
    return after === before ? null : { contact: jid, presence: after };
  }
}
