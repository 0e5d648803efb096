// The browser's bar colour (<meta name="theme-color">) follows the theme chosen in the
// app, not only the system's scheme.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BAR_COLOURS, applyTheme } from "./theme";

describe("theme-color", () => {
  beforeEach(() => {
    document.head.innerHTML = `<meta name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)"><meta name="theme-color" content="#181b21" media="(prefers-color-scheme: dark)">`;
  });
  afterEach(() => applyTheme("system"));
  const colours = () => [...document.querySelectorAll<HTMLMetaElement>('meta[name="theme-color"]')].map((m) => m.content);

  it("paints both tags with the chosen theme's colour, and gives each its own back on 'system'", () => {
    applyTheme("dark");
    expect(colours()).toEqual([BAR_COLOURS.dark, BAR_COLOURS.dark]);
    expect(document.documentElement.dataset.theme).toBe("dark");
    applyTheme("light");
    expect(colours()).toEqual([BAR_COLOURS.light, BAR_COLOURS.light]);
    applyTheme("system");
    expect(colours()).toEqual([BAR_COLOURS.light, BAR_COLOURS.dark]);
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });
});
