// When the signed-in person changes under a running page (another tab signed in as
// someone else, or a login planted by another site), nothing of the previous person
// stays on the device: no messages, no queued sends.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { db, kv, wipe } from "./db";
import { confirmSession, me, signedIn } from "./session";
import type { User } from "./types";

const ann: User = { id: "u_ann", handle: "ann", address: "ann@x", displayName: "Ann" };
const bob: User = { id: "u_bob", handle: "bob", address: "bob@x", displayName: "Bob" };

function serveMe(user: User) {
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(JSON.stringify({ user }), { status: 200, headers: { "content-type": "application/json" } }));
}

async function annHasData() {
  await signedIn(ann);
  const d = await db();
  await d.put("outbox", { id: "c-1", conv: "d:u_ann:u_x", to: "u_x", body: { type: "text", text: "for x" }, createdAt: 1 } as never);
  await d.put("messages", { id: "m_1", conv: "d:u_ann:u_x", from: "u_x", source: "unibox", body: { type: "text", text: "secret" }, at: 1 } as never);
}

beforeEach(async () => {
  await wipe();
  localStorage.clear();
});
afterEach(() => vi.restoreAllMocks());

describe("the signed-in user changing", () => {
  it("wipes the device when the session turns out to be someone else's", async () => {
    await annHasData();
    serveMe(bob);
    await confirmSession();
    const d = await db();
    // Before, the page carried on with Ann's messages and queued sends under Bob's session.
    expect(await d.getAll("outbox")).toEqual([]);
    expect(await d.getAll("messages")).toEqual([]);
    expect(await kv.get("me")).toEqual(bob);
  });

  it("keeps everything when it is the same person", async () => {
    await annHasData();
    serveMe({ ...ann, displayName: "Ann L." });
    await confirmSession();
    expect(await (await db()).getAll("outbox")).toHaveLength(1);
    expect(me.value?.displayName).toBe("Ann L.");
  });

  it("tells the other tabs who is signed in", async () => {
    await signedIn(ann);
    expect(localStorage.getItem("unibox.user")).toBe("u_ann");
  });
});
