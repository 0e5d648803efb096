// The ONE place that maps a network's name to its connector. Nothing else in Unibox names a
// network (test/unit/architecture.test.ts fails when something does).
import type { Network } from "../../core/protocol";
import { bluesky } from "./bluesky";
import { feed } from "./feed";
import { irc } from "./irc";
import { mail } from "./mail";
import { mastodon } from "./mastodon";
import { matrix } from "./matrix";
import { telegram } from "./telegram";
import type { Connector } from "./types";
import { xmpp } from "./xmpp";

const connectors: Partial<Record<Network, Connector<any>>> = { xmpp, irc, matrix, telegram, mail, mastodon, bluesky, feed };

/** The connector for a network, or undefined when this server has none for it. */
export function connectorFor(network: Network): Connector<unknown> | undefined {
  return connectors[network];
}

/** The networks this server can bind. */
export const boundNetworks = (): Network[] => Object.keys(connectors) as Network[];
