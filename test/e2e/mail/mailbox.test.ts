// A bound mailbox under a real `wrangler dev`, against a real Dovecot and a real SMTP
// server started here: both logins checked at bind; a mail APPENDed while the user is online
// is pushed during IDLE within seconds; the user goes away (the IMAP session is closed),
// three arrive, Cron → Queue polls by UID while away, and back the phone gets exactly those
// three, once; a UIDVALIDITY change brings nothing twice and misses nothing; a mail with an
// attachment goes out over SMTP as written; read goes back to the server as \Seen; a
// password the SMTP server no longer takes fails the send clearly and keeps the mail.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubEvent, MailSummary, ServerFrame } from "../../../core/protocol";
import { bind, call, fireCron, type Session, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { type Dovecot, startDovecot } from "../../support/peers/dovecot";
import { type Smtp, startSmtp } from "../../support/peers/smtp";
import { crlf, listMail, mailsOf, readMail, type ResumingPhone, resumingPhone, sleep, uploadAttachment } from "./helpers";

const GRACE_S = 2;
const USER = "alice";
let imap: Dovecot;
let smtp: Smtp;
const smtpUsers: Record<string, string> = { alice: "smtp secret" };
let server: DevServer;
let me: Session;
let phone: ResumingPhone;
let accountId: string;
type MailEv = { t: "ev"; seq: number; ev: Extract<HubEvent, { type: "mail" }> };
type Status = { t: "ev"; ev: Extract<HubEvent, { type: "status" }> };

let serial = 0;
const message = (subject: string) =>
  crlf([`From: Bob <bob@example.net>`, `To: ${USER}@example.test`, `Subject: ${subject}`, `Date: ${new Date().toUTCString()}`, `Message-ID: <box${++serial}.${Date.now()}@example.net>`, "", `Body of ${subject}.`, ""]);

const credentials = (over: { imap?: object; smtp?: object } = {}) => ({
  address: `${USER}@example.test`,
  name: "Alice",
  imap: { host: imap.host, port: imap.port, security: "plain", user: USER, password: "imap secret", ...over.imap },
  smtp: { host: smtp.host, port: smtp.port, security: "plain", user: USER, password: "smtp secret", ...over.smtp },
});

const sessionsOf = async () => (await promisify(execFile)("doveadm", ["-c", join(imap.dir, "dovecot.conf"), "who", USER])).stdout.split("\n").filter((l) => l.startsWith(`${USER} `)).length;

async function until<T>(what: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, label = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(200);
  }
}

beforeAll(async () => {
  [imap, smtp] = await Promise.all([startDovecot(), startSmtp({ users: smtpUsers })]);
  await imap.addUser(USER, "imap secret");
  server = await startDevServer({ vars: { PRESENCE_GRACE_SECONDS: String(GRACE_S), POLL_EVERY_MS: "1000" } });
  me = await signUp(server.url, "mailbox");
  phone = await resumingPhone(server.url, me);
});

afterAll(async () => {
  await phone?.close();
  await server?.stop();
  await Promise.all([imap?.stop(), smtp?.stop()]);
});

describe("a bound mailbox", () => {
  it("checks both logins at bind: a wrong IMAP or SMTP password stores nothing", async () => {
    const badImap = await bind(server.url, me, "mail", credentials({ imap: { password: "wrong" } }));
    expect([badImap.status, badImap.body.error.code]).toEqual([422, "bad_credentials"]);
    expect(badImap.body.error.message).toMatch(/^IMAP: /);
    const badSmtp = await bind(server.url, me, "mail", credentials({ smtp: { password: "wrong" } }));
    expect([badSmtp.status, badSmtp.body.error.code]).toEqual([422, "bad_credentials"]);
    expect(badSmtp.body.error.message).toMatch(/^SMTP: /);
    expect((await call(server.url, "/api/accounts", { token: me.token })).accounts).toEqual([]);
  });

  it("binds, holds IDLE while the user is online, and pushes an APPENDed mail within seconds", async () => {
    const res = await bind(server.url, me, "mail", credentials(), "Work mail");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    accountId = res.body.account.id;
    expect(res.body.account).toMatchObject({ network: "mail", label: "Work mail", remote: `${USER}@example.test` });
    await phone.waitFrame((f) => f.t === "ev" && f.ev.type === "account.status" && f.ev.account === accountId && f.ev.state === "connected", 20_000, "connected");
    await until(async () => (await sessionsOf()) === 1, 10_000, "one IMAP session");
    await sleep(500); // into IDLE
    const appended = Date.now();
    await imap.append(USER, message("Live one"));
    const ev = await phone.waitFrame<MailEv>((f) => f.t === "ev" && f.ev.type === "mail" && f.ev.mail.subject === "Live one", 10_000, "the live mail");
    expect(Date.now() - appended).toBeLessThan(3_000);
    expect(ev.ev.mail).toMatchObject({ account: accountId, from: { address: "bob@example.net", name: "Bob" }, snippet: "Body of Live one.", read: false });
  });

  it("closes the session while the user is away; Cron polls by UID; back, exactly the three that came, once", async () => {
    const seq = phone.seq;
    await phone.close();
    await until(async () => (await sessionsOf()) === 0, (GRACE_S + 10) * 1000, "the IMAP session to close");
    const away = ["Away 1", "Away 2", "Away 3"];
    for (const s of away) await imap.append(USER, message(s));
    // While away: Cron → Queue → the link polls by UID, and the hub has them before the user is back.
    await until(async () => {
      await fireCron(server.url);
      await sleep(1500);
      const subjects = (await listMail(server.url, me, accountId)).map((m) => m.subject);
      return away.every((s) => subjects.includes(s)) || undefined;
    }, 30_000, "the poll while away");
    expect(await sessionsOf()).toBe(0); // polled with LOGOUT, no session held

    phone = await resumingPhone(server.url, me, seq);
    expect(mailsOf(phone.events).map((m) => m.subject)).toEqual(away);
    // The live session opens again and catches up from the poll's cursor: nothing comes twice.
    await phone.waitFrame((f) => f.t === "ev" && f.ev.type === "account.status" && f.ev.state === "connected", 20_000, "connected again").catch(() => undefined);
    await until(async () => (await sessionsOf()) === 1, 20_000, "the session back");
    await sleep(2000);
    expect(mailsOf(phone.events).map((m) => m.subject)).toEqual(away);
    const all = (await listMail(server.url, me, accountId)).map((m) => m.subject);
    expect(all.sort()).toEqual(["Away 1", "Away 2", "Away 3", "Live one"]);
  });

  it("handles a UIDVALIDITY change: nothing already here comes again, the next mail comes once", async () => {
    const before = mailsOf(phone.events).length;
    const { previous, uidValidity } = await imap.resetUidValidity(USER); // kicks the session with BYE, renumbers
    expect(uidValidity).not.toBe(previous);
    await until(async () => (await sessionsOf()) === 1, 30_000, "the session to come back");
    await sleep(1000);
    await imap.append(USER, message("After the rebuild"));
    await phone.waitFrame((f) => f.t === "ev" && f.ev.type === "mail" && f.ev.mail.subject === "After the rebuild", 20_000, "the mail after the rebuild");
    await sleep(2000);
    expect(mailsOf(phone.events).slice(before).map((m) => m.subject)).toEqual(["After the rebuild"]);
    const all = (await listMail(server.url, me, accountId)).map((m) => m.subject);
    expect(all.filter((s) => s === "Live one")).toHaveLength(1);
    expect(all).toHaveLength(5);
  });

  it("marks a mail read on the server (\\Seen) when it is read in Unibox", async () => {
    const live = (await listMail(server.url, me, accountId)).find((m) => m.subject === "Live one")!;
    await call(server.url, `/api/mail/${live.id}/read`, { token: me.token, json: { read: true } });
    await phone.waitFrame((f) => f.t === "ev" && f.ev.type === "mail.read" && f.ev.id === live.id);
    const client = new ImapFlow({ host: imap.host, port: imap.port, secure: false, auth: { user: USER, pass: "imap secret" }, logger: false });
    await client.connect();
    try {
      await client.mailboxOpen("INBOX");
      const seen = await until(async () => {
        for await (const m of client.fetch("1:*", { envelope: true, flags: true })) if (m.envelope?.subject === "Live one" && m.flags?.has("\\Seen")) return true;
        return undefined;
      }, 15_000, "\\Seen on the server");
      expect(seen).toBe(true);
    } finally {
      await client.logout();
    }
  });

  it("sends a mail with an attachment through the mailbox's SMTP server, as a reply in its thread", async () => {
    const parent = (await listMail(server.url, me, accountId)).find((m) => m.subject === "Away 2") as MailSummary;
    const parentFull = await readMail(server.url, me, parent.id);
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64");
    const media = await uploadAttachment(server.url, me, png, "image/png", "dot.png");
    phone.send({ t: "send", id: "box-1", to: { email: "bob@example.net", account: accountId }, body: { type: "email", subject: "Re: Away 2", text: "Got it, thanks.", attachments: [media], inReplyTo: parent.id } });
    const accepted = await phone.waitFrame<Extract<ServerFrame, { t: "accepted" }>>((f) => f.t === "accepted" && f.id === "box-1");
    const got = await smtp.waitFor((m) => m.parsed.subject === "Re: Away 2", 20_000);
    const header = (k: string) => got.parsed.headers.find((h) => h.key === k)?.value;
    expect(got.user).toBe(USER);
    expect(got.envelope).toEqual({ from: `${USER}@example.test`, to: ["bob@example.net"] });
    expect(got.parsed.from).toEqual({ address: `${USER}@example.test`, name: "Alice" });
    expect(got.parsed.text?.trim()).toBe("Got it, thanks.");
    expect(header("in-reply-to")).toBe(parentFull.messageId);
    expect(got.parsed.messageId).toBe(`<${accepted.msgId}@example.test>`);
    expect(got.parsed.attachments).toEqual([{ filename: "dot.png", contentType: "image/png", size: png.length, content: png }]);
    const sent = await phone.waitFrame<Status>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.msgIds.includes(accepted.msgId) && f.ev.state !== "queued", 20_000, "sent");
    expect(sent.ev).toMatchObject({ state: "sent", by: accountId });
    expect((await readMail(server.url, me, accepted.msgId)).thread).toBe(parent.thread ?? parent.id);
  });

  it("fails a send clearly when the SMTP server no longer takes the password, and keeps the mail", async () => {
    smtpUsers.alice = "changed on the server";
    try {
      phone.send({ t: "send", id: "box-2", to: { email: "bob@example.net", account: accountId }, body: { type: "email", subject: "Will not go", text: "x" } });
      const accepted = await phone.waitFrame<Extract<ServerFrame, { t: "accepted" }>>((f) => f.t === "accepted" && f.id === "box-2");
      const failed = await phone.waitFrame<Status>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.msgIds.includes(accepted.msgId) && f.ev.state === "failed", 20_000, "failed");
      expect(failed.ev.code).toBe("bad_credentials");
      expect(failed.ev.reason).toMatch(/wrong password for 127\.0\.0\.1 \(535/);
      const kept = await readMail(server.url, me, accepted.msgId);
      expect(kept).toMatchObject({ sent: true, state: "failed", subject: "Will not go", text: "x", error: { code: "bad_credentials" } });
      expect(smtp.received.filter((m) => m.parsed.subject === "Will not go")).toEqual([]);
    } finally {
      smtpUsers.alice = "smtp secret";
    }
  });
});
