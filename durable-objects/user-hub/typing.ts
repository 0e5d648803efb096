// "Typing…" in 1:1 chats: ephemeral by design. It goes from the typist's socket to the
// peer's open sockets and nowhere else: never in either log, never a Web Push, dropped when
// the peer has no socket. Throttled per conversation so a fast typist costs little.
import { directPeer } from "../../core/conversation";
import { hubOf } from "../stubs";
import { type Hub, Refused } from "./context";
import { isReady, send } from "./socket-io";

/** At most one `active` per conversation this often (clients send one every 3 s while typing). */
const THROTTLE_MS = 1_000;

export class Typing {
  private last = new Map<string, number>();

  constructor(private hub: Hub) {}

  /** From this user's socket: tell the friend on the other side of a 1:1 conversation. */
  async from(conv: string, state: "active" | "paused"): Promise<void> {
    const peer = directPeer(conv, this.hub.me);
    if (!peer || !this.hub.store.friends.has(peer)) throw new Refused("not_found", "no such conversation");
    const now = Date.now();
    if (state === "active" && now - (this.last.get(conv) ?? 0) < THROTTLE_MS) return;
    this.last.set(conv, state === "active" ? now : 0);
    if (this.last.size > 200) this.last.clear();
    await hubOf(this.hub.env, peer).typing({ conv, from: this.hub.me, state });
  }

  /** From the friend's hub: show it on our open sockets, if any. */
  to(input: { conv: string; from: string; state: "active" | "paused" }): void {
    if (!this.hub.store.friends.has(input.from) || directPeer(input.conv, this.hub.me) !== input.from) return;
    for (const ws of this.hub.ctx.getWebSockets()) if (isReady(ws)) send(ws, { t: "typing", ...input });
  }
}
