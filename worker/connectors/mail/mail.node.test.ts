// The mail connector against a real Dovecot (IMAP, IDLE, STARTTLS, implicit TLS) and a real
// SMTP submission server (npm smtp-server), both started here on 127.0.0.1.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/dev-server";
import { type Dovecot, startDovecot } from "../../../test/support/peers/dovecot";
import { type Smtp, startSmtp } from "../../../test/support/peers/smtp";
import { nodeIO, recorder } from "../../../test/support/node-io";
import type { LiveSession, RemoteEvent, RemoteMail } from "../types";
import { sendViaRelay } from "../../mail/relay";
import { type MailCredentials, POLL_MAX, mail } from "./index";
import { FIRST_IMPORT, MAX_MESSAGE_BYTES } from "./sync";

const DAY = 86_400_000;
let dovecot: Dovecot;
let smtp: Smtp;
let users = 0;

beforeAll(async () => {
  [dovecot, smtp] = await Promise.all([startDovecot({ tls: true }), startSmtp({ users: { sender: "smtp-secret" }, maxSize: 2 * 1024 * 1024 })]);
});
afterAll(async () => {
  await Promise.all([dovecot?.stop(), smtp?.stop()]);
});

/** A new mailbox user with its credentials (each test its own, so tests do not see each other's mail). */
async function account(over: { imap?: Partial<MailCredentials["imap"]>; smtp?: Partial<MailCredentials["smtp"]> } = {}): Promise<MailCredentials & { user: string }> {
  const user = `u${++users}_${Date.now() % 100000}`;
  await dovecot.addUser(user, "imap-secret");
  return {
    user,
    address: `${user}@example.org`,
    name: "Alice Liddell",
    imap: { host: "127.0.0.1", port: dovecot.port, security: "plain", user, password: "imap-secret", ...over.imap },
    smtp: { host: "127.0.0.1", port: smtp.port, security: "plain", user: "sender", password: "smtp-secret", ...over.smtp },
  };
}

let serial = 0;
function message(subject: string, extra: string[] = []): string {
  return [`From: Bob <bob@example.net>`, "To: alice@example.org", `Subject: ${subject}`, `Message-ID: <m${++serial}.${Date.now()}@example.net>`, "Date: Mon, 19 Jan 2026 10:00:00 +0000", ...extra, "", `Body of ${subject}.`, ""].join("\r\n");
}

const mails = (events: RemoteEvent[]) => events.flatMap((e) => (e.type === "mail" ? [e.mail] : []));
const subjects = (events: RemoteEvent[]) => mails(events).map((m) => m.subject);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const doveadm = (...args: string[]) => promisify(execFile)("doveadm", ["-c", join(dovecot.dir, "dovecot.conf"), ...args]);
const sessionsOf = async (user: string) => (await doveadm("who", user)).stdout.split("\n").filter((l) => l.startsWith(`${user} `)).length;

describe("binding", () => {
  it("good credentials verify against both servers, over plain, STARTTLS and implicit TLS", async () => {
    const a = await account();
    const io = nodeIO("mail");
    expect(await mail.verify(a, io)).toEqual({ ok: true, remote: { id: a.address, name: "Alice Liddell" } });
    expect((await mail.verify({ ...a, imap: { ...a.imap, security: "starttls" } }, io)).ok).toBe(true);
    expect((await mail.verify({ ...a, imap: { ...a.imap, security: "tls", port: dovecot.tls!.imapsPort } }, io)).ok).toBe(true);
  });

  it("a wrong IMAP password and a wrong SMTP password are bad_credentials naming the server that refused", async () => {
    const a = await account();
    const io = nodeIO("mail");
    expect(await mail.verify({ ...a, imap: { ...a.imap, password: "wrong" } }, io)).toEqual({ ok: false, code: "bad_credentials", message: "IMAP: 127.0.0.1 refused the login: Authentication failed." });
    const smtpRefused = await mail.verify({ ...a, smtp: { ...a.smtp, password: "wrong" } }, io);
    expect(smtpRefused).toMatchObject({ ok: false, code: "bad_credentials" });
    expect(!smtpRefused.ok && smtpRefused.message).toMatch(/^SMTP: wrong password for 127\.0\.0\.1 \(535 .*\)$/);
    expect(smtp.refusedLogins).toContain("sender");
  });

  it("a server nobody listens on is unreachable; a host the guard refuses is invalid input", async () => {
    const a = await account();
    const closed = await mail.verify({ ...a, imap: { ...a.imap, port: await freePort() } }, nodeIO("mail"));
    expect(closed).toMatchObject({ ok: false, code: "unreachable" });
    const guarded = await mail.verify(a, nodeIO("mail", { allowPrivate: "" }));
    expect(guarded).toEqual({ ok: false, code: "invalid_input", message: "IMAP: 127.0.0.1 is a private or reserved address; Unibox does not connect there" });
  });

  it("the credential schema takes the documented shape and refuses others", () => {
    const good = { address: "a@example.org", imap: { host: "imap.example.org", port: 993, security: "tls", user: "a", password: "p" }, smtp: { host: "smtp.example.org", port: "587", security: "starttls", user: "a", password: "p" } };
    expect(mail.credentials.parse(good).smtp.port).toBe(587);
    expect(mail.credentials.safeParse({ ...good, imap: { ...good.imap, security: "ssl" } }).success).toBe(false);
    expect(mail.credentials.safeParse({ ...good, address: "not an address" }).success).toBe(false);
    expect(mail.credentials.safeParse({ ...good, extra: 1 }).success).toBe(false);
  });
});

describe("receiving", () => {
  it("first connect imports the recent mail only, then a mail appended during IDLE is pushed within 2 s", async () => {
    const a = await account();
    for (const n of [1, 2, 3]) await dovecot.append(a.user, message(`old ${n}`), { date: new Date(Date.now() - 30 * DAY) });
    for (const n of [1, 2]) await dovecot.append(a.user, message(`recent ${n}`));
    const io = nodeIO("mail");
    const rec = recorder();
    const session = await mail.connect(a, io, null, rec);
    try {
      expect(subjects(rec.events)).toEqual(["recent 1", "recent 2"]);
      const status = await dovecot.status(a.user);
      expect(rec.cursor).toBe(`v${status.uidValidity}:5`);
      expect(rec.states.map((s) => s.state)).toEqual(["connecting", "connected"]);
      await sleep(200); // IDLE is on
      const appended = Date.now();
      await dovecot.append(a.user, message("live one"));
      await rec.until(() => subjects(rec.events).includes("live one"), 2000);
      expect(Date.now() - appended).toBeLessThan(2000);
      expect(rec.cursor).toBe(`v${status.uidValidity}:6`);
      const live = mails(rec.events).at(-1)!;
      expect(live).toMatchObject({ from: { address: "bob@example.net", name: "Bob" }, to: [{ address: "alice@example.org" }], text: "Body of live one." });
      expect(live.remoteId).toBe(live.messageId);
    } finally {
      await session.close();
    }
  });

  it("closed, three appended, connect from the cursor: exactly those three, once; close leaves no session on the server", async () => {
    const a = await account();
    await dovecot.append(a.user, message("before"));
    const io = nodeIO("mail");
    const first = recorder();
    await (await mail.connect(a, io, null, first)).close();
    expect(await sessionsOf(a.user)).toBe(0);
    for (const n of [1, 2, 3]) await dovecot.append(a.user, message(`while away ${n}`));
    const second = recorder();
    const session = await mail.connect(a, io, first.cursor, second);
    try {
      await sleep(300); // anything extra would have come by now
      expect(subjects(second.events)).toEqual(["while away 1", "while away 2", "while away 3"]);
    } finally {
      await session.close();
    }
  });

  it("a UIDVALIDITY change neither duplicates nor drops: mail seen before is skipped, mail new since is imported", async () => {
    const a = await account();
    for (const n of [1, 2]) await dovecot.append(a.user, message(`seen ${n}`));
    const io = nodeIO("mail");
    const rec = recorder();
    const session = await mail.connect(a, io, null, rec);
    expect(subjects(rec.events)).toEqual(["seen 1", "seen 2"]);
    await dovecot.append(a.user, message("missed before the reset"));
    await rec.until(() => subjects(rec.events).length === 3);
    await session.close();
    await dovecot.append(a.user, message("arrived while away"));
    const { previous, uidValidity } = await dovecot.resetUidValidity(a.user);
    expect(rec.cursor).toBe(`v${previous}:3`);
    const after = recorder();
    const again = await mail.connect(a, io, rec.cursor, after);
    try {
      expect(subjects(after.events)).toEqual(["arrived while away"]);
      expect(after.cursor).toBe(`v${uidValidity}:4`);
      await dovecot.append(a.user, message("after the reset"));
      await after.until(() => subjects(after.events).length === 2);
      expect(subjects(after.events)).toEqual(["arrived while away", "after the reset"]);
      expect(after.cursor).toBe(`v${uidValidity}:5`);
    } finally {
      await again.close();
    }
  });

  it("a UIDVALIDITY change during a live session ends it as transient (the server's BYE)", async () => {
    const a = await account();
    await dovecot.append(a.user, message("one"));
    const session = await mail.connect(a, nodeIO("mail"), null, recorder());
    await dovecot.resetUidValidity(a.user);
    const ended = await session.ended;
    expect(ended.kind).toBe("transient");
  });

  it("a server restart ends the session as transient; connecting again catches up", async () => {
    const a = await account();
    const io = nodeIO("mail");
    const rec = recorder();
    const session: LiveSession = await mail.connect(a, io, null, rec);
    await dovecot.restart();
    expect((await session.ended).kind).toBe("transient");
    await dovecot.append(a.user, message("after restart"));
    const again = recorder();
    const next = await mail.connect(a, io, rec.cursor, again);
    try {
      expect(subjects(again.events)).toEqual(["after restart"]);
    } finally {
      await next.close();
    }
  });

  it("IDLE is renewed on schedule and mail still arrives", async () => {
    const a = await account();
    const io = nodeIO("mail", { config: { MAIL_IDLE_RENEW_MS: "150" } });
    const rec = recorder();
    const session = await mail.connect(a, io, null, rec);
    try {
      await sleep(700);
      expect(io.logs.filter((l) => l.event === "mail.idle_renewed").length).toBeGreaterThanOrEqual(3);
      await dovecot.append(a.user, message("after renewals"));
      await rec.until(() => subjects(rec.events).includes("after renewals"), 2000);
    } finally {
      await session.close();
    }
  });

  it("attachments are stored with io.media.put and referenced by id; HTML and the sender verdict come along", async () => {
    const a = await account();
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64");
    const raw = [
      "From: bob@example.net", "To: alice@example.org", "Subject: With a picture", "Message-ID: <pic@example.net>",
      "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=example.net; dkim=pass header.d=example.net; dmarc=pass",
      'Content-Type: multipart/mixed; boundary="b"', "", "--b", "Content-Type: text/html; charset=utf-8", "", "<p>See <b>this</b></p>",
      "--b", "Content-Type: image/png", 'Content-Disposition: attachment; filename="dot.png"', "Content-Transfer-Encoding: base64", "", png.toString("base64"), "--b--", "",
    ].join("\r\n");
    await dovecot.append(a.user, raw);
    const io = nodeIO("mail");
    const rec = recorder();
    await (await mail.connect(a, io, null, rec)).close();
    const [m] = mails(rec.events) as (RemoteMail & { auth: { verdict: string } })[];
    expect(m).toMatchObject({ remoteId: "<pic@example.net>", subject: "With a picture", text: "See this", html: "<p>See <b>this</b></p>\n", auth: { spf: "pass", dkim: "pass", dmarc: "pass", verdict: "authenticated" } });
    expect(m!.attachments).toEqual([{ media: expect.any(String), type: "image", filename: "dot.png", mime: "image/png", size: png.length }]);
    expect(io.stored.get(m!.attachments![0]!.media)).toEqual({ bytes: new Uint8Array(png), mime: "image/png", filename: "dot.png" });
  });
});

describe("limits", () => {
  it(`first connect takes the newest ${FIRST_IMPORT.max} mails of the last ${FIRST_IMPORT.days} days; a poll takes ${POLL_MAX} and asks to be called again at once`, async () => {
    const a = await account();
    const many = FIRST_IMPORT.max + 2;
    for (let n = 1; n <= many; n++) await dovecot.append(a.user, message(`n${n}`));
    const rec = recorder();
    await (await mail.connect(a, nodeIO("mail"), null, rec)).close();
    expect(subjects(rec.events)).toEqual(Array.from({ length: FIRST_IMPORT.max }, (_, i) => `n${i + 3}`));
    expect(rec.cursor).toMatch(new RegExp(`:${many}$`));

    const b = await account();
    const io = nodeIO("mail");
    const empty = await mail.poll(b, io, null);
    for (let n = 1; n <= POLL_MAX + 2; n++) await dovecot.append(b.user, message(`p${n}`));
    const first = await mail.poll(b, io, empty.cursor);
    expect(first.events).toHaveLength(POLL_MAX);
    expect(first.nextInMs).toBe(0);
    const second = await mail.poll(b, io, first.cursor);
    expect(subjects(second.events)).toEqual([`p${POLL_MAX + 1}`, `p${POLL_MAX + 2}`]);
    expect(second.nextInMs).toBeUndefined();
  });

  it("a mail larger than the fetch limit arrives by its headers, saying so, instead of not at all", async () => {
    const a = await account();
    const filler = "x".repeat(998) + "\r\n";
    const big = message("huge", ["Content-Type: text/plain"]) + filler.repeat(Math.ceil(MAX_MESSAGE_BYTES / filler.length) + 10);
    await dovecot.append(a.user, big);
    await dovecot.append(a.user, message("small after it"));
    const rec = recorder();
    await (await mail.connect(a, nodeIO("mail"), null, rec)).close();
    expect(subjects(rec.events)).toEqual(["huge", "small after it"]);
    const [huge] = mails(rec.events);
    expect(huge).toMatchObject({ from: { address: "bob@example.net" }, omitted: "too_large", attachments: [] });
    expect(huge!.text).toMatch(/^This message is 25\.\d MB, too large for Unibox to fetch/);
  }, 60_000);
});

describe("polling", () => {
  it("no cursor: the recent mail; then only what is new by UID; nothing twice", async () => {
    const a = await account();
    await dovecot.append(a.user, message("old"), { date: new Date(Date.now() - 30 * DAY) });
    await dovecot.append(a.user, message("recent"));
    const io = nodeIO("mail");
    const first = await mail.poll(a, io, null);
    expect(subjects(first.events)).toEqual(["recent"]);
    const { uidValidity } = await dovecot.status(a.user);
    expect(first.cursor).toBe(`v${uidValidity}:2`);
    for (const n of [1, 2]) await dovecot.append(a.user, message(`new ${n}`));
    const second = await mail.poll(a, io, first.cursor);
    expect(subjects(second.events)).toEqual(["new 1", "new 2"]);
    expect(second.cursor).toBe(`v${uidValidity}:4`);
    const third = await mail.poll(a, io, second.cursor);
    expect(third).toEqual({ events: [], cursor: second.cursor });
    expect(await sessionsOf(a.user)).toBe(0);
  });

  it("after a UIDVALIDITY change, a poll skips what earlier polls delivered", async () => {
    const a = await account();
    await dovecot.append(a.user, message("delivered"));
    const io = nodeIO("mail");
    const first = await mail.poll(a, io, null);
    await mail.poll(a, io, first.cursor); // the link came back with the cursor: the hub has "delivered"
    await dovecot.append(a.user, message("new"));
    await dovecot.resetUidValidity(a.user);
    const after = await mail.poll(a, io, first.cursor);
    expect(subjects(after.events)).toEqual(["new"]);
  });

  it("a wrong password while polling is RemoteError auth", async () => {
    const a = await account();
    await expect(mail.poll({ ...a, imap: { ...a.imap, password: "changed" } }, nodeIO("mail"), null)).rejects.toMatchObject({ kind: "auth" });
  });
});

describe("sending", () => {
  it("a mail with an attachment arrives with the right headers, body and bytes; bcc only in the envelope", async () => {
    const a = await account();
    const io = nodeIO("mail");
    const pdf = new TextEncoder().encode("%PDF-1.4\n%%EOF\n");
    const { id } = await io.media.put(pdf, "application/pdf", "Bericht März.pdf");
    const out = {
      key: "c_send1",
      chat: "Bob <bob@example.net>",
      body: { type: "email" as const, subject: "Grüße — the report", text: "Hi Bob,\n.the report is attached.\n", html: "<p>Hi Bob, the report is attached.</p>", attachments: [id], cc: ["carol@example.com"], bcc: ["dave@example.com"] },
      replyTo: "<parent@example.net>",
    };
    const result = await mail.send(a, io, out);
    expect(result).toEqual({ ok: true, remoteId: `<c_send1@example.org>`, at: expect.any(Number) });
    const got = await smtp.waitFor((m) => m.parsed.messageId === "<c_send1@example.org>");
    expect(got.envelope).toEqual({ from: a.address, to: ["bob@example.net", "carol@example.com", "dave@example.com"] });
    expect(got.user).toBe("sender");
    expect(got.parsed).toMatchObject({
      subject: "Grüße — the report",
      from: { name: "Alice Liddell", address: a.address },
      to: [{ name: "Bob", address: "bob@example.net" }],
      cc: [{ name: "", address: "carol@example.com" }],
    });
    // The line that starts with "." came through dot-stuffing whole (postal-mime keeps the
    // CRLF before a boundary, hence trimEnd).
    expect(got.parsed.text?.trimEnd()).toBe("Hi Bob,\n.the report is attached.");
    expect(got.parsed.html?.trim()).toBe("<p>Hi Bob, the report is attached.</p>");
    expect(got.parsed.headers.find((h) => h.key === "in-reply-to")?.value).toBe("<parent@example.net>");
    expect(got.parsed.headers.some((h) => h.key === "bcc")).toBe(false);
    expect(got.parsed.attachments).toEqual([{ filename: "Bericht März.pdf", contentType: "application/pdf", size: pdf.length, content: Buffer.from(pdf) }]);
  });

  it("a wrong SMTP password is RemoteError auth saying which server", async () => {
    const a = await account({ smtp: { password: "wrong" } });
    const out = { key: "c_wrong", chat: "bob@example.net", body: { type: "email" as const, subject: "x", text: "y" } };
    await expect(mail.send(a, nodeIO("mail"), out)).rejects.toMatchObject({ kind: "auth", message: expect.stringMatching(/^wrong password for 127\.0\.0\.1 \(535 /) });
  });

  it("a mail over the server's size limit is refused for good with the server's words", async () => {
    const a = await account();
    const io = nodeIO("mail");
    const { id } = await io.media.put(new Uint8Array(3 * 1024 * 1024), "application/octet-stream", "big.bin");
    const out = { key: "c_big", chat: "bob@example.net", body: { type: "email" as const, subject: "big", text: "big", attachments: [id] } };
    const result = await mail.send(a, io, out);
    expect(result).toMatchObject({ ok: false, code: "mail_refused", retryable: false });
    expect(!result.ok && result.message).toMatch(/^127\.0\.0\.1 refused the mail: 552 /);
  });

  it("what cannot be sent is refused before connecting: another body type, a bad address, a missing attachment", async () => {
    const a = await account({ smtp: { port: await freePort() } }); // nothing listens: any connection would fail
    const io = nodeIO("mail");
    expect(await mail.send(a, io, { key: "k1", chat: "bob@example.net", body: { type: "text", text: "hi" } })).toMatchObject({ ok: false, code: "unsupported_body" });
    expect(await mail.send(a, io, { key: "k2", chat: "not an address", body: { type: "email", subject: "s", text: "t" } })).toMatchObject({ ok: false, code: "invalid_target" });
    expect(await mail.send(a, io, { key: "k3", chat: "bob@example.net", body: { type: "email", subject: "s", text: "t", attachments: ["md_gone"] } })).toMatchObject({ ok: false, code: "media_not_found" });
    expect(await mail.send(a, io, { key: "k4", chat: "bob@example.net", body: { type: "email", subject: "s", text: "t" } })).toMatchObject({ ok: false, code: "mail_deferred", retryable: true });
  });

  it("mail from the own address goes out through the configured relay", async () => {
    const io = nodeIO("mail", { config: { SMTP_RELAY_HOST: "127.0.0.1", SMTP_RELAY_PORT: String(smtp.port), SMTP_RELAY_SECURITY: "plain", SMTP_RELAY_USER: "sender", SMTP_RELAY_PASSWORD: "smtp-secret" } });
    const out = { key: "c_relay", chat: "bob@example.net", body: { type: "email" as const, subject: "from my own address", text: "hello" } };
    expect(await sendViaRelay(io, { address: "alice@unibox.example", name: "Alice" }, out)).toMatchObject({ ok: true, remoteId: "<c_relay@unibox.example>" });
    const got = await smtp.waitFor((m) => m.parsed.messageId === "<c_relay@unibox.example>");
    expect(got.envelope.from).toBe("alice@unibox.example");
    expect(got.parsed.from).toEqual({ name: "Alice", address: "alice@unibox.example" });
  });

  it("the live session sends through SMTP too", async () => {
    const a = await account();
    const session = await mail.connect(a, nodeIO("mail"), null, recorder());
    try {
      const result = await session.send({ key: "c_live", chat: "bob@example.net", body: { type: "email", subject: "from the session", text: "hi" } });
      expect(result).toMatchObject({ ok: true, remoteId: "<c_live@example.org>" });
      await smtp.waitFor((m) => m.parsed.subject === "from the session");
    } finally {
      await session.close();
    }
  });
});

describe("read state back to the server", () => {
  it("markRead sets \\Seen on the mails with those Message-IDs, and only on them; ids without one are skipped", async () => {
    const a = await account();
    const [one, two] = [message("Read me"), message("Leave me")];
    await dovecot.append(a.user, one);
    await dovecot.append(a.user, two);
    const id = /Message-ID: (<[^>]+>)/.exec(one)![1]!;
    const io = nodeIO("mail");
    await mail.markRead(a, io, "", [id, "h:0123456789abcdef0123456789abcdef"]);
    const { ImapFlow } = await import("imapflow");
    const client = new ImapFlow({ host: "127.0.0.1", port: dovecot.port, secure: false, auth: { user: a.user, pass: "imap-secret" }, logger: false, tls: { ca: dovecot.tls!.cert } });
    await client.connect();
    try {
      await client.mailboxOpen("INBOX");
      const flags: Record<string, string[]> = {};
      for await (const m of client.fetch("1:*", { envelope: true, flags: true })) flags[m.envelope!.subject!] = [...(m.flags ?? [])];
      expect(flags).toEqual({ "Read me": ["\\Seen"], "Leave me": [] });
    } finally {
      await client.logout();
    }
    expect(io.logs.find((l) => l.event === "mail.seen")?.fields).toEqual({ mails: 1, found: 1 });
  });
});
