import { t } from "../i18n";
import type { Body } from "../state/types";
import { isNativeSource } from "../../../core/conversation";
import { accountById, accountsLoaded } from "../state/accounts";
import { NETWORKS } from "./networks";
import { splitQuote } from "./quote";

/** One line of text for a message body, for lists and notifications. */
export function previewOf(body: Body): string {
  switch (body.type) {
    case "text":
      return splitQuote(body.text).rest;
    case "location":
      return body.label ? `${t("body.location")} · ${body.label}` : t("body.location");
    case "email":
      return t("body.email", { subject: body.subject });
    default: {
      const kind = body.type === "image" ? t("body.picture") : body.type === "audio" ? t("body.voice") : body.type === "video" ? t("body.video") : t("body.media");
      return body.caption ? `${kind} · ${body.caption}` : kind;
    }
  }
}

/** A source by name: Unibox, or a bound account's label (what the filter chips say). */
export function sourceName(source: string): string {
  if (isNativeSource(source)) return t("source.unibox");
  return accountById(source)?.label ?? (accountsLoaded.value ? t("conv.removedAccount") : "…");
}

/** A row's badge: the network's short name (and, for the screen reader, the account's label). */
export function sourceBadge(source: string): { text: string; label: string; network?: string } {
  if (isNativeSource(source)) return { text: t("source.unibox"), label: t("source.unibox") };
  const account = accountById(source);
  if (!account) return accountsLoaded.value ? { text: t("conv.removedAccount"), label: t("conv.removedAccount") } : { text: "…", label: "…" };
  const network = NETWORKS[account.network]?.name ?? account.network;
  return { text: NETWORKS[account.network]?.badge ?? network, label: t("chats.account", { network, label: account.label }), network: account.network };
}
