import { fireEvent, render, screen } from "@testing-library/preact";
import { LocationProvider, Route, Router } from "preact-iso";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLocale } from "../i18n";
import { conversations } from "../state/conversations";
import { wipe } from "../state/db";
import { outbox, resetOutboxState } from "../state/outbox";
import { me } from "../state/session";
import { resetSyncState } from "../state/sync";
import { threadOf } from "../state/threads";
import Conversation from "./conversation";

const conv = "d:u_a:u_b";
const bob = { id: "u_b", handle: "bob", address: "bob@x", displayName: "Bob" };
const day = new Date("2026-11-20T10:00:00").getTime();

function renderAt(path: string) {
  history.replaceState(null, "", path);
  // The screen reads its conversation id from the route, so it is mounted under a real Router.
  return render(
    <LocationProvider>
      <RouterFor />
    </LocationProvider>,
  );
}

function RouterFor() {
  return (
    <Router>
      <Route path="/chat/:conv" component={Conversation} />
      <Route default component={() => <p>elsewhere</p>} />
    </Router>
  );
}

describe("Conversation", () => {
  beforeEach(async () => {
    setLocale("en");
    await wipe();
    resetSyncState();
    resetOutboxState();
    me.value = { id: "u_a", handle: "alice", address: "alice@x", displayName: "Alice" };
    conversations.value = [{ id: conv, kind: "direct", source: "unibox", title: "Bob", peer: bob, last: null, unread: 0 }];
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("offline in unit tests"));
    globalThis.IntersectionObserver = class {
      observe() {}
      disconnect() {}
    } as unknown as typeof IntersectionObserver;
    HTMLElement.prototype.scrollTo = () => undefined;
  });
  afterEach(() => vi.restoreAllMocks());

  it("groups bubbles by day and sender and labels each own message with its delivery state", async () => {
    threadOf(conv).value = {
      loaded: true, loadingOlder: false, before: null,
      messages: [
        { id: "m1", conv, from: "u_b", source: "unibox", body: { type: "text", text: "hi" }, at: day - 86_400_000 * 3 },
        { id: "m2", conv, from: "u_a", source: "unibox", body: { type: "text", text: "hey" }, at: day, state: "read" },
        { id: "m3", conv, from: "u_a", source: "unibox", body: { type: "text", text: "how are you" }, at: day + 1000, state: "delivered" },
        { id: "m4", conv, from: "u_a", source: "unibox", body: { type: "text", text: "?" }, at: day + 2000, state: "sent" },
      ],
    };
    renderAt(`/chat/${encodeURIComponent(conv)}`);
    await screen.findByText("how are you");
    expect(screen.getAllByRole("separator")).toHaveLength(2);
    const bubble = (id: string) => document.querySelector(`[data-msg="${id}"]`)!;
    expect(bubble("m2").textContent).toContain("Read");
    expect(bubble("m3").textContent).toContain("Delivered");
    expect(bubble("m4").textContent).toContain("Sent");
    expect(bubble("m1").getAttribute("data-state")).toBeNull();
    // Only the last of a run carries the tail.
    expect(["m2", "m3", "m4"].map((id) => bubble(id).classList.contains("tail"))).toEqual([false, false, true]);
    expect(screen.getByText("This is the start of your conversation.")).toBeTruthy();
  });

  it("queues what is typed into the outbox and shows it as sending at once, even offline", async () => {
    threadOf(conv).value = { loaded: true, loadingOlder: false, before: null, messages: [] };
    renderAt(`/chat/${encodeURIComponent(conv)}`);
    const box = await screen.findByLabelText("Write a message");
    const send = screen.getByRole("button", { name: "Send" }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    fireEvent.input(box, { target: { value: "  see you at 6  " } });
    expect(send.disabled).toBe(false);
    fireEvent.click(send);
    await vi.waitFor(() => expect(outbox.value).toHaveLength(1));
    expect(outbox.value[0]).toMatchObject({ conv, to: "u_b", body: { type: "text", text: "see you at 6" } });
    const pending = await screen.findByText("see you at 6");
    expect(pending.closest("[data-state]")?.getAttribute("data-state")).toBe("sending");
    expect((box as HTMLTextAreaElement).value).toBe("");
  });
});
