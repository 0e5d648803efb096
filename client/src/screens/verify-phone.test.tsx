// The code screen with a fake fetch: pasting a whole text message, a wrong code, the
// resend countdown, change number. test/browser/verify.test.ts does it against the server.
import { act, fireEvent, render, screen } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { me } from "../state/session";
import { codeDigits, verification } from "../state/phone";
import VerifyPhone from "./verify-phone";

const route = vi.fn();
vi.mock("preact-iso", () => ({ useLocation: () => ({ route, path: "/verify" }) }));

let sent: { url: string; body: any }[];
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
function serve(routes: Record<string, (body: any) => Response>) {
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input)).pathname;
    const raw = input instanceof Request ? await input.text() : (init?.body as string);
    const body = raw ? JSON.parse(raw) : undefined;
    sent.push({ url, body });
    return routes[url]?.(body) ?? json(404, { error: { code: "not_found", message: "no route" } });
  });
}

const user = { id: "u_1", handle: "ann", address: "ann@x", displayName: "Ann", phone: "+14155550100", phoneVerified: false };
const pending = (resendInMs = 30_000) => ({ phone: "+14155550100", expiresAt: Date.now() + 600_000, resendAt: Date.now() + resendInMs });

beforeEach(() => {
  sent = [];
  route.mockReset();
  me.value = user;
  verification.value = pending();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("the code screen", () => {
  it("reads the digits out of whatever is pasted", () => {
    expect(codeDigits("123 456")).toBe("123456");
    expect(codeDigits("Your Unibox code is 654321. It expires in 10 minutes.\n\n@unibox.example #654321")).toBe("654321");
    expect(codeDigits("12-34")).toBe("1234");
  });

  it("is filled in by the phone (one-time-code), sends itself at six digits, and a wrong code says how many tries are left", async () => {
    serve({ "/api/me/phone/verify": () => json(400, { error: { code: "code_wrong", message: "that code is not right", details: { attemptsLeft: 3 } } }) });
    render(<VerifyPhone />);
    const input = document.getElementById("code") as HTMLInputElement;
    expect(input.getAttribute("autocomplete")).toBe("one-time-code");
    expect(input.getAttribute("inputmode")).toBe("numeric");
    expect(screen.getByText("We sent a 6-digit code to +1 415 555 0100.")).toBeTruthy();
    fireEvent.input(input, { target: { value: "Your code is 111 111" } });
    await screen.findByRole("alert");
    expect(screen.getByRole("alert").textContent).toBe("That code isn't right. Tries left: 3.");
    expect(sent).toEqual([{ url: "/api/me/phone/verify", body: { code: "111111" } }]);
    expect(input.value).toBe("");
  });

  it("goes on to the chats once the code is right", async () => {
    serve({ "/api/me/phone/verify": () => json(200, { user: { ...user, phoneVerified: true } }) });
    render(<VerifyPhone />);
    fireEvent.input(document.getElementById("code")!, { target: { value: "222222" } });
    await vi.waitFor(() => expect(route).toHaveBeenCalledWith("/", true));
    expect(me.value?.phoneVerified).toBe(true);
  });

  it("counts down to the next code, then sends one", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    verification.value = pending(3_000);
    serve({ "/api/me/phone": () => json(200, { verification: pending() }) });
    render(<VerifyPhone />);
    const resend = () => screen.getByRole("button", { name: /new code/i }) as HTMLButtonElement;
    expect(resend().textContent).toBe("New code in 3 s");
    expect(resend().disabled).toBe(true);
    await act(async () => void (await vi.advanceTimersByTimeAsync(3_100)));
    expect(resend().textContent).toBe("Send a new code");
    vi.useRealTimers();
    fireEvent.click(resend());
    await vi.waitFor(() => expect(sent.map((s) => s.url)).toEqual(["/api/me/phone"]));
    expect(sent[0]!.body).toEqual({});
  });

  it("changes the number: a code to the new one, with its country", async () => {
    serve({ "/api/me/phone": (body) => json(200, { verification: { ...pending(), phone: body.phone === "030 1234567" ? "+49301234567" : "?" } }) });
    render(<VerifyPhone />);
    fireEvent.click(screen.getByRole("button", { name: "Change number" }));
    fireEvent.change(document.getElementById("region")!, { target: { value: "DE" } });
    expect(document.getElementById("phone-prefix")!.textContent).toBe("+49");
    fireEvent.input(document.getElementById("phone")!, { target: { value: "12" } });
    fireEvent.click(screen.getByRole("button", { name: "Send code to this number" }));
    expect(document.getElementById("phone-error")!.textContent).toBe("That isn't a phone number for the country you picked.");
    expect(sent).toEqual([]);
    fireEvent.input(document.getElementById("phone")!, { target: { value: "030 1234567" } });
    fireEvent.click(screen.getByRole("button", { name: "Send code to this number" }));
    await screen.findByText("We sent a 6-digit code to +49 30 1234567.");
    expect(sent[0]!.body).toEqual({ phone: "030 1234567", region: "DE" });
  });

  it("without a code on its way, offers to send one rather than texting on every visit", async () => {
    verification.value = null;
    serve({ "/api/me/phone": () => json(502, { error: { code: "sms_failed", message: "the text message could not be sent; try again" } }) });
    render(<VerifyPhone />);
    expect(screen.getByText("We'll text a 6-digit code to +1 415 555 0100.")).toBeTruthy();
    expect(document.getElementById("code")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    expect((await screen.findByRole("alert")).textContent).toBe("The text message couldn't be sent. Try again.");
  });
});
