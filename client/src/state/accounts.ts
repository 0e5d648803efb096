// The user's bound accounts (XMPP, IRC, Matrix, mail, social…), their live states and
// buddy lists. Kept in signals; account.* events from the socket keep them current.
import { computed, signal } from "@preact/signals";
import { api, call } from "./api";
import { kv } from "./db";
import type { Account, HubEvent, RemoteContact } from "./types";

export const accounts = signal<Account[]>([]);
export const accountsLoaded = signal(false);
/** Account id → its buddy list, as last told. */
export const accountContacts = signal<Record<string, RemoteContact[]>>({});

export const accountById = (id: string): Account | undefined => accounts.value.find((a) => a.id === id);

/** Sources the chat list can filter by: Unibox plus each bound account. */
export const accountSources = computed(() => accounts.value.map((a) => ({ id: a.id, label: a.label, network: a.network })));

export async function refreshAccounts(): Promise<void> {
  const { accounts: list } = await call(api.api.accounts.$get());
  accounts.value = list;
  accountsLoaded.value = true;
  save();
}

/** The list as this device last knew it, so badges and chips are right before the network answers. */
export async function restoreAccounts(): Promise<void> {
  const known = await kv.get<Account[]>("accounts");
  if (known && !accountsLoaded.value) accounts.value = known;
}

function save(): void {
  void kv.set("accounts", accounts.value).catch(() => undefined);
}

/** A network's bind form: the JSON Schema of its credential fields. */
export type NetworkForm = { network: string; credentials: JsonSchema };
export type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema; enum?: unknown[]; default?: unknown; description?: string; format?: string };

export async function networkForms(): Promise<NetworkForm[]> {
  const { networks } = await call(api.api.accounts.networks.$get());
  return networks as NetworkForm[];
}

export async function bindAccount(network: Account["network"], credentials: Record<string, unknown>, label?: string): Promise<Account> {
  const { account } = await call(api.api.accounts.$post({ json: { network, credentials, ...(label?.trim() ? { label: label.trim() } : {}) } }));
  upsert(account);
  return account;
}

export async function reenterCredentials(id: string, credentials: Record<string, unknown>): Promise<void> {
  await call(api.api.accounts[":id"].credentials.$put({ param: { id }, json: { credentials } }));
}

export async function removeAccount(id: string): Promise<void> {
  await call(api.api.accounts[":id"].$delete({ param: { id } }));
  accounts.value = accounts.value.filter((a) => a.id !== id);
}

export async function loadContacts(id: string): Promise<RemoteContact[]> {
  const { contacts } = await call(api.api.accounts[":id"].contacts.$get({ param: { id } }));
  accountContacts.value = { ...accountContacts.value, [id]: contacts };
  return contacts;
}

function upsert(account: Account): void {
  const rest = accounts.value.filter((a) => a.id !== account.id);
  accounts.value = [...rest, account].sort((a, b) => a.createdAt - b.createdAt);
}

/** Applies an account.* event; returns whether it was one. */
export function applyAccountEvent(ev: HubEvent): boolean {
  const applied = applyOne(ev);
  if (applied && ev.type !== "account.contacts") save();
  return applied;
}

function applyOne(ev: HubEvent): boolean {
  switch (ev.type) {
    case "account.bound":
      upsert(ev.account);
      return true;
    case "account.status": {
      const known = accountById(ev.account);
      if (known) upsert({ ...known, state: ev.state, message: ev.message, ...(ev.action ? { action: ev.action } : { action: undefined }) });
      return true;
    }
    case "account.removed":
      accounts.value = accounts.value.filter((a) => a.id !== ev.account);
      return true;
    case "account.contacts":
      accountContacts.value = { ...accountContacts.value, [ev.account]: ev.contacts };
      return true;
    default:
      return false;
  }
}
