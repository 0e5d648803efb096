import { describe, expect, it } from "vitest";
import { REGIONS, guessRegion, regionOptions } from "./regions";

describe("regions", () => {
  it("guesses the region from the browser's languages, and names every region in the user's language", () => {
    expect(guessRegion(["zh-CN"])).toBe("CN");
    expect(guessRegion(["en-GB", "en"])).toBe("GB");
    expect(guessRegion(["de"])).toBe("DE");
    expect(guessRegion(["not a tag"])).toBe("US");
    expect(new Set(REGIONS).size).toBe(REGIONS.length);
    const zh = regionOptions("zh-CN");
    expect(zh.find((r) => r.code === "CN")?.name).toBe("中国");
    expect(regionOptions("en").find((r) => r.code === "DE")?.name).toBe("Germany");
    expect(zh).toHaveLength(REGIONS.length);
  });
});
