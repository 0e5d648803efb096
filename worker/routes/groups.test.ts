// What `GET /api/groups` shows a member who left: the group as it was when they left.
import { describe, expect, it } from "vitest";
import { api, befriend, register } from "../test/helpers";

const ids = (group: { members: { id: string }[] }) => group.members.map((m) => m.id).sort();

describe("a group you left", () => {
  it("shows the members as they were right after you left, not who joined or left since, nor a later end", async () => {
    const [owner, bob, carol, dave] = [await register("gown"), await register("gbob"), await register("gcarol"), await register("gdave")];
    for (const f of [bob, carol, dave]) await befriend(owner, f);
    const created = await api("/api/groups", { method: "POST", token: owner.token, json: { name: "Hike", members: [bob.user.id, carol.user.id] } });
    const id = created.data.group.id;
    expect((await api(`/api/groups/${id}/members/me`, { method: "DELETE", token: bob.token })).status).toBe(200);
    // After Bob left: Dave joins, Carol leaves, the owner ends the group.
    expect((await api(`/api/groups/${id}/members`, { method: "POST", token: owner.token, json: { members: [dave.user.id] } })).status).toBe(200);
    expect((await api(`/api/groups/${id}/members/me`, { method: "DELETE", token: carol.token })).status).toBe(200);
    expect((await api(`/api/groups/${id}`, { method: "DELETE", token: owner.token })).status).toBe(200);

    const mine = async (token: string) => (await api("/api/groups", { token })).data.groups.find((g: { id: string }) => g.id === id);
    const asBob = await mine(bob.token);
    // Before, Bob saw the live list: Dave (whom he never met there) and not Carol's leaving.
    expect(asBob).toMatchObject({ left: true, endedAt: null, endReason: null });
    expect(ids(asBob)).toEqual([owner.user.id, carol.user.id].sort());
    const asCarol = await mine(carol.token);
    expect(ids(asCarol)).toEqual([owner.user.id, dave.user.id].sort());
    expect(asCarol.endedAt).toBeNull();
    // Those still in it see the group as it is.
    const asDave = await mine(dave.token);
    expect(asDave.left).toBeUndefined();
    expect(ids(asDave)).toEqual([owner.user.id, dave.user.id].sort());
    expect(asDave).toMatchObject({ endReason: "ended", endedAt: expect.any(Number) });
  });
});
