// What the link tells the owner's hub about the account's state: only changes, and a short
// drop not at all. A transient_disconnect is held for ACCOUNT_BLIP_SECONDS (default 90): if the
// session is back by then the user never sees the blip (bridge-state practice, as mautrix).
import type { StateReport } from "../../worker/connectors/types";

export type Reported = StateReport & { at: number };

export class StateReporter {
  constructor(
    private read: () => Reported | undefined,
    private write: (r: Reported) => void,
    private send: (r: StateReport) => Promise<void>,
    private blipMs: () => number,
    private setTimer: (kind: string, due: number | null) => void,
  ) {}

  current(): StateReport {
    return this.read() ?? { state: "connecting", message: "connecting" };
  }

  /** Reports a change at once; a transient drop only once it has lasted the blip window. */
  async report(next: StateReport): Promise<void> {
    if (next.state === "transient_disconnect" && this.current().state === "connected") {
      this.pending = next;
      this.setTimer("blip", Date.now() + this.blipMs());
      return;
    }
    this.pending = undefined;
    this.setTimer("blip", null);
    await this.publish(next);
  }

  /** The blip window ended with the session still down: now the user sees it. */
  async blipOver(): Promise<void> {
    const pending = this.pending ?? { state: "transient_disconnect" as const, message: "the connection dropped; reconnecting" };
    this.pending = undefined;
    await this.publish(pending);
  }

  private pending: StateReport | undefined;

  private async publish(next: StateReport): Promise<void> {
    const now = this.read();
    if (now && now.state === next.state && now.message === next.message && now.action === next.action) return;
    this.write({ ...next, at: Date.now() });
    await this.send(next);
  }
}
