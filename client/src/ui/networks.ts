// How each network looks in the app: its name and badge. The one client file that names
// networks (the forms come from the server's schemas: GET /api/accounts/networks).
import type { Network } from "../state/types";

export const NETWORKS: Record<Network, { name: string; badge: string }> = {
  xmpp: { name: "XMPP", badge: "XMPP" },
  irc: { name: "IRC", badge: "IRC" },
  matrix: { name: "Matrix", badge: "Matrix" },
  telegram: { name: "Telegram", badge: "TG" },
  mail: { name: "Mail", badge: "Mail" },
  mastodon: { name: "Mastodon", badge: "Masto" },
  bluesky: { name: "Bluesky", badge: "Bsky" },
  feed: { name: "Feed", badge: "Feed" },
};

export const networkName = (n: string): string => NETWORKS[n as Network]?.name ?? n;

/** How a social network words its actions: sharing is a "boost" on Mastodon, a "repost" on Bluesky; a Mastodon reply names whom it answers. */
export const POSTING: Partial<Record<Network, { share: "boost" | "repost"; replyMentions?: boolean }>> = {
  mastodon: { share: "boost", replyMentions: true },
  bluesky: { share: "repost" },
};
export const shareWord = (n: string): "boost" | "repost" => POSTING[n as Network]?.share ?? "boost";
export const replyMentions = (n: string): boolean => POSTING[n as Network]?.replyMentions === true;

/** Field names whose value is a secret: typed as a password, never shown back. */
export const SECRET_FIELDS = new Set(["password", "accessToken", "token", "appPassword"]);
