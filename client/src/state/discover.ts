// Friends from the phone's address book: the Contact Picker API (Chrome on Android) hands
// over the contacts the user chose, their numbers go to POST /api/contacts/discover, and
// the Unibox users among them are listed with Add. The numbers live only in this request
// and in the in-memory matches (Add sends the number back); nothing here is written to
// IndexedDB or localStorage.
import { signal } from "@preact/signals";
import { api, call } from "./api";
import type { User } from "./types";

/** The W3C Contact Picker API (https://w3c.github.io/contact-picker/), which TypeScript's DOM types lack. */
type ContactInfo = { name?: string[]; tel?: string[] };
type ContactsManager = { select(properties: ("name" | "tel")[], options?: { multiple?: boolean }): Promise<ContactInfo[]> };

/** The route takes at most this many numbers per request (`discoverBody`). */
const BATCH = 1000;

export type DiscoveredContact = { number: string; name: string; user: User; friend: boolean };
export type Discovery = { state: "idle" } | { state: "busy" } | { state: "done"; matches: DiscoveredContact[] } | { state: "failed"; error: unknown };

export const discovery = signal<Discovery>({ state: "idle" });

/** Feature detection, read at render: desktop browsers and iOS have no picker, so there is no button. */
export function canPickContacts(): boolean {
  return typeof navigator !== "undefined" && "contacts" in navigator && typeof window !== "undefined" && "ContactsManager" in window;
}

/** Opens the picker, then asks the server which picked numbers are on Unibox. */
export async function discoverFromContacts(): Promise<void> {
  const picker = (navigator as Navigator & { contacts: ContactsManager }).contacts;
  discovery.value = { state: "busy" };
  try {
    const picked = await picker.select(["name", "tel"], { multiple: true });
    const names = namesByNumber(picked);
    if (names.size === 0) {
      discovery.value = { state: "idle" }; // cancelled, or nobody with a number
      return;
    }
    discovery.value = { state: "done", matches: await lookUp(names) };
  } catch (error) {
    discovery.value = { state: "failed", error };
  }
}

/** Every picked number once (trimmed, as the server echoes it), with the first contact name that had it. */
function namesByNumber(picked: ContactInfo[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const contact of picked) {
    for (const tel of contact.tel ?? []) {
      const number = tel.trim();
      if (number && !names.has(number)) names.set(number, contact.name?.find((n) => n.trim())?.trim() ?? "");
    }
  }
  return names;
}

async function lookUp(names: Map<string, string>): Promise<DiscoveredContact[]> {
  const numbers = [...names.keys()];
  const found: DiscoveredContact[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < numbers.length; i += BATCH) {
    const { matches } = await call(api.api.contacts.discover.$post({ json: { numbers: numbers.slice(i, i + BATCH) } }));
    for (const m of matches) {
      if (seen.has(m.user.id)) continue;
      seen.add(m.user.id);
      found.push({ number: m.number, name: names.get(m.number) || m.user.displayName, user: m.user, friend: m.friend });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
