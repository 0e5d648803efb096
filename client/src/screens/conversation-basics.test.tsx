// A conversation as a new user meets it: the header never claims "online" while this
// phone is offline and says "typing…" when the peer types; the keyboard's Send key sends
// on a phone too; a failed message says why and offers Retry only when a retry can work;
// a long-press (or right-click) opens reply, copy, forward and delete for me; links in
// messages are tappable and only http(s); a group says how many have read.
import { fireEvent, render, screen, within } from "@testing-library/preact";
import { LocationProvider, Route, Router } from "preact-iso";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLocale } from "../i18n";
import { hiddenMessages, restorePrefs } from "../state/chat-prefs";
import { connection } from "../state/connection";
import { conversations } from "../state/conversations";
import { kv, wipe } from "../state/db";
import { friends } from "../state/friends";
import { type ClientGroup, groups } from "../state/groups";
import { outbox, resetOutboxState } from "../state/outbox";
import { me } from "../state/session";
import { resetSyncState } from "../state/sync";
import { threadOf } from "../state/threads";
import { typingIn } from "../state/typing";
import type { OutboxItem, StoredMessage } from "../state/types";
import Conversation from "./conversation";

const user = (id: string, name: string) => ({ id, handle: name.toLowerCase(), address: `${name.toLowerCase()}@x`, displayName: name });
const [alice, bob, carol] = [user("u_a", "Alice"), user("u_b", "Bob"), user("u_c", "Carol")];
const conv = "d:u_a:u_b";
const t0 = new Date("2026-11-20T10:00:00").getTime();
const text = (id: string, from: string, body: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({ id, conv, from, source: "unibox", body: { type: "text", text: body }, at: t0 + id.length, ...extra });

function renderAt(c: string) {
  history.replaceState(null, "", `/chat/${encodeURIComponent(c)}`);
  return render(
    <LocationProvider>
      <Router>
        <Route path="/chat/:conv" component={Conversation} />
        <Route default component={() => <p>elsewhere</p>} />
      </Router>
    </LocationProvider>,
  );
}

const bubble = (id: string) => document.querySelector<HTMLElement>(`[data-msg="${id}"]`)!;

describe("conversation basics", () => {
  beforeEach(async () => {
    setLocale("en");
    await wipe();
    resetSyncState();
    resetOutboxState();
    restorePrefs({});
    me.value = alice;
    connection.value = "online";
    friends.value = [{ user: bob, since: 1, online: true }];
    conversations.value = [{ id: conv, kind: "direct", source: "unibox", title: "Bob", peer: bob, last: null, unread: 0 }];
    threadOf(conv).value = { loaded: true, loadingOlder: false, before: null, messages: [text("m1", "u_b", "hi Alice")] };
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("offline in unit tests"));
    globalThis.IntersectionObserver = class { observe() {} disconnect() {} } as unknown as typeof IntersectionObserver;
    HTMLElement.prototype.scrollTo = () => undefined;
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it("shows the peer online only while this phone is connected, and typing… while they type", async () => {
    renderAt(conv);
    expect((await screen.findByText("online")).getAttribute("data-presence")).toBe("online");
    expect(document.querySelector(".conv-top .presence.on")).not.toBeNull();
    connection.value = "offline";
    await vi.waitFor(() => expect(screen.queryByText("online")).toBeNull());
    expect(screen.queryByText("offline")).toBeNull();
    expect(document.querySelector(".conv-top .presence")).toBeNull();
    connection.value = "online";
    typingIn.value = new Map([[conv, "u_b"]]);
    expect(await screen.findByText("typing…")).toBeTruthy();
  });

  it("sends on the keyboard's Enter (Send) key on a touch phone; Shift+Enter is a new line", async () => {
    vi.stubGlobal("matchMedia", (q: string) => ({ matches: q.includes("coarse"), media: q, addEventListener() {}, removeEventListener() {} }));
    renderAt(conv);
    const box = (await screen.findByLabelText("Write a message")) as HTMLTextAreaElement;
    expect(box.getAttribute("enterkeyhint")).toBe("send");
    fireEvent.input(box, { target: { value: "line one" } });
    fireEvent.keyDown(box, { key: "Enter", shiftKey: true });
    expect(outbox.value).toHaveLength(0);
    fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(outbox.value.map((i) => i.body)).toEqual([{ type: "text", text: "line one" }]));
    // A keyboard that sends only the line break itself (key "Unidentified").
    fireEvent.input(box, { target: { value: "two" } });
    const ev = new InputEvent("beforeinput", { inputType: "insertLineBreak", bubbles: true, cancelable: true });
    box.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(outbox.value).toHaveLength(2));
  });

  it("says why a message failed, and offers Retry only when trying again can work", async () => {
    const failed = (id: string, code: string): OutboxItem => ({ id, conv, to: "u_b", body: { type: "image", media: "", caption: id }, createdAt: t0 + 10, error: { code, message: "server words" } });
    resetOutboxState([failed("too-big", "media_too_large"), failed("not-friends", "not_friend")]);
    renderAt(conv);
    const big = await vi.waitFor(() => bubble("too-big"));
    expect(big.getAttribute("data-state")).toBe("failed");
    expect(within(big).getByText("That file is too large to send.")).toBeTruthy();
    expect(within(big).queryByRole("button", { name: "Retry" })).toBeNull();
    expect(within(big).getByRole("button", { name: "Delete" })).toBeTruthy();
    const nf = bubble("not-friends");
    expect(within(nf).getByText("You can only message your friends.")).toBeTruthy();
    expect(within(nf).getByRole("button", { name: "Retry" })).toBeTruthy();
    expect(document.body.textContent).not.toContain("server words");
  });

  it("opens the message menu on right-click: reply quotes, copy copies, delete for me hides it for good", async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    threadOf(conv).value = { ...threadOf(conv).value, messages: [text("m1", "u_b", "> Alice: earlier\nsee you at the station at six"), text("m22", "u_b", "bye")] };
    renderAt(conv);
    fireEvent.contextMenu(await vi.waitFor(() => bubble("m1")));
    const menu = await screen.findByRole("dialog", { name: "Message" });
    expect(within(menu).getAllByRole("button").map((b) => b.textContent)).toEqual(["Reply", "Copy", "Forward", "Delete for me", "Cancel"]);

    fireEvent.click(within(menu).getByRole("button", { name: "Copy" }));
    await vi.waitFor(() => expect(writeText).toHaveBeenCalledWith("see you at the station at six"));
    await vi.waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());

    fireEvent.contextMenu(bubble("m1"));
    fireEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Reply" }));
    expect((await screen.findByText("Replying to Bob")).closest("[data-reply-to]")?.getAttribute("data-reply-to")).toBe("m1");
    const box = screen.getByLabelText("Write a message");
    fireEvent.input(box, { target: { value: "on my way" } });
    fireEvent.keyDown(box, { key: "Enter" });
    await vi.waitFor(() => expect(outbox.value).toHaveLength(1));
    expect(outbox.value[0]!.body).toEqual({ type: "text", text: "> Bob: see you at the station at six\non my way" });
    // The reply shows its quote as a quote, and the text after it.
    const sent = await vi.waitFor(() => bubble(outbox.value[0]!.id));
    expect(sent.querySelector("blockquote")?.textContent).toBe("Bob: see you at the station at six");
    expect(sent.querySelector(".text")?.textContent).toBe("on my way");
    expect(screen.queryByText("Replying to Bob")).toBeNull();

    fireEvent.contextMenu(bubble("m22"));
    fireEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Delete for me" }));
    await vi.waitFor(() => expect(document.querySelector('[data-msg="m22"]')).toBeNull());
    expect(hiddenMessages.value.has("m22")).toBe(true);
    expect(await kv.get("hiddenMessages")).toEqual(["m22"]);
  });

  it("makes web links tappable and never a javascript: one", async () => {
    threadOf(conv).value = { ...threadOf(conv).value, messages: [text("m1", "u_b", "read https://en.wikipedia.org/wiki/Tea_(drink). or www.example.org/x, not javascript:alert(1)")] };
    renderAt(conv);
    const links = await vi.waitFor(() => {
      const found = within(bubble("m1")).getAllByRole("link");
      expect(found).toHaveLength(2);
      return found;
    });
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["https://en.wikipedia.org/wiki/Tea_(drink)", "https://www.example.org/x"]);
    expect(links.every((a) => a.getAttribute("rel")?.includes("noopener") && a.getAttribute("target") === "_blank")).toBe(true);
    expect(bubble("m1").textContent).toContain("not javascript:alert(1)");
  });

  it("in a group, says 'Read by 1 of 2' and keeps the ticks at delivered until both have read", async () => {
    const gconv = "g:g_1";
    const group: ClientGroup = { id: "g_1", conv: gconv, name: "Hike", owner: "u_a", members: [alice, bob, carol], ttlHours: 24, createdAt: t0, endedAt: null, endReason: null, past: [], notices: [] };
    groups.value = { g_1: group };
    conversations.value = [{ id: gconv, kind: "group", group: "g_1", source: "unibox", title: "Hike", last: null, unread: 0 }];
    threadOf(gconv).value = { loaded: true, loadingOlder: false, before: null, messages: [{ ...text("m1", "u_a", "who's in?"), conv: gconv, state: "read", readBy: ["u_b"] }] };
    renderAt(gconv);
    const b = await vi.waitFor(() => bubble("m1"));
    expect(b.querySelector(".read-by")?.textContent).toBe("Read by 1 of 2");
    expect(b.getAttribute("data-state")).toBe("delivered");
    expect(within(b).getByText("Delivered")).toBeTruthy();
    fireEvent.contextMenu(b);
    expect((await screen.findByRole("dialog")).textContent).toContain("Read by Bob");
  });
});
