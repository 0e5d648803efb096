// The chat list as a new user meets it: the ticks of an own last message say their state
// to a screen reader and a group's turn read only when everyone has; a long press on a row
// (or a right-click) mutes, archives or deletes it on this phone, and that survives a reload.
import { fireEvent, render, screen, within } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLocale } from "../i18n";
import { chatPrefs, restorePrefs } from "../state/chat-prefs";
import { conversations, conversationsLoaded, sourceFilter, totalUnread } from "../state/conversations";
import { loadSnapshot, wipe } from "../state/db";
import { groups } from "../state/groups";
import { me } from "../state/session";
import type { ConversationSummary } from "../state/types";
import { LONG_PRESS_MS } from "../ui/long-press";
import { Chats } from "./chats";

const user = (id: string, name: string) => ({ id, handle: id, address: `${id}@x`, displayName: name });
const direct = (id: string, title: string, at: number, extra: Partial<ConversationSummary> = {}, last: Partial<NonNullable<ConversationSummary["last"]>> = {}): ConversationSummary => ({
  id, kind: "direct", source: "unibox", title, peer: user(`p_${id}`, title), unread: 0,
  last: { id: `m_${id}`, from: `p_${id}`, source: "unibox", body: { type: "text", text: `from ${title}` }, at, ...last } as ConversationSummary["last"],
  ...extra,
});
const rowOf = (id: string) => document.querySelector<HTMLElement>(`a.row[data-conv="${id}"]`);

describe("chat list basics", () => {
  beforeEach(async () => {
    setLocale("en");
    await wipe();
    restorePrefs({});
    me.value = user("u_me", "Me");
    sourceFilter.value = null;
    conversationsLoaded.value = true;
    groups.value = {};
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("labels the ticks of an own last message, and shows a group's as read only when every member has read", async () => {
    groups.value = {
      g_1: { id: "g_1", conv: "g:g_1", name: "Hike", owner: "u_me", members: [user("u_me", "Me"), user("u_b", "Bo"), user("u_c", "Cy")], ttlHours: 24, createdAt: 0, endedAt: null, endReason: null, past: [], notices: [] },
    };
    conversations.value = [
      direct("a", "Ann", 3, {}, { from: "u_me", state: "read" }),
      direct("b", "Ben", 2, {}, { from: "u_me", state: "delivered" }),
      { id: "g:g_1", kind: "group", group: "g_1", source: "unibox", title: "Hike", unread: 0, last: { id: "m_g", from: "u_me", source: "unibox", body: { type: "text", text: "go" }, at: 1, state: "read", readBy: ["u_b"] } },
    ];
    render(<Chats />);
    const state = (id: string) => rowOf(id)!.querySelector(".state")!;
    expect(state("a").getAttribute("data-state")).toBe("read");
    expect(within(rowOf("a")!).getByText("Read")).toBeTruthy();
    expect(state("a").querySelector("svg")!.getAttribute("class")).toContain("ticks-read");
    expect(within(rowOf("b")!).getByText("Delivered")).toBeTruthy();
    expect(state("g:g_1").getAttribute("data-state")).toBe("delivered");
    // Cy leaves without reading: everyone still in it has read.
    groups.value = { g_1: { ...groups.value.g_1!, members: [user("u_me", "Me"), user("u_b", "Bo")] } };
    await vi.waitFor(() => expect(state("g:g_1").getAttribute("data-state")).toBe("read"));
  });

  it("opens the row menu on a long press without opening the chat, and mutes, archives and deletes on this phone", async () => {
    conversations.value = [direct("a", "Ann", 3, { unread: 2 }), direct("b", "Ben", 2, { unread: 1 }), direct("c", "Cy", 1)];
    render(<Chats />);
    expect(totalUnread.value).toBe(3);

    // A finger held still on Ann's row.
    vi.useFakeTimers();
    const row = rowOf("a")!;
    fireEvent.pointerDown(row, { pointerType: "touch", clientX: 10, clientY: 10 });
    vi.advanceTimersByTime(LONG_PRESS_MS);
    fireEvent.pointerUp(row, { pointerType: "touch" });
    // The lifted finger makes no click (it would land on the menu's backdrop and close it).
    const lift = new Event("touchend", { bubbles: true, cancelable: true });
    row.dispatchEvent(lift);
    expect(lift.defaultPrevented).toBe(true);
    vi.useRealTimers();
    const click = new MouseEvent("click", { bubbles: true, cancelable: true });
    row.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true); // the lifted finger does not open the chat
    const menu = await screen.findByRole("dialog", { name: "Ann" });
    fireEvent.click(within(menu).getByRole("button", { name: "Mute" }));
    await vi.waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(rowOf("a")!.getAttribute("data-muted")).toBe("true");
    expect(within(rowOf("a")!).getByLabelText("Muted")).toBeTruthy();
    expect(totalUnread.value).toBe(1); // a muted chat keeps its count but leaves the tab badge

    // A finger that moves is scrolling, not holding.
    vi.useFakeTimers();
    fireEvent.pointerDown(rowOf("b")!, { pointerType: "touch", clientX: 10, clientY: 10 });
    fireEvent.pointerMove(rowOf("b")!, { pointerType: "touch", clientX: 10, clientY: 40 });
    vi.advanceTimersByTime(LONG_PRESS_MS * 2);
    vi.useRealTimers();
    expect(screen.queryByRole("dialog")).toBeNull();

    // Right-click archives Ben: he moves behind the "Archived" row.
    fireEvent.contextMenu(rowOf("b")!);
    fireEvent.click(within(await screen.findByRole("dialog", { name: "Ben" })).getByRole("button", { name: "Archive" }));
    await vi.waitFor(() => expect(rowOf("b")).toBeNull());
    const archived = screen.getByRole("button", { name: /Archived \(1\)/ });
    fireEvent.click(archived);
    expect(rowOf("b")).not.toBeNull();

    // Deleting asks once more, then the row is gone until a newer message comes.
    fireEvent.contextMenu(rowOf("c")!);
    fireEvent.click(within(await screen.findByRole("dialog", { name: "Cy" })).getByRole("button", { name: "Delete chat" }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete chat" }));
    await vi.waitFor(() => expect(rowOf("c")).toBeNull());
    conversations.value = conversations.value.map((c) => (c.id === "c" ? direct("c", "Cy", 9) : c));
    await vi.waitFor(() => expect(rowOf("c")).not.toBeNull());

    // All of it is on the phone: a reload reads it back.
    const snap = await loadSnapshot();
    expect(snap.chatPrefs).toEqual(chatPrefs.value);
    expect(snap.chatPrefs).toMatchObject({ a: { muted: true }, b: { archived: true }, c: { clearedAt: 1 } });
  });

  it("offers 'remove from list' for a group that ended, and it stays removed", async () => {
    conversations.value = [{ id: "g:g_2", kind: "group", group: "g_2", source: "unibox", title: "Old trip", unread: 0, ended: "ttl", last: { id: "m", from: "u_b", source: "unibox", body: { type: "text", text: "bye" }, at: 5 } }];
    render(<Chats />);
    fireEvent.contextMenu(rowOf("g:g_2")!);
    const menu = await screen.findByRole("dialog", { name: "Old trip" });
    expect(within(menu).queryByRole("button", { name: "Mute" })).toBeNull();
    fireEvent.click(within(menu).getByRole("button", { name: "Remove from list" }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Remove from list" }));
    await vi.waitFor(() => expect(rowOf("g:g_2")).toBeNull());
    expect(screen.getByText("No chats yet")).toBeTruthy();
  });
});
