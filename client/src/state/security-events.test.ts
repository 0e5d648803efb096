// The events issue 8 added, as the client applies them.
import { afterEach, describe, expect, it, vi } from "vitest";
import { incoming, outgoing } from "./friends";
import { me } from "./session";
import { applyEvent } from "./sync";

const user = (id: string) => ({ id, handle: id, address: `${id}@x`, displayName: id });

afterEach(() => vi.restoreAllMocks());

describe("security events", () => {
  it("friend.request.cancelled drops the request from both lists", () => {
    incoming.value = [{ id: "fr_1", from: user("u_a"), message: null, at: 1 }, { id: "fr_2", from: user("u_b"), message: null, at: 2 }];
    outgoing.value = [{ id: "fr_1", to: user("u_c"), message: null, at: 1 }];
    applyEvent({ type: "friend.request.cancelled", request: "fr_1" });
    expect(incoming.value.map((r) => r.id)).toEqual(["fr_2"]);
    expect(outgoing.value).toEqual([]);
  });

  it("phone.moved re-reads the profile, which now says the number is not verified", async () => {
    me.value = { ...user("u_me"), phone: "+14155550100", phoneVerified: true };
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(JSON.stringify({ user: { ...me.value, phoneVerified: false } }), { status: 200, headers: { "content-type": "application/json" } }));
    expect(applyEvent({ type: "phone.moved", at: 1 })).toEqual([]);
    await vi.waitFor(() => expect(me.value?.phoneVerified).toBe(false));
  });
});
