import { fireEvent, render, screen, within } from "@testing-library/preact";
import { beforeEach, describe, expect, it } from "vitest";
import { setLocale } from "../i18n";
import { conversations, conversationsLoaded, sourceFilter } from "../state/conversations";
import { me } from "../state/session";
import type { ConversationSummary } from "../state/types";
import { Chats } from "./chats";
import { accounts, accountsLoaded } from "../state/accounts";

const peer = (id: string, name: string) => ({ id, handle: id, address: `${id}@x`, displayName: name });
const conv = (id: string, title: string, source: string, at: number, unread: number, from = "u_peer", state?: "read"): ConversationSummary => ({
  id, kind: "direct", source, title, peer: peer(`p_${id}`, title), unread,
  last: { id: `m_${id}`, from, source, body: { type: "text", text: `hello from ${title}` }, at, ...(state ? { state } : {}) } as ConversationSummary["last"],
});

describe("Chats", () => {
  beforeEach(() => {
    setLocale("en");
    me.value = { id: "u_me", handle: "me", address: "me@x", displayName: "Me" };
    sourceFilter.value = null;
  });

  it("shows skeleton rows until the list is known, then an empty state that leads to Contacts", async () => {
    conversations.value = [];
    conversationsLoaded.value = false;
    render(<Chats />);
    expect(screen.getByRole("list", { name: "Loading chats" }).getAttribute("aria-busy")).toBe("true");
    conversationsLoaded.value = true;
    expect(await screen.findByText("No chats yet")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Add a friend" }).getAttribute("href")).toBe("/contacts");
  });

  it("lists conversations newest first with preview, unread count and source badge, and filters by source", () => {
    conversationsLoaded.value = true;
    accounts.value = [{ id: "a_masto", network: "mastodon", label: "Work toots", remote: "@me@social.example", state: "connected", message: "connected", createdAt: 1 }];
    accountsLoaded.value = true;
    conversations.value = [
      conv("a", "Ann", "unibox", 1_000, 0, "u_me", "read"),
      conv("b", "Bo", "unibox", 3_000, 2),
      conv("c", "Cy", "a_masto", 2_000, 0),
    ];
    render(<Chats />);
    const rows = screen.getAllByRole("link").filter((a) => a.getAttribute("data-conv"));
    expect(rows.map((r) => r.getAttribute("data-conv"))).toEqual(["b", "c", "a"]);
    expect(within(rows[0]!).getByLabelText("2 unread").textContent).toBe("2");
    expect(within(rows[0]!).getByText("Unibox")).toBeTruthy();
    expect(within(rows[2]!).getByText("You: hello from Ann")).toBeTruthy();
    expect(rows[0]!.getAttribute("href")).toBe("/chat/b");
    // A chat on a bound account carries its network's badge, named for the screen reader with the account.
    expect(within(rows[1]!).getByLabelText("Mastodon · Work toots").textContent).toBe("Masto");

    // Chips: Unibox, then each bound account by its label.
    const chips = within(screen.getByRole("group", { name: "Filter by source" })).getAllByRole("button");
    expect(chips.map((c) => c.textContent)).toEqual(["All", "Unibox", "Work toots"]);
    fireEvent.click(chips[2]!);
    expect(screen.getAllByRole("link").filter((a) => a.getAttribute("data-conv")).map((r) => r.getAttribute("data-conv"))).toEqual(["c"]);
    expect(chips[2]!.getAttribute("aria-pressed")).toBe("true");
  });

  it("speaks Simplified Chinese when switched", () => {
    conversationsLoaded.value = true;
    conversations.value = [];
    setLocale("zh-CN");
    render(<Chats />);
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("聊天");
    expect(screen.getByText("还没有聊天")).toBeTruthy();
    setLocale("en");
  });
});
