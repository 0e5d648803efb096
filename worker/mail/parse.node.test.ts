// The odd-mail corpus (testdata/*.eml, plus generated messages too big or too random to
// keep as files): every one parses without throwing, and what the user would see of it
// is here, field by field. The same parser runs in workerd (parse.test.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAIL_ATTACHMENT_LIMIT, MAIL_HTML_CHARS, parseMail } from "./parse";

const corpus = (name: string) => readFileSync(join(import.meta.dirname, "testdata", name));
const receivedAt = Date.parse("2026-02-01T00:00:00Z");
const parse = (raw: Uint8Array | string, opts = {}) => parseMail(raw, { receivedAt, ...opts });

describe("parseMail on the corpus", () => {
  it("no text part: the attachment is kept and the text is empty", async () => {
    const m = await parse(corpus("no-text-part.eml"));
    expect(m).toMatchObject({ subject: "Scan 2026-01-12", text: "", from: { address: "scanner@office.example", name: "Scanner" }, messageId: "<scan-0112@office.example>" });
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ filename: "scan.pdf", mime: "application/pdf", size: 77 });
    expect(new TextDecoder().decode(m.attachments[0]!.bytes!)).toMatch(/^%PDF-1\.4/);
    expect(m.unreadable).toBeUndefined();
  });

  it("only HTML: the HTML is kept and a plain reading of it becomes the text", async () => {
    const m = await parse(corpus("html-only.eml"));
    expect(m.html).toContain("<h1>Winter sale</h1>");
    expect(m.text).toBe("Winter sale\n\nEverything & more — up to 50% off.\n\n• Coats\n\n• Boots\n\nShop now (https://shop.example/sale)");
    // What is not text (title, style, script, comments) stays out of it.
    expect(m.text).not.toMatch(/ignore me|color|alert|tracking/);
  });

  it("8-bit ISO-8859-1 headers without encoded words are read in the message's charset", async () => {
    const m = await parse(corpus("eight-bit-headers.eml"));
    expect(m.subject).toBe("Grüße aus Köln");
    expect(m.from).toEqual({ address: "jm@alt.example", name: "Jürgen Müller" });
    expect(m.text.trim()).toBe("Schöne Grüße, bis Donnerstag.");
  });

  it("encoded words in several charsets (UTF-8, GB2312, KOI8-R, Shift_JIS, ISO-2022-JP, ISO-8859-1) and an RFC 2231 file name", async () => {
    const m = await parse(corpus("encoded-words.eml"));
    expect(m.subject).toBe("你好你好Приветテスト日本café");
    expect(m.from).toEqual({ address: "andre@example.fr", name: "André Grün" });
    expect(m.to).toEqual([{ address: "zhang@example.cn", name: "张三" }, { address: "plain@example.org", name: "Plain Name" }]);
    expect(m.cc).toEqual([{ address: "ivan@example.ru", name: "Привет" }]);
    expect(m.text.trim()).toBe("Bonjour, 你好, Привет.");
    expect(m.attachments.map((a) => a.filename)).toEqual(["报告.pdf"]);
  });

  it("nested multipart: text and HTML from the alternative, the inline picture with its Content-ID, a forwarded message, a zip, the thread headers", async () => {
    const m = await parse(corpus("nested-multipart.eml"));
    expect(m.text.trim()).toBe("Here are the photos.");
    expect(m.html).toContain('<img src="cid:pic1@example.net">');
    expect(m.attachments.map((a) => [a.filename, a.mime, a.contentId])).toEqual([
      ["pic.png", "image/png", "<pic1@example.net>"],
      ["note.eml", "message/rfc822", undefined],
      ["photos.zip", "application/zip", undefined],
    ]);
    expect(m).toMatchObject({ inReplyTo: "<parent-2@example.org>", references: ["<root-1@example.org>", "<parent-2@example.org>"], at: Date.parse("2026-01-16T17:00:00Z") });
    expect(m).toMatchObject({ auth: { spf: "pass", dkim: "pass", dmarc: "pass" }, verdict: "authenticated" });
  });

  it("a broken MIME boundary: the body is shown as it came and the message is kept whole", async () => {
    const raw = corpus("broken-boundary.eml");
    const m = await parse(raw);
    expect(m.unreadable).toBe(true);
    expect(m.subject).toBe("The boundary is wrong");
    expect(m.text).toContain("The words that must not be lost.");
    expect(m.attachments).toMatchObject([{ filename: "original.eml", mime: "message/rfc822", size: raw.length }]);
    expect(new Uint8Array(m.attachments[0]!.bytes!)).toEqual(new Uint8Array(raw));
  });

  it("a multipart cut off in the middle keeps what arrived", async () => {
    const m = await parse(corpus("unterminated-multipart.eml"));
    expect(m.text.trim()).toBe("The text arrived.");
    expect(m.attachments.map((a) => a.filename)).toEqual(["half.pdf"]);
    expect(m.unreadable).toBeUndefined();
  });

  it("a missing Date takes the arrival time; a date far in the future is not believed", async () => {
    expect((await parse(corpus("missing-date.eml"))).at).toBe(receivedAt);
    expect((await parse(corpus("future-date.eml"))).at).toBe(receivedAt);
    expect((await parse("From: a@example.com\r\nDate: not a date at all\r\n\r\nx")).at).toBe(receivedAt);
  });

  it("a forged sender: the receiving server's header counts, not the one the sender wrote below it", async () => {
    const m = await parse(corpus("forged.eml"));
    expect(m).toMatchObject({ auth: { spf: "fail", dkim: "fail", dmarc: "fail" }, verdict: "possibly_forged" });
    // Told which server is ours, the sender's own claim is not used either.
    expect((await parse(corpus("forged.eml"), { trustedAuthServId: "mx.example.org" })).verdict).toBe("possibly_forged");
    expect((await parse(corpus("forged.eml"), { trustedAuthServId: "mx.other.example" })).auth).toBeUndefined();
  });

  it("with a trusted server that forwards (ARC), its ARC-Authentication-Results count; never without one", async () => {
    const raw = "ARC-Authentication-Results: i=1; mx.cloudflare.net; dkim=pass header.d=a.example; spf=pass; dmarc=pass\r\nFrom: a@a.example\r\n\r\nx";
    expect((await parse(raw, { trustedAuthServId: "mx.cloudflare.net" })).verdict).toBe("authenticated");
    expect((await parse(raw)).verdict).toBe("unverified");
  });
});

describe("parseMail on generated odd mail", () => {
  it("an attachment over the limit: the mail and the attachment's name and size are kept, the bytes are not", async () => {
    const size = MAIL_ATTACHMENT_LIMIT + 1024;
    const big = new Uint8Array(size).fill(0x41);
    const raw = [
      "From: big@example.com", "To: alice@example.org", "Subject: The big one", 'Content-Type: multipart/mixed; boundary="B"', "",
      "--B", "Content-Type: text/plain", "", "See the attachment.",
      "--B", "Content-Type: application/octet-stream", 'Content-Disposition: attachment; filename="disk.img"', "Content-Transfer-Encoding: base64", "",
      Buffer.from(big).toString("base64").replace(/.{76}/g, "$&\r\n"), "--B--", "",
    ].join("\r\n");
    const m = await parse(raw);
    expect(m.text.trim()).toBe("See the attachment.");
    expect(m.attachments).toEqual([{ filename: "disk.img", mime: "application/octet-stream", size, omitted: "too_large" }]);
  }, 60_000);

  it("garbage bytes: no crash, and the bytes are kept as original.eml", async () => {
    let seed = 7;
    const raw = Uint8Array.from({ length: 5000 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256);
    const m = await parse(raw);
    expect(m.unreadable).toBe(true);
    expect(m.attachments.at(-1)).toMatchObject({ filename: "original.eml", size: 5000 });
    expect(m.attachments.at(-1)!.bytes).toEqual(raw);
    expect(m.text).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
    expect(m.at).toBe(receivedAt);
  });

  it("a structure the parser refuses (MIME nested 300 deep) is kept whole instead of failing", async () => {
    const open = Array.from({ length: 300 }, (_, i) => `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n`).join("");
    const raw = `From: deep@example.com\r\nSubject: Deep\r\n${open}Content-Type: text/plain\r\n\r\nbottom\r\n`;
    const m = await parse(raw);
    expect(m.unreadable).toBe(true);
    expect(m.text).toContain("bottom");
    expect(m.attachments.map((a) => a.filename)).toEqual(["original.eml"]);
  });

  it("empty input and a mail with headers only are empty mails, not errors", async () => {
    expect(await parse("")).toMatchObject({ subject: "", text: "", attachments: [], from: { address: "" } });
    const headersOnly = await parse("From: a@example.com\r\nSubject: Only a subject\r\n\r\n");
    expect(headersOnly).toMatchObject({ subject: "Only a subject", text: "", attachments: [] });
    expect(headersOnly.unreadable).toBeUndefined();
  });

  it("HTML over the inline limit moves to an attachment, and the text reading stays", async () => {
    const html = `<p>${"word ".repeat(MAIL_HTML_CHARS / 5 + 10)}</p>`;
    const m = await parse(`From: a@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}`);
    expect(m.html).toBeUndefined();
    expect(m.text.startsWith("word word")).toBe(true);
    expect(m.attachments).toMatchObject([{ filename: "message.html", mime: "text/html" }]);
  });

  it("a From that is a group, and a message with only Sender, still have a sender", async () => {
    expect((await parse("From: Team: a@example.com, b@example.com;\r\n\r\nx")).from).toEqual({ address: "a@example.com" });
    expect((await parse("Sender: s@example.com\r\n\r\nx")).from).toEqual({ address: "s@example.com" });
  });
});
