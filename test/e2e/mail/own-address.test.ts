// The own address under a real `wrangler dev`: mail handed to its local email endpoint (as
// Email Routing would) reaches the user's socket as a `mail` event at once, or a Web Push
// when no device is connected; unknown recipients are refused; and mail written from the
// own address leaves through the relay (a real SMTP server here) with its attachment,
// headers and body as sent, or fails clearly when the relay refuses our login.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubEvent } from "../../../core/protocol";
import { call, type Session, signUp } from "../../support/accounts";
import { type DevServer, startDevServer } from "../../support/dev-server";
import { type Smtp, startSmtp } from "../../support/peers/smtp";
import { PushService } from "../../support/push-service";
import { crlf, deliverLocal, listMail, mailsOf, plainMail, readMail, type ResumingPhone, resumingPhone, sleep, uploadAttachment } from "./helpers";

let server: DevServer;
let relay: Smtp;
let alice: Session;
let phone: ResumingPhone;
const DOMAIN = "unibox.example";
type Status = Extract<HubEvent, { type: "status" }>;

beforeAll(async () => {
  relay = await startSmtp({ users: { relayuser: "relay secret" } });
  server = await startDevServer({
    vars: { SMTP_RELAY_HOST: relay.host, SMTP_RELAY_PORT: String(relay.port), SMTP_RELAY_SECURITY: "plain", SMTP_RELAY_USER: "relayuser", SMTP_RELAY_PASSWORD: "relay secret", MAIL_AUTHSERV_ID: "mx.example.org" },
  });
  alice = await signUp(server.url, "mailown");
  phone = await resumingPhone(server.url, alice);
});

afterAll(async () => {
  await phone?.close();
  await server?.stop();
  await relay?.stop();
});

describe("the own address under wrangler dev", () => {
  it("takes a mail at the local email endpoint and pushes it to the socket at once", async () => {
    const raw = plainMail({ to: `${alice.handle}+news@${DOMAIN}`, subject: "Hello from outside", text: "A first mail.", headers: ["Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=example.net; dkim=pass header.d=example.net; dmarc=pass"] });
    const sentAt = Date.now();
    const res = await deliverLocal(server.url, "bob@example.net", `${alice.handle}+news@${DOMAIN}`, raw);
    expect(res).toEqual({ status: 200, text: "Worker successfully processed email" });
    const ev = await phone.waitFrame<{ t: "ev"; seq: number; ev: Extract<HubEvent, { type: "mail" }> }>((f) => f.t === "ev" && f.ev.type === "mail", 10_000, "the mail event");
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    expect(ev.ev.mail).toMatchObject({ account: null, from: { address: "bob@example.net", name: "Bob" }, subject: "Hello from outside", snippet: "A first mail.", verdict: "authenticated" });
    expect((await listMail(server.url, alice, "own")).map((m) => m.id)).toEqual([ev.ev.mail.id]);
  });

  it("answers under the older /cdn-cgi/handler/email path too, and refuses unknown recipients with the reason", async () => {
    const legacy = await deliverLocal(server.url, "bob@example.net", `${alice.handle}@${DOMAIN}`, plainMail({ to: `${alice.handle}@${DOMAIN}`, subject: "Via the old path" }), "/cdn-cgi/handler/email");
    expect(legacy.status).toBe(200);
    const unknown = await deliverLocal(server.url, "bob@example.net", `nobody_at_all@${DOMAIN}`, plainMail({ to: `nobody_at_all@${DOMAIN}`, subject: "Anyone?" }));
    expect(unknown).toEqual({ status: 400, text: `Worker rejected email with the following reason: no mailbox nobody_at_all@${DOMAIN} here` });
    await phone.waitFrame((f) => f.t === "ev" && f.ev.type === "mail" && f.ev.mail.subject === "Via the old path");
    expect(mailsOf(phone.events).map((m) => m.subject)).toEqual(["Hello from outside", "Via the old path"]);
  });

  it("sends a Web Push saying new mail when no device is connected", async () => {
    const { key } = await call(server.url, "/api/push/key", { token: alice.token });
    const service = await new PushService(key).start();
    try {
      const browser = service.subscribe("alice-phone");
      await call(server.url, "/api/push/subscriptions", { token: alice.token, json: { ...browser, expirationTime: null } });
      await phone.close();
      await sleep(300);
      await deliverLocal(server.url, "carol@example.org", `${alice.handle}@${DOMAIN}`, plainMail({ from: "Carol <carol@example.org>", to: `${alice.handle}@${DOMAIN}`, subject: "While you were away" }));
      const deadline = Date.now() + 10_000;
      while (service.for(browser.endpoint).length === 0 && Date.now() < deadline) await sleep(100);
      expect(service.problems).toEqual([]);
      expect(service.for(browser.endpoint)[0]?.payload).toEqual({ v: 1, type: "mail", mail: expect.stringMatching(/^ml_/), account: null, title: "Carol", text: "While you were away", at: expect.any(Number) });
    } finally {
      await service.stop();
    }
    // Back: the mail is replayed from where the phone left off, once.
    const before = phone.seq;
    phone = await resumingPhone(server.url, alice, before);
    expect(mailsOf(phone.events).map((m) => m.subject)).toEqual(["While you were away"]);
  });

  it("sends a mail with an attachment from the own address through the relay: headers and body as written", async () => {
    const pdf = new TextEncoder().encode("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    const media = await uploadAttachment(server.url, alice, pdf, "application/pdf", "Plan März.pdf");
    phone.send({ t: "send", id: "own-1", to: { email: "carol@example.org" }, body: { type: "email", subject: "Saturday ✓", text: "See you at 10.\nBring boots.", html: "<p>See you at <b>10</b>.</p>", cc: ["dave@example.org"], attachments: [media] } });
    const accepted = await phone.waitFrame<Extract<import("../../../core/protocol").ServerFrame, { t: "accepted" }>>((f) => f.t === "accepted" && f.id === "own-1");
    const got = await relay.waitFor((m) => m.parsed.subject === "Saturday ✓", 20_000);
    expect(got.user).toBe("relayuser");
    expect(got.envelope).toEqual({ from: `${alice.handle}@${DOMAIN}`, to: ["carol@example.org", "dave@example.org"] });
    expect(got.parsed.from).toEqual({ address: `${alice.handle}@${DOMAIN}`, name: expect.any(String) });
    expect(got.parsed.to).toEqual([{ address: "carol@example.org", name: "" }]);
    expect(got.parsed.cc).toEqual([{ address: "dave@example.org", name: "" }]);
    expect(got.parsed.messageId).toBe(`<${accepted.msgId}@${DOMAIN}>`);
    expect(got.parsed.text?.trim()).toBe("See you at 10.\nBring boots.");
    expect(got.parsed.html?.trim()).toBe("<p>See you at <b>10</b>.</p>");
    expect(got.parsed.attachments).toEqual([{ filename: "Plan März.pdf", contentType: "application/pdf", size: pdf.length, content: Buffer.from(pdf) }]);
    const sent = await phone.waitFrame<{ t: "ev"; ev: Status }>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.msgIds.includes(accepted.msgId) && f.ev.state === "sent");
    expect(sent.ev.by).toBe("own");
    const mail = await readMail(server.url, alice, accepted.msgId);
    expect(mail).toMatchObject({ sent: true, state: "sent", subject: "Saturday ✓", messageId: `<${accepted.msgId}@${DOMAIN}>`, attachments: [{ media, filename: "Plan März.pdf", mime: "application/pdf" }] });
    // The same client id again is the same send: nothing goes twice.
    phone.send({ t: "send", id: "own-1", to: { email: "carol@example.org" }, body: { type: "email", subject: "Saturday ✓", text: "See you at 10.\nBring boots." } });
    await sleep(1500);
    expect(relay.received.filter((m) => m.parsed.subject === "Saturday ✓")).toHaveLength(1);
  });

  it("answers a mail in its thread: In-Reply-To and References name it", async () => {
    const parentId = `<thread.${Date.now()}@example.net>`;
    const raw = crlf([`From: Erin <erin@example.net>`, `To: ${alice.handle}@${DOMAIN}`, "Subject: Question", `Message-ID: ${parentId}`, "References: <root@example.net>", "", "Are you coming?", ""]);
    await deliverLocal(server.url, "erin@example.net", `${alice.handle}@${DOMAIN}`, raw);
    const parent = (await phone.waitFrame<{ t: "ev"; ev: Extract<HubEvent, { type: "mail" }> }>((f) => f.t === "ev" && f.ev.type === "mail" && f.ev.mail.subject === "Question")).ev.mail;
    phone.send({ t: "send", id: "own-reply", to: { email: "erin@example.net" }, body: { type: "email", subject: "Re: Question", text: "Yes.\n\n> Are you coming?", inReplyTo: parent.id } });
    const got = await relay.waitFor((m) => m.parsed.subject === "Re: Question", 20_000);
    const header = (k: string) => got.parsed.headers.find((h) => h.key === k)?.value;
    expect(header("in-reply-to")).toBe(parentId);
    expect(header("references")).toBe(`<root@example.net> ${parentId}`);
  });
});

describe("the relay refusing our login", () => {
  it("fails the send with mail_unavailable and says why", async () => {
    const bad = await startDevServer({ vars: { SMTP_RELAY_HOST: relay.host, SMTP_RELAY_PORT: String(relay.port), SMTP_RELAY_SECURITY: "plain", SMTP_RELAY_USER: "relayuser", SMTP_RELAY_PASSWORD: "wrong" } });
    try {
      const bob = await signUp(bad.url, "mailrelay");
      const p = await resumingPhone(bad.url, bob);
      p.send({ t: "send", id: "bad-1", to: { email: "carol@example.org" }, body: { type: "email", subject: "Will not go", text: "x" } });
      const failed = await p.waitFrame<{ t: "ev"; ev: Status }>((f) => f.t === "ev" && f.ev.type === "status" && f.ev.state === "failed", 20_000, "failed");
      expect(failed.ev).toMatchObject({ code: "mail_unavailable", reason: `the mail relay ${relay.host} refused this server's login` });
      expect(relay.refusedLogins).toContain("relayuser");
      await p.close();
    } finally {
      await bad.stop();
    }
  });
});
