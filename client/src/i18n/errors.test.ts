import { afterEach, describe, expect, it } from "vitest";
import { ERRORS } from "../../../core/errors";
import { en } from "./en";
import { errorText } from "./errors";
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
});
