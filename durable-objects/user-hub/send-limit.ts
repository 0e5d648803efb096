// Sends per user are limited (a token bucket in memory: no storage on the hot path), so one
// account cannot flood its friends' hubs. A refused send gets `rate_limited` with a retry hint;
// the client's outbox keeps it and tries again.
import { parseLimit } from "../../worker/auth/rate-limit";
import { Refused } from "./context";

export class SendLimit {
  private tokens: number;
  private at = Date.now();

  constructor(private spec: () => string | undefined) {
    this.tokens = this.limit().count;
  }

  private parsed?: { spec: string; count: number; perMs: number };

  /** Parsed again only when the setting changed: every send asks. */
  private limit(): { count: number; perMs: number } {
    const spec = this.spec() ?? DEFAULT;
    if (this.parsed?.spec === spec) return this.parsed;
    const { limit, seconds } = parseLimit(spec);
    this.parsed = { spec, count: limit, perMs: (seconds * 1000) / limit };
    return this.parsed;
  }

  /** Takes one send from the bucket, or refuses with how long until the next one is there. */
  take(): void {
    const { count, perMs } = this.limit();
    const now = Date.now();
    this.tokens = Math.min(count, this.tokens + (now - this.at) / perMs);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return;
    }
    const retryAfterMs = Math.ceil((1 - this.tokens) * perMs);
    throw new Refused("rate_limited", `too many messages; try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs);
  }
}

/** Bursts of 300 (a long offline outbox), then 5 a second: far above a person, far below a flood. */
const DEFAULT = "300/60";
