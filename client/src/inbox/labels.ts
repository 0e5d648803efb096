// How issue 14's screens name a source and a state (the chat list's badges name only Unibox).
import { t } from "../i18n";
import { errorMessage } from "../i18n/errors";
import { accountById } from "../state/accounts";
import { networkName } from "../ui/networks";

/** "Unibox", or a bound account as "Label · Network". */
export function sourceLabel(source: string): string {
  if (source === "unibox") return t("source.unibox");
  const a = accountById(source);
  if (!a) return t("inbox.removedAccount");
  return a.label.toLowerCase() === a.network ? networkName(a.network) : `${a.label} · ${networkName(a.network)}`;
}

export function sourceNetwork(source: string): string {
  return source === "unibox" ? "unibox" : (accountById(source)?.network ?? "unknown");
}

/** An error as a sentence in the user's language (the app's one way, i18n/errors.ts). */
export const failText = (err: unknown): string => errorMessage(err);
