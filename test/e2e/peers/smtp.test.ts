// The SMTP submission peer, driven by nodemailer from Node: a mail with an attachment comes
// out parsed; both AUTH mechanisms work; a wrong password is 535, no login is 530, too big is 552.
import { connect } from "node:net";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Smtp, startSmtp } from "../../support/peers/smtp";

let smtp: Smtp;

const transport = (auth?: { user: string; pass: string }, method?: "PLAIN" | "LOGIN") =>
  nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true, auth, authMethod: method });

/** Talks SMTP on a bare socket: sends each line after the previous reply, returns every reply. */
function converse(port: number, lines: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const replies: string[] = [];
    let buffer = "";
    socket.setTimeout(5000, () => reject(new Error(`stuck after ${replies.join(" | ")}`)));
    socket.on("data", (d) => {
      buffer += d;
      // A reply is complete at a line "NNN text" (a "NNN-" line means more follows).
      while (/^\d{3} .*\r\n/m.test(buffer)) {
        const end = buffer.search(/^\d{3} .*\r\n/m);
        const lineEnd = buffer.indexOf("\r\n", end) + 2;
        replies.push(buffer.slice(0, lineEnd));
        buffer = buffer.slice(lineEnd);
        const next = lines.shift();
        if (next === undefined) {
          socket.destroy();
          return resolve(replies);
        }
        socket.write(`${next}\r\n`);
      }
    });
  });
}

beforeAll(async () => {
  const t0 = Date.now();
  smtp = await startSmtp({ users: { alice: "secret" }, maxSize: 100_000 });
  console.info(`smtp started in ${Date.now() - t0} ms`);
});

afterAll(async () => smtp?.stop());

describe("smtp peer", () => {
  it("accepts a mail with an attachment and parses it", async () => {
    const pdf = Buffer.from("%PDF-1.4 not really a pdf \u00e9", "utf8");
    const info = await transport({ user: "alice", pass: "secret" }).sendMail({
      from: '"Alice A." <alice@example.test>',
      to: "bob@example.test",
      cc: ["carol@example.test", '"Dan" <dan@example.test>'],
      subject: "Quarterly report \u2014 draft",
      text: "See attached.",
      html: "<p>See <b>attached</b>.</p>",
      attachments: [{ filename: "report.pdf", content: pdf, contentType: "application/pdf" }],
    });
    expect(info.rejected).toEqual([]);

    const got = await smtp.waitFor((m) => m.parsed.messageId === info.messageId);
    expect(got.user).toBe("alice");
    expect(got.envelope).toEqual({ from: "alice@example.test", to: ["bob@example.test", "carol@example.test", "dan@example.test"] });
    expect(got.parsed).toMatchObject({
      subject: "Quarterly report \u2014 draft",
      from: { name: "Alice A.", address: "alice@example.test" },
      to: [{ address: "bob@example.test" }],
      cc: [{ address: "carol@example.test" }, { name: "Dan", address: "dan@example.test" }],
    });
    // postal-mime keeps the line break that ends each part's body.
    expect([got.parsed.text?.trim(), got.parsed.html?.trim()]).toEqual(["See attached.", "<p>See <b>attached</b>.</p>"]);
    expect(got.parsed.attachments).toHaveLength(1);
    const [att] = got.parsed.attachments;
    expect({ filename: att.filename, contentType: att.contentType, size: att.size }).toEqual({ filename: "report.pdf", contentType: "application/pdf", size: pdf.length });
    expect(att.content.equals(pdf)).toBe(true);
    expect(got.parsed.headers.find((h) => h.key === "subject")).toBeDefined();
    expect(got.raw.toString()).toMatch(/^Content-Type: multipart\/mixed/m);
  });

  it("logs in with AUTH LOGIN as well as PLAIN", async () => {
    for (const method of ["PLAIN", "LOGIN"] as const) {
      const info = await transport({ user: "alice", pass: "secret" }, method).sendMail({ from: "alice@example.test", to: "bob@example.test", subject: `via ${method}`, text: "x" });
      await smtp.waitFor((m) => m.parsed.messageId === info.messageId);
    }
  });

  it("refuses a wrong password with 535 and an unknown user likewise", async () => {
    const before = smtp.received.length;
    await expect(transport({ user: "alice", pass: "wrong" }).sendMail({ from: "alice@example.test", to: "bob@example.test", text: "x" })).rejects.toMatchObject({ responseCode: 535 });
    await expect(transport({ user: "mallory", pass: "secret" }, "LOGIN").sendMail({ from: "m@example.test", to: "bob@example.test", text: "x" })).rejects.toMatchObject({ responseCode: 535 });
    expect(smtp.refusedLogins).toEqual(expect.arrayContaining(["alice", "mallory"]));
    expect(smtp.received.length).toBe(before);
  });

  it("refuses mail before AUTH with 530", async () => {
    const replies = await converse(smtp.port, ["EHLO client.test", "MAIL FROM:<alice@example.test>"]);
    expect(replies[1]).toMatch(/AUTH=?[^\r]*PLAIN/);
    expect(replies[2]).toMatch(/^530 /);
  });

  it("refuses a message larger than the limit with 552", async () => {
    const big = "x".repeat(200_000);
    await expect(transport({ user: "alice", pass: "secret" }).sendMail({ from: "alice@example.test", to: "bob@example.test", text: big })).rejects.toMatchObject({ responseCode: 552 });
  });
});
