// Sign-up and sign-in as a new user meets them: the whole country list in their language,
// searchable, the dial code inside the phone field, errors in words (checked before
// anything is sent) that go away when the field changes. A fake fetch stands in for the
// server; test/browser/verify.test.ts runs the same screens against the real one.
import { fireEvent, render, screen } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLocale } from "../i18n";
import { me } from "../state/session";
import { verification } from "../state/phone";
import { countries, matching } from "./phone-input";
import SignIn from "./sign-in";
import SignUp, { checkSignUp } from "./sign-up";

vi.mock("preact-iso", () => ({ useLocation: () => ({ route: vi.fn(), path: "/signup" }) }));

let sent: { url: string; body: unknown }[];
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

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

const type = (id: string, value: string) => fireEvent.input(document.getElementById(id)!, { target: { value } });
const errorOf = (id: string) => document.getElementById(`${id}-error`)?.textContent ?? null;

beforeEach(() => {
  sent = [];
  me.value = null;
  verification.value = null;
});
afterEach(() => {
  vi.restoreAllMocks();
  setLocale("en");
});

describe("the country list", () => {
  it("has every country a number can be read in, named in the UI's language", () => {
    const en = countries("en");
    expect(en.length).toBeGreaterThan(240);
    expect(en.find((c) => c.region === "DE")).toMatchObject({ name: "Germany", dial: "49" });
    expect(countries("zh-CN").find((c) => c.region === "DE")!.name).toBe("德国");
    // Before: 16 hand-picked countries.
    for (const region of ["NG", "MX", "VN", "UA", "KE", "PK"]) expect(en.some((c) => c.region === region), region).toBe(true);
  });

  it("is searchable by name (either language, accents or not), code and dial code", () => {
    const zh = countries("zh-CN");
    const regions = (q: string) => matching(zh, q).map((c) => c.region);
    expect(regions("德国")).toEqual(["DE"]);
    expect(regions("germany")).toEqual(["DE"]);
    expect(regions("+49")).toEqual(["DE"]);
    expect(regions("0049")).toEqual(["DE"]);
    expect(regions("cote d")).toContain("CI");
    expect(regions("")).toHaveLength(zh.length);
  });

  it("narrows the select as you type, and picks the first match", () => {
    render(<SignUp />);
    const select = document.getElementById("region") as unknown as HTMLSelectElement;
    expect(select.options.length).toBeGreaterThan(240);
    type("country-search", "germ");
    expect(select.value).toBe("DE");
    expect(document.getElementById("phone-prefix")!.textContent).toBe("+49");
    type("country-search", "zzzz");
    expect(screen.getByRole("status").textContent).toBe("No country matches that.");
    expect(select.value).toBe("DE"); // the choice stays
  });
});

describe("sign-up", () => {
  it("checks the form before sending, in the user's words, and sends nothing when it is wrong", async () => {
    serve({});
    render(<SignUp />);
    fireEvent.submit(document.querySelector("form")!);
    expect(errorOf("handle")).toBe("Use 3–20 characters: a–z, 0–9 and _.");
    expect(errorOf("phone")).toBe("That isn't a phone number for the country you picked.");
    expect(errorOf("displayName")).toBe("Enter a name with at least one letter, digit or symbol.");
    expect(errorOf("password")).toBe("Use at least 10 characters.");
    expect(sent).toEqual([]);
    // Before: "Too small: expected string to have >=1 characters" under the fields.
    expect(document.body.textContent).not.toMatch(/expected string|Too small/);
  });

  it("takes an error back as soon as its field (or the country, for the number) changes", () => {
    render(<SignUp />);
    type("phone", "42");
    fireEvent.submit(document.querySelector("form")!);
    expect(errorOf("phone")).not.toBeNull();
    type("phone", "4155550100");
    expect(errorOf("phone")).toBeNull();
    fireEvent.submit(document.querySelector("form")!);
    expect(errorOf("phone")).toBeNull(); // a valid US number
    fireEvent.change(document.getElementById("region")!, { target: { value: "GB" } });
    fireEvent.submit(document.querySelector("form")!);
    expect(errorOf("phone")).not.toBeNull(); // not a UK number
    fireEvent.change(document.getElementById("region")!, { target: { value: "US" } });
    expect(errorOf("phone")).toBeNull();
  });

  it("puts the server's refusal under its field, in Chinese too", async () => {
    setLocale("zh-CN");
    serve({ "/api/auth/register": () => json(409, { error: { code: "handle_taken", message: "that handle is taken" } }) });
    render(<SignUp />);
    type("handle", "taken_one");
    type("phone", "4155550100");
    fireEvent.change(document.getElementById("region")!, { target: { value: "US" } });
    type("displayName", "李明");
    type("password", "long enough password");
    fireEvent.submit(document.querySelector("form")!);
    await vi.waitFor(() => expect(errorOf("handle")).toBe("该用户名已被占用，请换一个。"));
    expect(sent.map((s) => s.url)).toEqual(["/api/auth/register"]);
    type("handle", "taken_two");
    expect(errorOf("handle")).toBeNull();
  });

  it("asks for the code right after the account exists", async () => {
    const user = { id: "u_1", handle: "new_one", address: "new_one@x", displayName: "New", phone: "+14155550100", phoneVerified: false };
    serve({
      "/api/auth/register": () => json(201, { user, token: "t" }),
      "/api/me/phone": () => json(200, { verification: { phone: "+14155550100", expiresAt: Date.now() + 600_000, resendAt: Date.now() + 30_000 } }),
    });
    render(<SignUp />);
    type("handle", "new_one");
    fireEvent.change(document.getElementById("region")!, { target: { value: "US" } });
    type("phone", "(415) 555-0100");
    type("displayName", "New");
    type("password", "long enough password");
    fireEvent.submit(document.querySelector("form")!);
    await vi.waitFor(() => expect(me.value).toEqual(user));
    expect(sent.map((s) => s.url)).toEqual(["/api/auth/register", "/api/me/phone"]);
    expect(sent[0]!.body).toMatchObject({ region: "US", phone: "(415) 555-0100" });
    expect(verification.value?.phone).toBe("+14155550100");
  });

  it("knows the rules the server has", () => {
    const ok = { handle: "ok_handle", phone: "+44 20 7946 0958", displayName: "Ann", password: "long enough pw", region: "US" };
    expect(checkSignUp(ok)).toEqual({});
    expect(Object.keys(checkSignUp({ ...ok, displayName: "\u202E\u200B" }))).toEqual(["displayName"]);
    expect(Object.keys(checkSignUp({ ...ok, phone: "12" }))).toEqual(["phone"]);
  });
});

describe("sign-in", () => {
  it("says what is missing before sending, and the server's no in words", async () => {
    serve({ "/api/auth/login": () => json(401, { error: { code: "invalid_credentials", message: "wrong login or password" } }) });
    render(<SignIn />);
    fireEvent.submit(document.querySelector("form")!);
    expect(errorOf("login")).toBe("Enter your phone number, handle or address.");
    expect(errorOf("password")).toBe("Enter your password.");
    expect(sent).toEqual([]);
    type("login", "someone");
    expect(errorOf("login")).toBeNull();
    type("password", "not it");
    fireEvent.submit(document.querySelector("form")!);
    await screen.findByRole("alert");
    expect(screen.getByRole("alert").textContent).toBe("That login and password don't match.");
    type("password", "not it either");
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
