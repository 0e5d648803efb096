// A group conversation on screen: sender names on the first bubble of each run, who has
// read own messages, join/leave notices, and no composer (a clear banner) once ended or left.
import { render, screen } from "@testing-library/preact";
import { LocationProvider, Route, Router } from "preact-iso";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLocale } from "../i18n";
import { conversations } from "../state/conversations";
import { wipe } from "../state/db";
import { type ClientGroup, groups } from "../state/groups";
import { resetOutboxState } from "../state/outbox";
import { me } from "../state/session";
import { resetSyncState } from "../state/sync";
import { threadOf } from "../state/threads";
import type { StoredMessage } from "../state/types";
import Conversation from "./conversation";

const user = (id: string, name: string) => ({ id, handle: name.toLowerCase(), address: `${name.toLowerCase()}@x`, displayName: name });
const [alice, bob, carol] = [user("u_a", "Alice"), user("u_b", "Bob"), user("u_c", "Carol")];
const conv = "g:g_1";
const t0 = new Date("2026-11-20T10:00:00").getTime();
const group: ClientGroup = {
  id: "g_1", conv, name: "Hike", owner: "u_a", members: [alice, bob], ttlHours: 24, createdAt: t0, endedAt: null, endReason: null,
  past: [carol], notices: [{ at: t0 + 5000, kind: "left", user: "u_c" }],
};
const text = (id: string, from: string, at: number, extra: Partial<StoredMessage> = {}): StoredMessage => ({ id, conv, from, source: "unibox", body: { type: "text", text: id }, at, ...extra });

function renderConv() {
  history.replaceState(null, "", `/chat/${encodeURIComponent(conv)}`);
  return render(
    <LocationProvider>
      <Routes />
    </LocationProvider>,
  );
}

function Routes() {
  return (
    <Router>
      <Route path="/chat/:conv" component={Conversation} />
      <Route default component={() => <p>elsewhere</p>} />
    </Router>
  );
}

describe("group conversation", () => {
  beforeEach(async () => {
    setLocale("en");
    await wipe();
    resetSyncState();
    resetOutboxState();
    me.value = alice;
    groups.value = { g_1: group };
    conversations.value = [{ id: conv, kind: "group", group: "g_1", source: "unibox", title: "Hike", last: null, unread: 0 }];
    threadOf(conv).value = {
      loaded: true, loadingOlder: false, before: null,
      messages: [
        text("hello all", "u_a", t0, { state: "read", readBy: ["u_b", "u_c"] }),
        text("hi Alice", "u_b", t0 + 1000),
        text("me too", "u_b", t0 + 2000),
        text("bye", "u_c", t0 + 3000),
      ],
    };
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("offline in unit tests"));
    globalThis.IntersectionObserver = class { observe() {} disconnect() {} } as unknown as typeof IntersectionObserver;
    HTMLElement.prototype.scrollTo = () => undefined;
  });
  afterEach(() => vi.restoreAllMocks());

  const bubble = (id: string) => document.querySelector(`[data-msg="${id}"]`)!;

  it("names senders once per run, says who has read, shows notices, and lets members write", async () => {
    renderConv();
    await screen.findByText("hi Alice");
    expect(screen.getByRole("heading", { name: "Hike" })).toBeTruthy();
    expect(screen.getByText("2 members")).toBeTruthy();
    expect(bubble("hi Alice").querySelector(".sender")?.textContent).toBe("Bob");
    expect(bubble("me too").querySelector(".sender")).toBeNull();
    // A member who left keeps their name on what they said.
    expect(bubble("bye").querySelector(".sender")?.textContent).toBe("Carol");
    expect(bubble("hello all").querySelector(".sender")).toBeNull();
    // Bob read it, and so did Carol before she left: everyone it went to.
    expect(bubble("hello all").querySelector(".read-by")?.textContent).toBe("Read by everyone");
    expect(bubble("hello all").getAttribute("data-state")).toBe("read");
    expect(document.querySelector("[data-notice=left]")?.textContent).toBe("Carol left");
    expect(screen.getByLabelText("Write a message")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Group info" }).getAttribute("href")).toBe("/group/g_1");
  });

  it("is read-only with a banner once the group has ended", async () => {
    conversations.value = [{ ...conversations.value[0]!, ended: "ttl" }];
    renderConv();
    const banner = await screen.findByText("This group ended after a quiet spell. It is read-only.");
    expect(banner.getAttribute("data-readonly")).toBe("ended");
    expect(screen.queryByLabelText("Write a message")).toBeNull();
  });

  it("is read-only for a member who left", async () => {
    groups.value = { g_1: { ...group, left: true } };
    renderConv();
    await screen.findByText("You left this group. It is read-only.");
    expect(screen.queryByLabelText("Write a message")).toBeNull();
  });
});
