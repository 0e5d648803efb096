// Outgoing MIME, read back by an independent parser (postal-mime) and checked against the
// line rules of RFC 5322 (CRLF only, ≤ 998 characters, 7-bit) and RFC 2047 (words ≤ 75).
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { InvalidMail, type OutgoingMail, buildMail, messageIdFor } from "./build";

const base: OutgoingMail = {
  from: { address: "alice@example.org", name: "Alice Liddell" },
  to: [{ address: "bob@example.net" }],
  subject: "Hello",
  text: "Hi Bob",
  messageId: "<k1@example.org>",
  date: new Date("2026-01-20T10:00:00Z"),
};

const text = (raw: Uint8Array) => new TextDecoder().decode(raw);
const headerBlock = (raw: Uint8Array) => text(raw).split("\r\n\r\n")[0]!;

function wellFormed(raw: Uint8Array) {
  const s = text(raw);
  expect(raw.every((b) => b < 128)).toBe(true);
  expect(s.replaceAll("\r\n", "")).not.toMatch(/[\r\n]/);
  for (const line of s.split("\r\n")) expect(line.length).toBeLessThanOrEqual(998);
  for (const word of s.match(/=\?[^?]+\?[BQ]\?[^?]*\?=/g) ?? []) expect(word.length).toBeLessThanOrEqual(75);
}

describe("buildMail", () => {
  it("a plain ASCII mail: the headers a server and a reader expect", async () => {
    const raw = buildMail(base);
    wellFormed(raw);
    expect(headerBlock(raw).split("\r\n")).toEqual([
      "Date: Tue, 20 Jan 2026 10:00:00 +0000",
      "From: Alice Liddell <alice@example.org>",
      "To: bob@example.net",
      "Subject: Hello",
      "Message-ID: <k1@example.org>",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 7bit",
    ]);
    const parsed = await PostalMime.parse(raw);
    expect(parsed.text?.trim()).toBe("Hi Bob");
  });

  it("non-ASCII subject and names become encoded words, cut at characters, and read back the same", async () => {
    const subject = `Grüße 你好 — ${"長い件名".repeat(12)} 👋🏽 end`;
    const raw = buildMail({ ...base, subject, from: { address: "alice@example.org", name: "Zoë \"Z\" Ångström" }, cc: [{ address: "c@example.com", name: "Cécile" }, { address: "d@example.com", name: "Dee, Jr." }] });
    wellFormed(raw);
    const parsed = await PostalMime.parse(raw);
    expect(parsed.subject).toBe(subject);
    expect(parsed.from).toEqual({ address: "alice@example.org", name: 'Zoë "Z" Ångström' });
    expect(parsed.cc).toEqual([{ address: "c@example.com", name: "Cécile" }, { address: "d@example.com", name: "Dee, Jr." }]);
  });

  it("text with trailing spaces, '=', long lines and Unicode survives quoted-printable", async () => {
    const body = `line with trailing space \nx=y and a=3D\n${"long ".repeat(60)}\nТекст ✓\n.starts with a dot\n`;
    const raw = buildMail({ ...base, text: body });
    wellFormed(raw);
    expect(headerBlock(raw)).toContain("Content-Transfer-Encoding: quoted-printable");
    expect((await PostalMime.parse(raw)).text).toBe(body);
  });

  it("an HTML alternative and attachments of any bytes, with a long non-ASCII file name (RFC 2231)", async () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31 + 7) % 256);
    const filename = `Überweisung März ${"sehr-langer-name-".repeat(5)}.pdf`;
    const raw = buildMail({ ...base, html: "<p>Hi <b>Bob</b></p>", attachments: [{ filename, mime: "application/pdf", bytes }, { filename: "a.txt", mime: "text/plain", bytes: new TextEncoder().encode("plain") }] });
    wellFormed(raw);
    const parsed = await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer" });
    expect(parsed.text?.trim()).toBe("Hi Bob");
    expect(parsed.html?.trim()).toBe("<p>Hi <b>Bob</b></p>");
    expect(parsed.attachments.map((a) => [a.filename, a.mimeType, a.disposition])).toEqual([[filename, "application/pdf", "attachment"], ["a.txt", "text/plain", "attachment"]]);
    expect(new Uint8Array(parsed.attachments[0]!.content as ArrayBuffer)).toEqual(bytes);
  });

  it("a reply carries In-Reply-To and References (the thread, then the parent, once each)", async () => {
    const raw = buildMail({ ...base, inReplyTo: "<p2@example.net>", references: ["<r1@example.net>", "<p2@example.net>"] });
    const parsed = await PostalMime.parse(raw);
    expect(parsed.inReplyTo).toBe("<p2@example.net>");
    expect(parsed.references).toBe("<r1@example.net> <p2@example.net>");
    expect(text(buildMail({ ...base, inReplyTo: "p2@example.net" }))).toContain("References: <p2@example.net>\r\n");
  });

  it("a CR or LF in user input cannot add a header", async () => {
    const raw = buildMail({ ...base, subject: "Hi\r\nBcc: victim@example.com", from: { address: "alice@example.org", name: "A\nX-Evil: 1" } });
    const parsed = await PostalMime.parse(raw);
    expect(parsed.headers.map((h) => h.key)).not.toContain("bcc");
    expect(parsed.headers.map((h) => h.key)).not.toContain("x-evil");
    expect(parsed.subject).toBe("Hi Bcc: victim@example.com");
  });

  it("refuses what is not an address, a message id, or a mail without recipients", () => {
    expect(() => buildMail({ ...base, to: [{ address: "bob@example.net>\r\nRCPT TO:<x@y.z" }] })).toThrow(InvalidMail);
    expect(() => buildMail({ ...base, to: [{ address: "no-at-sign" }] })).toThrow(InvalidMail);
    expect(() => buildMail({ ...base, messageId: "<a b@c>" })).toThrow(InvalidMail);
    expect(() => buildMail({ ...base, to: [] })).toThrow(InvalidMail);
  });
});

describe("messageIdFor", () => {
  it("is stable for a key, at the sender's domain, and keeps only dot-atom characters", () => {
    expect(messageIdFor("c_01HX.abc", "alice@example.org")).toBe("<c_01HX.abc@example.org>");
    expect(messageIdFor("c_01HX.abc", "alice@example.org")).toBe(messageIdFor("c_01HX.abc", "alice@example.org"));
    expect(messageIdFor("a b<c>@d..e.", "alice@example.org")).toBe("<abcd.e@example.org>");
  });
});
