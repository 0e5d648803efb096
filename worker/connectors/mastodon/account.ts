// Who the account is and what its instance allows, kept in io.store: read at verify and
// again whenever the store lacks them (a store used only for verifying is thrown away).
import { originOf } from "../social/http";
import type { LinkIO } from "../types";
import { type Account, type Creds, api } from "./api";

export type Me = { id: string; acct: string; address: string; name: string };
export type InstanceLimits = { maxChars: number; urlChars: number; maxMedia: number; host: string };

/** The instance's defaults when it does not say (Mastodon's own, as of 4.x). */
const DEFAULTS = { maxChars: 500, urlChars: 23, maxMedia: 4 };

export async function me(creds: Creds, io: LinkIO): Promise<Me> {
  const known = io.store.get<Me>("me");
  if (known) return known;
  const { body } = await api<Account>(creds, io, "/api/v1/accounts/verify_credentials");
  const value = { id: body.id, acct: body.acct, address: addressOf(body.acct, creds), name: body.display_name || body.username };
  io.store.put("me", value);
  return value;
}

export async function limits(creds: Creds, io: LinkIO): Promise<InstanceLimits> {
  const known = io.store.get<InstanceLimits>("instance");
  if (known) return known;
  type V2 = { domain?: string; configuration?: { statuses?: { max_characters?: number; characters_reserved_per_url?: number; max_media_attachments?: number } } };
  const { body } = await api<V2>(creds, io, "/api/v2/instance");
  const s = body.configuration?.statuses ?? {};
  const value = {
    maxChars: s.max_characters ?? DEFAULTS.maxChars,
    urlChars: s.characters_reserved_per_url ?? DEFAULTS.urlChars,
    maxMedia: s.max_media_attachments ?? DEFAULTS.maxMedia,
    host: new URL(originOf(creds.instance)).host,
  };
  io.store.put("instance", value);
  return value;
}

/** "@user@domain" for anyone: a local account's acct has no domain, so it gets the instance's. */
export function addressOf(acct: string, creds: Creds): string {
  return acct.includes("@") ? `@${acct}` : `@${acct}@${new URL(originOf(creds.instance)).host}`;
}

/** What to write in a status to mention an address: the bare name for a local account. */
export function mentionOf(address: string, host: string): string {
  const [, user, domain] = /^@?([^@]+)@?(.*)$/.exec(address) ?? [];
  return domain && domain !== host ? `@${user}@${domain}` : `@${user}`;
}

export const nameOf = (a: Account): string => a.display_name || a.username;
