// "Find friends from your contacts" with a stub of the W3C Contact Picker API
// (navigator.contacts.select(properties, options) → [{name: string[], tel: string[]}]),
// which only Chrome on Android has, and a fake fetch standing in for the server.
import { fireEvent, render, screen, within } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLocale } from "../i18n";
import { discovery } from "../state/discover";
import { friends, incoming, outgoing } from "../state/friends";
import { me } from "../state/session";
import Contacts from "./contacts";

const user = (id: string, name: string) => ({ id, handle: id, address: `${id}@x`, displayName: name });
const picked = [
  { name: ["Ann Lee"], tel: ["+1 415 555 0101", " +1 415 555 0101 "] },
  { name: ["Bo"], tel: ["415-555-0102", "+44 20 7946 0958"] },
  { name: ["Nobody"], tel: ["+1 415 555 0101"] },
  { name: ["No phone"], tel: [] },
];

type Sent = { url: string; body: unknown };
let sent: Sent[];
let select: ReturnType<typeof vi.fn>;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** Answers each path with the given function; records what was sent. */
function serve(routes: Record<string, (body: any) => Response>) {
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input)).pathname;
    const raw = input instanceof Request ? await input.text() : (init?.body as string);
    const body = raw ? JSON.parse(raw) : undefined;
    sent.push({ url, body });
    const route = routes[url];
    return route ? route(body) : json(404, { error: { code: "not_found", message: "no route" } });
  });
}

function installPicker(contacts: unknown[]) {
  select = vi.fn(async () => contacts);
  Object.defineProperty(navigator, "contacts", { value: { select }, configurable: true });
  (window as any).ContactsManager = function ContactsManager() {};
}

function removePicker() {
  delete (navigator as any).contacts;
  delete (window as any).ContactsManager;
}

describe("Find friends from your contacts", () => {
  beforeEach(() => {
    setLocale("en");
    sent = [];
    me.value = user("u_me", "Me");
    friends.value = [];
    incoming.value = [];
    outgoing.value = [];
    discovery.value = { state: "idle" };
  });
  afterEach(() => {
    removePicker();
    vi.restoreAllMocks();
  });

  it("shows no button where the browser has no Contact Picker", () => {
    removePicker();
    render(<Contacts />);
    expect(screen.getByRole("heading", { name: "Add friend" })).toBeTruthy();
    expect(screen.queryByRole("heading", { name: "Find friends from your contacts" })).toBeNull();
    expect(screen.queryByRole("button", { name: /Choose contacts/ })).toBeNull();
  });

  it("sends the picked numbers once each, lists matches with Add or Friends, and Add sends a friend request", async () => {
    installPicker(picked);
    serve({
      "/api/contacts/discover": () =>
        json(200, { matches: [
          { number: "415-555-0102", user: user("u_bo", "Bo Display"), friend: false },
          { number: "+1 415 555 0101", user: user("u_ann", "Ann Display"), friend: true },
        ] }),
      "/api/friends/requests": () => json(201, { request: { id: "fr_1", to: user("u_bo", "Bo Display"), message: null, at: 1 } }),
    });
    render(<Contacts />);
    fireEvent.click(screen.getByRole("button", { name: /Choose contacts/ }));
    const list = await screen.findByRole("list", { name: "Your contacts on Unibox" });

    expect(select).toHaveBeenCalledWith(["name", "tel"], { multiple: true });
    expect(sent).toEqual([{ url: "/api/contacts/discover", body: { numbers: ["+1 415 555 0101", "415-555-0102", "+44 20 7946 0958"] } }]);

    const rows = within(list).getAllByRole("listitem");
    expect(rows.map((r) => r.getAttribute("data-match"))).toEqual(["u_ann", "u_bo"]);
    expect(within(rows[0]!).getByText("Ann Lee")).toBeTruthy(); // the contact's name, not the display name
    expect(within(rows[0]!).getByText("@u_ann")).toBeTruthy();
    expect(within(rows[0]!).getByText("Friends")).toBeTruthy();
    expect(within(rows[0]!).queryByRole("button")).toBeNull();

    fireEvent.click(within(rows[1]!).getByRole("button", { name: "Add Bo" }));
    await within(rows[1]!).findByText("Request sent");
    expect(sent[1]).toEqual({ url: "/api/friends/requests", body: { to: "415-555-0102" } });
    expect(outgoing.value.map((r) => r.to.id)).toEqual(["u_bo"]);
  });

  it("falls back to the display name when the contact has none, and never stores the numbers", async () => {
    installPicker([{ name: [], tel: ["+1 415 555 0103"] }]);
    serve({ "/api/contacts/discover": () => json(200, { matches: [{ number: "+1 415 555 0103", user: user("u_cy", "Cy Display"), friend: false }] }) });
    const setItem = vi.spyOn(Storage.prototype, "setItem");
    render(<Contacts />);
    fireEvent.click(screen.getByRole("button", { name: /Choose contacts/ }));
    expect(await screen.findByText("Cy Display")).toBeTruthy();
    expect(setItem).not.toHaveBeenCalled();
  });

  it("says so when none of them are on Unibox", async () => {
    installPicker(picked);
    serve({ "/api/contacts/discover": () => json(200, { matches: [] }) });
    render(<Contacts />);
    fireEvent.click(screen.getByRole("button", { name: /Choose contacts/ }));
    expect((await screen.findByRole("status")).textContent).toBe("None of them are on Unibox yet.");
    expect(screen.queryByRole("list", { name: "Your contacts on Unibox" })).toBeNull();
  });

  it("sends nothing when the picker is cancelled", async () => {
    installPicker([]);
    serve({});
    render(<Contacts />);
    fireEvent.click(screen.getByRole("button", { name: /Choose contacts/ }));
    await vi.waitFor(() => expect(discovery.value.state).toBe("idle"));
    expect(select).toHaveBeenCalled();
    expect(sent).toEqual([]);
  });

  it("shows the server's refusal: rate limited with its wait, and offline", async () => {
    installPicker(picked);
    serve({
      "/api/contacts/discover": () =>
        json(429, { error: { code: "rate_limited", message: "too many attempts; try again in 42 s", details: { retryAfter: 42 } } }, { "Retry-After": "42" }),
    });
    render(<Contacts />);
    const button = screen.getByRole("button", { name: /Choose contacts/ });
    fireEvent.click(button);
    expect((await screen.findByRole("alert")).textContent).toBe("Too many tries. Try again in 42 s.");

    vi.mocked(fetch).mockRejectedValue(new TypeError("offline"));
    fireEvent.click(button);
    await vi.waitFor(() => expect(screen.getByRole("alert").textContent).toBe("You're offline. Try again when you're connected."));
  });

  it("shows why Add failed", async () => {
    installPicker(picked);
    serve({
      "/api/contacts/discover": () => json(200, { matches: [{ number: "415-555-0102", user: user("u_bo", "Bo"), friend: false }] }),
      "/api/friends/requests": () => json(409, { error: { code: "already_requested", message: "you already asked them" } }),
    });
    render(<Contacts />);
    fireEvent.click(screen.getByRole("button", { name: /Choose contacts/ }));
    fireEvent.click(await screen.findByRole("button", { name: "Add Bo" }));
    expect((await screen.findByRole("alert")).textContent).toBe("you already asked them");
    expect(screen.getByRole("button", { name: "Add Bo" })).toBeTruthy();
  });
});
