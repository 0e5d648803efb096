// Contacts as a new user meets it: a refused friend request says why in a sentence of the
// user's language (not the server's English or a validator's), a status line never outlives
// what it says, a sent request can be taken back, and contacts can be imported from a file
// or pasted with the region numbers are read in.
import { fireEvent, render, screen } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json, serve } from "../../test/http";
import { setLocale } from "../i18n";
import { zh } from "../i18n/zh";
import { discovery } from "../state/discover";
import { addFriend, friends, incoming, outgoing } from "../state/friends";
import { me } from "../state/session";
import Contacts from "./contacts";

const user = (id: string, name: string) => ({ id, handle: id, address: `${id}@x`, displayName: name });
const bo = user("u_bo", "Bo");
const request = { id: "fr_1", to: bo, message: null, at: 1 };

describe("Contacts", () => {
  beforeEach(() => {
    setLocale("en");
    me.value = user("u_me", "Me");
    friends.value = [];
    incoming.value = [];
    outgoing.value = [];
    discovery.value = { state: "idle" };
  });
  afterEach(() => {
    setLocale("en");
    vi.restoreAllMocks();
  });

  const ask = (to: string, labels = { to: "Phone, handle or address", send: "Send request" }) => {
    fireEvent.input(screen.getByLabelText(labels.to), { target: { value: to } });
    fireEvent.click(screen.getByRole("button", { name: labels.send }));
  };

  it("says in the user's language that nobody has that number, under the field", async () => {
    serve({ "POST /api/friends/requests": () => json(404, { error: { code: "user_not_found", message: "no such user" } }) });
    render(<Contacts />);
    ask("+1 415 555 0199");
    expect((await screen.findByRole("alert")).textContent).toBe("Nobody on Unibox has that number, handle or address.");
    expect(screen.getByLabelText("Phone, handle or address").getAttribute("aria-invalid")).toBe("true");

    // The same refusal in the Chinese UI: the catalogue's sentence, not the server's English.
    setLocale("zh-CN");
    await screen.findByLabelText(zh["contacts.to"]);
    ask("+1 415 555 0199", { to: zh["contacts.to"], send: zh["contacts.send"] });
    await vi.waitFor(() => expect(screen.getByRole("alert").textContent).toBe(zh["err.user_not_found"]));
  });

  it("never shows a validator's text: an input refusal becomes the catalogue's sentence", async () => {
    serve({ "POST /api/friends/requests": () => json(400, { error: { code: "invalid_input", message: "Too small: expected string to have >=1 characters", details: { fields: [{ path: "to", message: "Too small: expected string to have >=1 characters" }] } } }) });
    render(<Contacts />);
    ask("x");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("Some of this isn't right. Check the highlighted fields.");
    expect(document.body.textContent).not.toContain("Too small");
  });

  it("clears an error as soon as the field is edited, and says 'sent' only while the request waits", async () => {
    serve({
      "POST /api/friends/requests": (body) => (body.to === "@nobody" ? json(404, { error: { code: "user_not_found", message: "no such user" } }) : json(201, { request })),
    });
    render(<Contacts />);
    ask("@nobody");
    await screen.findByRole("alert");
    fireEvent.input(screen.getByLabelText("Phone, handle or address"), { target: { value: "@bo" } });
    expect(screen.queryByRole("alert")).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "Send request" }));
    expect((await screen.findByText("Request sent to Bo")).getAttribute("role")).toBe("status");
    // Bo accepts (the friend.accepted event): the line says what is true now.
    addFriend({ user: bo, since: 2, online: false });
    expect(await screen.findByText("You and Bo are now friends")).toBeTruthy();
    expect(screen.queryByText("Request sent to Bo")).toBeNull();
    // And typing something new starts over.
    fireEvent.input(screen.getByLabelText("Phone, handle or address"), { target: { value: "@c" } });
    expect(screen.queryByText("You and Bo are now friends")).toBeNull();
  });

  it("takes back a sent request (DELETE /api/friends/requests/:id), and says why when it cannot", async () => {
    outgoing.value = [request, { id: "fr_2", to: user("u_cy", "Cy"), message: "hi", at: 2 }];
    const sent = serve({
      "DELETE /api/friends/requests/fr_1": () => json(200, { ok: true }),
      "DELETE /api/friends/requests/fr_2": () => json(404, { error: { code: "request_not_found", message: "no such friend request" } }),
    });
    render(<Contacts />);
    fireEvent.click(screen.getByRole("button", { name: "Cancel the request to Bo" }));
    await vi.waitFor(() => expect(outgoing.value.map((r) => r.id)).toEqual(["fr_2"]));
    expect(sent).toContainEqual({ method: "DELETE", url: "/api/friends/requests/fr_1", body: undefined });
    fireEvent.click(screen.getByRole("button", { name: "Cancel the request to Cy" }));
    expect((await screen.findByRole("alert")).textContent).toBe("That friend request isn't there any more.");
  });

  it("imports a vCard file and asks about its numbers in the region shown", async () => {
    const sent = serve({
      "POST /api/contacts/discover": (body) => json(200, { matches: body.numbers.includes("(415) 555-0102") ? [{ number: "(415) 555-0102", user: bo, friend: false }] : [] }),
    });
    render(<Contacts />);
    const region = screen.getByLabelText("Numbers without a country code are in") as unknown as HTMLSelectElement;
    expect(region.value).toBe("US"); // from the browser's language, and shown
    fireEvent.change(region, { target: { value: "CA" } });
    const vcf = ["BEGIN:VCARD", "VERSION:3.0", "FN:Bo Builder", "TEL;TYPE=CELL:(415) 555-0102", "END:VCARD", "BEGIN:VCARD", "VERSION:3.0", "FN:Nobody", "TEL:+44 20 7946 0958", "END:VCARD"].join("\r\n");
    const input = document.querySelector("input[data-import-file]") as HTMLInputElement;
    Object.defineProperty(input, "files", { value: [new File([vcf], "contacts.vcf", { type: "text/vcard" })], configurable: true });
    fireEvent.change(input);
    expect(await screen.findByText("Bo Builder")).toBeTruthy();
    expect(sent.at(-1)).toEqual({ method: "POST", url: "/api/contacts/discover", body: { numbers: ["(415) 555-0102", "+44 20 7946 0958"], region: "CA" } });
    expect(screen.getByText("Checked 2 numbers: 1 on Unibox.")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Add Bo Builder" })).toBeTruthy();
  });

  it("checks pasted numbers, and says so when there are none in what was pasted", async () => {
    const sent = serve({ "POST /api/contacts/discover": () => json(200, { matches: [] }) });
    render(<Contacts />);
    const box = screen.getByLabelText("Or paste numbers");
    fireEvent.input(box, { target: { value: "just words here" } });
    fireEvent.click(screen.getByRole("button", { name: "Check these numbers" }));
    expect((await screen.findByRole("alert")).textContent).toBe("No phone numbers found in that.");
    expect(sent).toEqual([]);
    fireEvent.input(box, { target: { value: "Ana 415 555 0100\n+86 138 0013 8000" } });
    fireEvent.click(screen.getByRole("button", { name: "Check these numbers" }));
    expect(await screen.findByText("None of them are on Unibox yet.")).toBeTruthy();
    expect(sent[0]!.body).toEqual({ numbers: ["415 555 0100", "+86 138 0013 8000"], region: "US" });
  });
});
