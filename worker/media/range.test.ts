import { describe, expect, it } from "vitest";
import { contentRange, parseRange } from "./range";

describe("parseRange", () => {
  const size = 1000;
  it("reads first-bytes, open-ended and suffix ranges", () => {
    expect(parseRange("bytes=0-99", size)).toEqual({ offset: 0, length: 100 });
    expect(parseRange("bytes=900-", size)).toEqual({ offset: 900, length: 100 });
    expect(parseRange("bytes=-10", size)).toEqual({ offset: 990, length: 10 });
    expect(parseRange("bytes=0-0", size)).toEqual({ offset: 0, length: 1 });
    expect(parseRange(" BYTES = 10 - 19 ", size)).toEqual({ offset: 10, length: 10 });
  });

  it("clips a range that runs past the end, and a suffix longer than the file", () => {
    expect(parseRange("bytes=990-5000", size)).toEqual({ offset: 990, length: 10 });
    expect(parseRange("bytes=-5000", size)).toEqual({ offset: 0, length: size });
    expect(parseRange("bytes=0-99999999999999999999", size)).toEqual({ offset: 0, length: size });
  });

  it("calls a range that starts at or past the end, or an empty suffix, unsatisfiable", () => {
    expect(parseRange("bytes=1000-", size)).toBe("unsatisfiable");
    expect(parseRange("bytes=1000-2000", size)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", size)).toBe("unsatisfiable");
  });

  it("ignores what it cannot serve as one range: missing, malformed, other units, several ranges, reversed", () => {
    for (const h of [undefined, null, "", "bytes=", "bytes=-", "bytes=a-b", "items=0-1", "bytes=0-1,5-6", "bytes=20-10", "0-10"]) {
      expect(parseRange(h, size), String(h)).toBeNull();
    }
  });

  it("writes Content-Range from a range and the size", () => {
    expect(contentRange({ offset: 990, length: 10 }, size)).toBe("bytes 990-999/1000");
  });
});
