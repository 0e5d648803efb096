// Merged contacts (issue 14): people are sets of handles the user confirmed, kept by the hub;
// Unibox proposes merges and the user confirms or dismisses each. The person's view merges
// their conversations by time; a reply goes where they last wrote unless the user switches.
import { signal } from "@preact/signals";
import { api, call } from "./api";
import type { HubEvent } from "./types";
import type { MergeSuggestion, Person, PersonHandle, StoredMessage } from "../../../core/protocol";

export type { MergeSuggestion, Person, PersonHandle };

export const people = signal<Person[]>([]);
export const suggestions = signal<MergeSuggestion[]>([]);

export const personById = (id: string): Person | undefined => people.value.find((p) => p.id === id);

/** The person a conversation belongs to, if any. */
export const personOfConv = (conv: string): Person | undefined => people.value.find((p) => p.handles.some((h) => h.conv === conv));

export async function refreshPeople(): Promise<void> {
  const [{ people: list }, { suggestions: proposed }] = await Promise.all([call(api.api.people.$get()), call(api.api.people.suggestions.$get())]);
  people.value = list;
  suggestions.value = proposed;
}

export async function mergePeople(handles: PersonHandle[], name?: string, suggestion?: string): Promise<Person> {
  const { person } = await call(api.api.people.$post({ json: { handles, ...(name ? { name } : {}), ...(suggestion ? { suggestion } : {}) } }));
  upsert(person);
  suggestions.value = suggestions.value.filter((s) => s.key !== suggestion);
  return person;
}

export async function dismissSuggestion(key: string): Promise<void> {
  await call(api.api.people.suggestions.dismiss.$post({ json: { key } }));
  suggestions.value = suggestions.value.filter((s) => s.key !== key);
}

/** Takes handles out of a person; none named: the whole person goes back to its conversations. */
export async function splitPerson(id: string, handles?: PersonHandle[]): Promise<Person | null> {
  const { person } = await call(api.api.people[":id"].split.$post({ param: { id }, json: handles ? { handles } : {} }));
  if (person) upsert(person);
  else people.value = people.value.filter((p) => p.id !== id);
  return person;
}

export async function personPage(id: string, before?: string): Promise<{ person: Person; messages: StoredMessage[]; before?: string }> {
  return call(api.api.people[":id"].messages.$get({ param: { id }, query: before ? { before } : {} }));
}

function upsert(p: Person): void {
  people.value = [...people.value.filter((x) => x.id !== p.id), p].sort((a, b) => a.createdAt - b.createdAt);
}

/** person.updated / person.removed from the socket; returns whether it was one. */
export function applyPeopleEvent(ev: HubEvent): boolean {
  if (ev.type === "person.updated") upsert(ev.person);
  else if (ev.type === "person.removed") people.value = people.value.filter((p) => p.id !== ev.person);
  else return false;
  return true;
}
