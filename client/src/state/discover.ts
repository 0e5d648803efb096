// Friends from the phone's address book: the Contact Picker API (Chrome on Android) hands
// over the contacts the user chose — or, everywhere else, a vCard/CSV file or pasted
// numbers do (contacts-file.ts) — their numbers go to POST /api/contacts/discover with the
// region that numbers without a country code are read in, and the Unibox users among them
// are listed with Add. The numbers live only in this request and in the in-memory matches
// (Add sends the number back); nothing here is written to IndexedDB or localStorage.
import { signal } from "@preact/signals";
import { api, call } from "./api";
import { type Contact, MAX_NUMBERS } from "./contacts-file";
import type { User } from "./types";

/** The W3C Contact Picker API (https://w3c.github.io/contact-picker/), which TypeScript's DOM types lack. */
type ContactInfo = { name?: string[]; tel?: string[] };
type ContactsManager = { select(properties: ("name" | "tel")[], options?: { multiple?: boolean }): Promise<ContactInfo[]> };

/** The route takes at most this many numbers per request (`discoverBody`). */
const BATCH = 1000;

export type DiscoveredContact = { number: string; name: string; user: User; friend: boolean };
/** Where the contacts came from: the picker card and the import card each show their own result. */
export type DiscoverySource = "picker" | "import";
export type Discovery =
  | { state: "idle" }
  | { state: "busy"; from: DiscoverySource }
  | { state: "done"; from: DiscoverySource; matches: DiscoveredContact[]; checked: number }
  | { state: "failed"; from: DiscoverySource; error: unknown };

export const discovery = signal<Discovery>({ state: "idle" });

/** Feature detection, read at render: desktop browsers and iOS have no picker, so there is no button. */
export function canPickContacts(): boolean {
  return typeof navigator !== "undefined" && "contacts" in navigator && typeof window !== "undefined" && "ContactsManager" in window;
}

/** Opens the picker, then asks the server which picked numbers are on Unibox. */
export async function discoverFromContacts(region?: string): Promise<void> {
  const picker = (navigator as Navigator & { contacts: ContactsManager }).contacts;
  discovery.value = { state: "busy", from: "picker" };
  try {
    const picked = await picker.select(["name", "tel"], { multiple: true });
    const names = namesByNumber(picked.map((c) => ({ name: c.name?.find((n) => n.trim()) ?? "", tels: c.tel ?? [] })));
    if (names.size === 0) {
      discovery.value = { state: "idle" }; // cancelled, or nobody with a number
      return;
    }
    discovery.value = { state: "done", from: "picker", matches: await lookUp(names, region), checked: names.size };
  } catch (error) {
    discovery.value = { state: "failed", from: "picker", error };
  }
}

/** The same lookup for contacts read from a file or pasted; `region` reads numbers without a country code. */
export async function discoverContacts(contacts: Contact[], region: string | undefined): Promise<void> {
  const names = namesByNumber(contacts);
  discovery.value = { state: "busy", from: "import" };
  try {
    discovery.value = { state: "done", from: "import", matches: names.size ? await lookUp(names, region) : [], checked: names.size };
  } catch (error) {
    discovery.value = { state: "failed", from: "import", error };
  }
}

/** Every number once (trimmed, as the server echoes it), with the first contact name that had it. */
function namesByNumber(contacts: Contact[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const contact of contacts) {
    for (const tel of contact.tels) {
      const number = tel.trim().slice(0, 40);
      if (number && !names.has(number) && names.size < MAX_NUMBERS) names.set(number, contact.name.trim());
    }
  }
  return names;
}

async function lookUp(names: Map<string, string>, region: string | undefined): Promise<DiscoveredContact[]> {
  const numbers = [...names.keys()];
  const found: DiscoveredContact[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < numbers.length; i += BATCH) {
    const { matches } = await call(api.api.contacts.discover.$post({ json: { numbers: numbers.slice(i, i + BATCH), ...(region ? { region } : {}) } }));
    for (const m of matches) {
      if (seen.has(m.user.id)) continue;
      seen.add(m.user.id);
      found.push({ number: m.number, name: names.get(m.number) || m.user.displayName, user: m.user, friend: m.friend });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
