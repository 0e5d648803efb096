// The client's state layer wired to a FakeSocket, as the state tests drive it.
import { expect, vi } from "vitest";
import { startConnection } from "../src/state/connection";
import { wipe } from "../src/state/db";
import { resetOutboxState } from "../src/state/outbox";
import { me } from "../src/state/session";
import { currentCursor, handleFrame, resetSyncState, settled } from "../src/state/sync";
import type { User } from "../src/state/types";
import { FakeSocket } from "./fake-socket";

export const alice: User = { id: "u_a", handle: "alice", address: "alice@x", displayName: "Alice" };

/** A signed-in user with nothing stored and no network (HTTP refreshes fail as offline). */
export async function resetClient(user: User = alice): Promise<void> {
  FakeSocket.all = [];
  await wipe();
  resetSyncState();
  resetOutboxState();
  me.value = user;
  vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("offline in unit tests"));
}

/**
 * Starts the connection on a FakeSocket and opens it. With `ready` (the hub's head) the
 * hub's `ready` is delivered too; `resume` defaults to the stored cursor.
 */
export async function connectFake({ ready, resume = () => currentCursor() }: { ready?: number; resume?: () => number } = {}): Promise<FakeSocket> {
  startConnection({ url: "ws://t", resume, onFrame: (f) => void handleFrame(f), WebSocketImpl: FakeSocket as unknown as typeof WebSocket, random: () => 0 });
  await vi.waitFor(() => expect(FakeSocket.all.length).toBeGreaterThan(0));
  const sock = FakeSocket.last;
  sock.open();
  if (ready !== undefined) {
    sock.deliver({ t: "ready", head: ready });
    await settled();
  }
  return sock;
}
