// When a polled account is polled next: the network's own wait when it said one, else the
// connector's cadence for an owner online or away.
import type { Connector } from "../../worker/connectors/types";

const DEFAULT_EVERY = { online: 60_000, away: 120_000 };

export function nextPollAt(connector: Connector<unknown>, wanted: "open" | "closed", told: number | undefined, override: string | undefined, now = Date.now()): number {
  const every = connector.pollEvery ?? DEFAULT_EVERY;
  // POLL_EVERY_MS (tests, local development) shortens the cadence; a network's own wait still wins.
  const cadence = override ? Number(override) : wanted === "open" ? every.online : every.away;
  return now + (told ?? cadence);
}
