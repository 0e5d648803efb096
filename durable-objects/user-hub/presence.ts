// Online and offline: the first socket brings the user online, the grace period after the
// last one takes them offline. Friends are told through the outbox; features that hold
// something only while the user is here (account links) hook in with `onChange`.
import type { HubEvent, User } from "../../core/protocol";
import { hubOf } from "../stubs";
import type { Hub } from "./context";
import type { Presence as PresenceMap } from "./store/friends";

type PresenceInput = { user: string; online: boolean; at: number };

export class Presence {
  private hooks: ((online: boolean) => void | Promise<void>)[] = [];

  constructor(private hub: Hub) {
    hub.outbox.register("presence", (payload: PresenceInput, row) => hubOf(hub.env, row.peer).receivePresence(payload));
    hub.timers.register("offline", () => this.goOfflineIfStillAway());
  }

  /** Runs when the user comes online (true) or the grace period after the last socket ends (false). */
  onChange(hook: (online: boolean) => void | Promise<void>): void {
    this.hooks.push(hook);
  }

  isOnline(): boolean {
    return this.hub.store.meta.get("online") === "1";
  }

  /** A socket opened. */
  socketOpened(): void {
    this.hub.timers.clear("offline");
    if (this.isOnline()) return;
    this.hub.store.meta.set("online", 1);
    this.changed(true);
  }

  /** The last socket went: offline once the grace period passes with none. */
  lastSocketGone(): void {
    this.hub.timers.set("offline", Date.now() + this.hub.graceMs());
    void this.hub.timers.schedule();
  }

  private goOfflineIfStillAway(): void {
    if (this.hub.hasSocketsOpen() || !this.isOnline()) return;
    this.hub.store.meta.set("online", 0);
    this.changed(false);
  }

  private changed(online: boolean): void {
    const at = Date.now();
    for (const friend of this.hub.store.friends.ids()) this.hub.outbox.enqueue(friend, "presence", { user: this.hub.me, online, at } satisfies PresenceInput);
    this.hub.outbox.flush();
    for (const hook of this.hooks) {
      void Promise.resolve()
        .then(() => hook(online))
        .catch((err) => this.hub.log("error", "presence.hook_failed", { online }, err));
    }
  }

  // ---- the friend set (cached from D1; no frame reads D1) ----------------------------

  /** Called by the Worker before it hands over a socket: the profile and friend set from D1. */
  syncProfile(profile: User, friends: { user: User; since: number }[]): void {
    this.hub.store.meta.set("user", this.hub.me);
    this.hub.store.meta.set("profile", JSON.stringify(profile));
    this.hub.store.friends.replace(friends);
  }

  friendAdded(user: User, since: number, event?: HubEvent): void {
    this.hub.store.friends.put(user, since);
    if (event) this.hub.events.append(event);
    // Tell the new friend whether we are here right now.
    if (this.hub.hasSocketsOpen()) {
      this.hub.outbox.enqueue(user.id, "presence", { user: this.hub.me, online: true, at: Date.now() } satisfies PresenceInput);
      this.hub.outbox.flush();
    }
  }

  friendRemoved(userId: string): void {
    this.hub.store.friends.remove(userId);
    this.hub.events.append({ type: "friend.removed", user: userId });
  }

  receive(input: PresenceInput): void {
    if (!this.hub.store.friends.has(input.user)) return;
    this.hub.store.friends.setPresence(input.user, input.online, input.at);
    this.hub.events.append({ type: "presence", ...input });
  }

  list(): PresenceMap {
    return this.hub.store.friends.presence();
  }
}
