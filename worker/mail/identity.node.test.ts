import { describe, expect, it } from "vitest";
import { mailId, snippet } from "./identity";

const enc = (s: string) => new TextEncoder().encode(s);

describe("mailId", () => {
  it("is the Message-ID when there is one", async () => {
    expect(await mailId(enc("Message-ID: <a@b>\r\n\r\nx"), "<a@b>")).toBe("<a@b>");
  });

  it("without one, a hash of the header block: the same for the same headers whatever the body, different for other headers", async () => {
    const a = await mailId(enc("From: a@example.com\r\nSubject: x\r\n\r\nbody one"), undefined);
    expect(a).toMatch(/^h:[0-9a-f]{32}$/);
    expect(await mailId(enc("From: a@example.com\r\nSubject: x\r\n\r\nbody two"), undefined)).toBe(a);
    expect(await mailId(enc("From: a@example.com\r\nSubject: y\r\n\r\nbody one"), undefined)).not.toBe(a);
  });
});

describe("snippet", () => {
  it("drops quoted replies, the attribution line and the signature, and collapses white space", () => {
    const text = "Sounds good,\n\n  see you   then.\n\nOn Mon, 12 Jan 2026, Bob <bob@example.net> wrote:\n> earlier\n> text\n-- \nAlice\n555-1234";
    expect(snippet(text)).toBe("Sounds good, see you then.");
  });

  it("is cut at the limit with an ellipsis", () => {
    const s = snippet("word ".repeat(100), 20);
    expect(s.length).toBeLessThanOrEqual(20);
    expect(s.endsWith("…")).toBe(true);
  });

  it("of an empty or all-quoted text is empty", () => {
    expect(snippet("")).toBe("");
    expect(snippet("> only\n> quotes")).toBe("");
  });
});
