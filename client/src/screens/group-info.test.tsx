// Group info: rename (PATCH /api/groups/:id {name} → {group}) with the server's refusal in
// a sentence, and when the group will end by itself (its lifetime after the last message).
import { fireEvent, render, screen } from "@testing-library/preact";
import { LocationProvider, Route, Router } from "preact-iso";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json, serve } from "../../test/http";
import { setLocale } from "../i18n";
import { conversations } from "../state/conversations";
import { wipe } from "../state/db";
import { type ClientGroup, expiresAt, groups } from "../state/groups";
import { me } from "../state/session";
import GroupInfo from "./group-info";

const user = (id: string, name: string) => ({ id, handle: name.toLowerCase(), address: `${name.toLowerCase()}@x`, displayName: name });
const [alice, bob] = [user("u_a", "Alice"), user("u_b", "Bob")];
const now = Date.now();
const group: ClientGroup = { id: "g_1", conv: "g:g_1", name: "Hike", owner: "u_a", members: [alice, bob], ttlHours: 24, createdAt: now - 5 * 3_600_000, endedAt: null, endReason: null, past: [], notices: [] };

function renderInfo() {
  history.replaceState(null, "", "/group/g_1");
  return render(
    <LocationProvider>
      <Routes />
    </LocationProvider>,
  );
}

function Routes() {
  return (
    <Router>
      <Route path="/group/:id" component={GroupInfo} />
      <Route default component={() => <p>elsewhere</p>} />
    </Router>
  );
}

describe("group info", () => {
  beforeEach(async () => {
    setLocale("en");
    await wipe();
    me.value = alice;
    groups.value = { g_1: group };
    conversations.value = [{ id: "g:g_1", kind: "group", group: "g_1", source: "unibox", title: "Hike", unread: 0, last: { id: "m", from: "u_b", source: "unibox", body: { type: "text", text: "x" }, at: now - 3_600_000 } }];
  });
  afterEach(() => vi.restoreAllMocks());

  it("says when the group ends by itself: a day after the last message, not after its creation", () => {
    expect(expiresAt(group, now - 3_600_000)).toBe(now + 23 * 3_600_000);
    expect(expiresAt(group, undefined)).toBe(group.createdAt + 24 * 3_600_000);
    renderInfo();
    const line = document.querySelector("[data-expires-at]")!;
    expect(Number(line.getAttribute("data-expires-at"))).toBe(now + 23 * 3_600_000);
    expect(line.textContent).toMatch(/^Ends by itself .+ \(in 23 hours\) unless someone writes\.$/);
  });

  it("renames the group and the list follows; a refusal says why", async () => {
    const sent = serve({
      "PATCH /api/groups/g_1": (body) => (body.name === "Nope" ? json(403, { error: { code: "not_owner", message: "only the group's creator can do that" } }) : json(200, { group: { ...group, name: body.name } })),
    });
    renderInfo();
    const field = screen.getByLabelText("Name (optional)");
    fireEvent.input(field, { target: { value: " Sunday hike " } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("status")).textContent).toBe("Name saved.");
    expect(sent).toEqual([{ method: "PATCH", url: "/api/groups/g_1", body: { name: "Sunday hike" } }]);
    expect(groups.value.g_1?.name).toBe("Sunday hike");
    expect(conversations.value[0]?.title).toBe("Sunday hike");
    expect(screen.getByRole("heading", { level: 2, name: "Sunday hike" })).toBeTruthy();

    fireEvent.input(field, { target: { value: "Nope" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Only the person who made the group can do that.");
  });
});
