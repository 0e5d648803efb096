// Me's account cards against the issue-15 contracts: PATCH /api/me {displayName} → {user};
// POST /api/me/password {current, next} → {ok, signedOut} (401 invalid_credentials when the
// current one is wrong); POST /api/auth/sessions/end-others → {signedOut}. Each checks what
// it can before asking, and says every answer in a sentence.
import { fireEvent, render, screen, within } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json, serve } from "../../test/http";
import { setLocale } from "../i18n";
import { kv, wipe } from "../state/db";
import { me } from "../state/session";
import { ChangePassword, EditName, OtherDevices } from "./me-account";

const mei = { id: "u_m", handle: "mei", address: "mei@unibox.example", displayName: "Mei" };

describe("Me: account", () => {
  beforeEach(async () => {
    setLocale("en");
    await wipe();
    me.value = mei;
  });
  afterEach(() => vi.restoreAllMocks());

  it("renames: checks for an empty name, then saves, and the cached profile follows", async () => {
    const sent = serve({ "PATCH /api/me": (body) => json(200, { user: { ...mei, displayName: body.displayName } }) });
    render(<EditName />);
    const field = screen.getByLabelText("Your name");
    const save = screen.getByRole("button", { name: "Save" }) as HTMLButtonElement;
    expect(save.disabled).toBe(true); // nothing changed yet
    fireEvent.input(field, { target: { value: "   " } });
    fireEvent.submit(field.closest("form")!);
    expect((await screen.findByRole("alert")).textContent).toBe("Your name can't be empty.");
    expect(sent).toEqual([]);
    fireEvent.input(field, { target: { value: "  Mei Lin " } });
    expect(screen.queryByRole("alert")).toBeNull();
    fireEvent.click(save);
    expect((await screen.findByRole("status")).textContent).toBe("Name saved.");
    expect(sent).toEqual([{ method: "PATCH", url: "/api/me", body: { displayName: "Mei Lin" } }]);
    expect(me.value?.displayName).toBe("Mei Lin");
    expect(await kv.get("me")).toMatchObject({ displayName: "Mei Lin" });
  });

  it("changes the password: checks length and sameness first, says when the current one is wrong, and how many devices were signed out", async () => {
    const sent = serve({
      "POST /api/me/password": (body) =>
        body.current === "old password 1" ? json(200, { ok: true, signedOut: 2 }) : json(401, { error: { code: "invalid_credentials", message: "wrong login or password" } }),
    });
    render(<ChangePassword />);
    const current = screen.getByLabelText("Current password");
    const next = screen.getByLabelText("New password");
    const submit = screen.getByRole("button", { name: "Change password" });
    fireEvent.input(current, { target: { value: "old password 1" } });
    fireEvent.input(next, { target: { value: "short" } });
    fireEvent.click(submit);
    expect((await screen.findByRole("alert")).textContent).toBe("The new password needs at least 10 characters.");
    expect(next.getAttribute("aria-invalid")).toBe("true");
    fireEvent.input(next, { target: { value: "old password 1" } });
    fireEvent.click(submit);
    expect((await screen.findByRole("alert")).textContent).toBe("The new password is the same as the current one.");
    expect(sent).toEqual([]);

    fireEvent.input(current, { target: { value: "not my password" } });
    fireEvent.input(next, { target: { value: "a much longer one" } });
    fireEvent.click(submit);
    expect((await screen.findByRole("alert")).textContent).toBe("That isn't your current password.");
    expect(current.getAttribute("aria-invalid")).toBe("true");

    fireEvent.input(current, { target: { value: "old password 1" } });
    fireEvent.click(submit);
    expect((await screen.findByRole("status")).textContent).toBe("Password changed. Other devices signed out: 2.");
    expect(sent.at(-1)).toEqual({ method: "POST", url: "/api/me/password", body: { current: "old password 1", next: "a much longer one" } });
    expect((current as HTMLInputElement).value).toBe("");
  });

  it("signs out the other devices, and says so offline", async () => {
    const sent = serve({ "POST /api/auth/sessions/end-others": () => json(200, { signedOut: 3 }) });
    render(<OtherDevices />);
    fireEvent.click(screen.getByRole("button", { name: "Sign out other devices" }));
    expect((await screen.findByRole("status")).textContent).toBe("Other devices signed out: 3.");
    expect(sent).toEqual([{ method: "POST", url: "/api/auth/sessions/end-others", body: undefined }]);
    vi.mocked(fetch).mockRejectedValue(new TypeError("offline"));
    fireEvent.click(screen.getByRole("button", { name: "Sign out other devices" }));
    expect((await screen.findByRole("alert")).textContent).toBe("You're offline. Try again when you're connected.");
  });
});
