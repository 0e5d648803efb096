import { afterEach, describe, expect, it } from "vitest";
import { ERRORS } from "../../../core/errors";
import { en } from "./en";
import { errorMessage, errorText } from "./errors";
import { setLocale } from ".";
import { zh } from "./zh";

describe("errorText", () => {
  afterEach(() => setLocale("en"));

  it("has a sentence for every code in the error table, in both languages", () => {
    const missing = Object.keys(ERRORS).filter((code) => !(`err.${code}` in en) || !(`err.${code}` in zh));
    expect(missing).toEqual([]);
  });

  it("answers in the user's language, and falls back to the server's words for an unknown code", () => {
    expect(errorText({ code: "handle_taken", message: "that handle is taken" })).toBe("That handle is taken. Try another.");
    setLocale("zh-CN");
    expect(errorText({ code: "handle_taken", message: "that handle is taken" })).toBe("该用户名已被占用，请换一个。");
    expect(errorText({ code: "from_the_future", message: "a newer server said no" })).toBe("a newer server said no");
  });

  it("never shows an exception's or a bare status's text", () => {
    expect(errorMessage(new TypeError("Failed to fetch"))).toBe("Something went wrong on our side. Try again.");
    expect(errorMessage({ code: "http_404", message: "HTTP 404" })).toBe("That isn't there any more.");
    expect(errorMessage({ code: "http_502", message: "HTTP 502" })).toBe("Something went wrong on our side. Try again.");
    expect(errorMessage({ code: "rate_limited", message: "slow down", retryAfter: 41.2 })).toBe("Too many tries. Try again in 42 s.");
    expect(errorMessage({ code: "network", message: "network unreachable" })).toBe("You're offline. Try again when you're connected.");
  });
});
