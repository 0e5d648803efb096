// The mail parser and builder inside workerd, where they run in production: its
// TextDecoder, crypto and postal-mime's ESM build, not Node's. The full corpus runs in Node
// (parse.node.test.ts); these are the cases that depend on the runtime.
import { describe, expect, it } from "vitest";
import { buildMail } from "./build";
import { mailId } from "./identity";
import { parseMail } from "./parse";

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("mail parsing in workerd", () => {
  it("decodes encoded words in the charsets mail uses", async () => {
    const raw = [
      "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>",
      "Subject: =?UTF-8?B?5L2g5aW9?= =?GB2312?B?xOO6ww==?= =?KOI8-R?Q?=F0=D2=C9=D7=C5=D4?= =?Shift_JIS?B?g2WDWINn?= =?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=",
      "",
      "x",
    ].join("\r\n");
    const m = await parseMail(raw);
    expect(m.from.name).toBe("André");
    expect(m.subject).toBe("你好你好Приветテスト日本");
  });

  it("reads 8-bit ISO-8859-1 headers and bodies", async () => {
    const raw = latin1("From: J\xfcrgen <j@example.de>\r\nSubject: Gr\xfc\xdfe\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nK\xf6ln\r\n");
    const m = await parseMail(raw);
    expect([m.from.name, m.subject, m.text.trim()]).toEqual(["Jürgen", "Grüße", "Köln"]);
  });

  it("builds a mail that parses back, and hashes a header block for an id", async () => {
    const raw = buildMail({ from: { address: "a@example.org", name: "Ä" }, to: [{ address: "b@example.net" }], subject: "Grüße", text: "Hallo ✓", messageId: "<k@example.org>", attachments: [{ filename: "ä.bin", mime: "application/octet-stream", bytes: Uint8Array.of(0, 1, 2, 255) }] });
    const m = await parseMail(raw);
    expect([m.subject, m.text.trim(), m.from.name, m.attachments[0]?.filename]).toEqual(["Grüße", "Hallo ✓", "Ä", "ä.bin"]);
    expect(m.attachments[0]?.bytes).toEqual(Uint8Array.of(0, 1, 2, 255));
    expect(await mailId(raw, undefined)).toMatch(/^h:[0-9a-f]{32}$/);
  });
});
