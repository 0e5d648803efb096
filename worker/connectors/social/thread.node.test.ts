// splitForThread and the length rules: words whole, URLs never cut, " i/n" counted in the
// limit, graphemes not code units; checked on fixed cases and on random texts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitForThread } from "./thread";
import { graphemeCount, htmlToText, measure } from "./text";

const words = (parts: string[]) => parts.map((p) => p.replace(/ \d+\/\d+$/, "")).join(" ").split(/\s+/);

describe("splitForThread", () => {
  it("leaves a text that fits alone, unnumbered, and gives nothing for blank text", () => {
    expect(splitForThread("  hello world  ", 300)).toEqual(["hello world"]);
    expect(splitForThread("   ", 300)).toEqual([]);
    expect(splitForThread("x".repeat(300), 300)).toEqual(["x".repeat(300)]);
  });

  it("cuts between words, numbering each part within the limit", () => {
    const text = "one two three four five six seven eight nine ten";
    const parts = splitForThread(text, 20);
    expect(parts).toEqual(["one two three 1/4", "four five six 2/4", "seven eight nine 3/4", "ten 4/4"]);
    for (const p of parts) expect(graphemeCount(p)).toBeLessThanOrEqual(20);
  });

  it("counts the numbering's width when the parts reach ten", () => {
    const text = Array.from({ length: 40 }, (_, i) => `w${i % 10}`).join(" "); // 40 words of 2
    const parts = splitForThread(text, 12);
    expect(parts.length).toBeGreaterThanOrEqual(10);
    expect(parts.at(-1)).toMatch(new RegExp(` ${parts.length}/${parts.length}$`));
    for (const p of parts) expect(graphemeCount(p)).toBeLessThanOrEqual(12);
    expect(words(parts)).toEqual(text.split(" "));
  });

  it("never cuts a URL, even one longer than a part, and cuts other long words between graphemes", () => {
    const url = `https://example.com/${"a".repeat(40)}`;
    const parts = splitForThread(`see ${url} now`, 30);
    expect(parts).toContain(`${url} 2/3`);
    const long = splitForThread("👩‍👩‍👧‍👦".repeat(25), 10);
    expect(long.map((p) => p.replace(/ \d+\/\d+$/, "")).join("")).toBe("👩‍👩‍👧‍👦".repeat(25));
    for (const p of long) expect(graphemeCount(p)).toBeLessThanOrEqual(10);
  });

  it("measures with the network's rules: a URL as 23 on Mastodon", () => {
    const url = `https://example.com/${"p".repeat(200)}`;
    const text = `${"word ".repeat(90)}${url}`;
    const parts = splitForThread(text, 500, (s) => measure(s, { urlChars: 23 }));
    expect(parts).toHaveLength(1);
    expect(splitForThread(text, 300).length).toBeGreaterThan(1);
  });

  it("keeps newlines inside a part and refuses a limit with no room for numbering", () => {
    expect(splitForThread("a\nb c d e f", 9)).toEqual(["a\nb c 1/2", "d e f 2/2"]);
    expect(() => splitForThread("a b c d e", 4)).toThrow(RangeError);
  });

  it("on random texts: every part fits, words stay whole and in order", () => {
    // Words of up to 12 graphemes always fit a part of 20 beside its label (" 100/120" at most).
    const word = fc.array(fc.constantFrom("a", "z", "é", "👍", "👩‍👩‍👧‍👦"), { minLength: 1, maxLength: 12 }).map((cs) => cs.join(""));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 120 }), fc.integer({ min: 20, max: 300 }), (ws, limit) => {
        const parts = splitForThread(ws.join(" "), limit);
        for (const p of parts) expect(graphemeCount(p)).toBeLessThanOrEqual(limit);
        expect(words(parts)).toEqual(ws);
        if (parts.length > 1) parts.forEach((p, i) => expect(p.endsWith(` ${i + 1}/${parts.length}`)).toBe(true));
      }),
      { numRuns: 200 },
    );
  });
});

describe("measure and htmlToText", () => {
  it("counts graphemes, a URL as urlChars, and @user@domain as @user when told", () => {
    expect(measure("👩‍👩‍👧‍👦é")).toBe(2);
    expect(measure("go https://example.com/long/path", { urlChars: 23 })).toBe(26);
    expect(measure("hi @bob@example.social", { mentionDomainsFree: true })).toBe(7);
  });

  it("turns a post's HTML into text", () => {
    expect(htmlToText('<p>Hi <span class="h-card"><a href="x">@<span>bob</span></a></span></p><p>a &amp; b<br/>c &#x1F44D; &lt;3</p>')).toBe("Hi @bob\n\na & b\nc 👍 <3");
  });
});
