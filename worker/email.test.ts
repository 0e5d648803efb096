/// <reference types="vite/client" />
// The Worker's email() handler inside workerd, called as Email Routing calls it: a mail to
// a user's own address reaches their open socket as a `mail` event and the Mail routes;
// unknown recipients and mail over the limit are refused with setReject; the odd-mail
// corpus is stored without a crash and without losing a word; a redelivery is one mail.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { HubEvent, Mail, MailSummary } from "../core/protocol";
import { handleOf } from "./email";
import worker from "./index";
import { api, Client, register } from "./test/helpers";

const DOMAIN = env.MAIL_DOMAIN;
type MailEvent = Extract<HubEvent, { type: "mail" }>;

/** A ForwardableEmailMessage as Email Routing hands one over; `rejected` is what setReject got. */
function message(raw: Uint8Array | string, to: string, opts: { from?: string; rawSize?: number } = {}) {
  const bytes = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
  const m = {
    from: opts.from ?? "sender@example.net",
    to,
    raw: new Response(bytes.slice()).body!,
    rawSize: opts.rawSize ?? bytes.byteLength,
    headers: new Headers(),
    rejected: undefined as string | undefined,
    setReject(reason: string) {
      m.rejected = reason;
    },
    forward: async () => ({ messageId: "" }),
    reply: async () => ({ messageId: "" }),
    canBeForwarded: true,
  };
  return m;
}

async function deliver(m: ReturnType<typeof message>, e: typeof env = env) {
  const ctx = createExecutionContext();
  await worker.email(m as unknown as ForwardableEmailMessage, e);
  await waitOnExecutionContext(ctx);
  return m;
}

const crlf = (lines: string[]) => lines.join("\r\n");
let n = 0;
const plain = (subject: string, text = "Hello there.", extra: string[] = []) =>
  crlf([`From: Bob Example <bob@example.net>`, `To: someone@${DOMAIN}`, `Subject: ${subject}`, `Date: Mon, 12 Jan 2026 09:30:00 +0000`, `Message-ID: <t${++n}.${Date.now()}@example.net>`, ...extra, "", text, ""]);


describe("handleOf", () => {
  it("reads the handle from the address: case, plus-addressing, other domains", () => {
    expect(handleOf(`Alice@${DOMAIN.toUpperCase()}`, DOMAIN)).toBe("alice");
    expect(handleOf(`alice+news+more@${DOMAIN}`, DOMAIN)).toBe("alice");
    expect(handleOf("alice@elsewhere.example", DOMAIN)).toBeNull();
    expect(handleOf(`a@${DOMAIN}`, DOMAIN)).toBeNull(); // too short for a handle
    expect(handleOf(`"odd local"@${DOMAIN}`, DOMAIN)).toBeNull();
  });
});

describe("email(): the own address", () => {
  it("stores a mail to handle+tag@ and pushes it to the open socket at once, with the whole mail over HTTP", async () => {
    const alice = await register("mail_in");
    const socket = await Client.open(alice.token, 0);
    const raw = plain("Lunch on Friday?", "Shall we meet at noon?\r\n\r\n-- \r\nBob", ["Authentication-Results: mx.cloudflare.net; spf=pass smtp.mailfrom=example.net; dkim=pass header.d=example.net; dmarc=pass"]);
    const m = await deliver(message(raw, `${alice.user.handle.toUpperCase()}+lunch@${DOMAIN}`));
    expect(m.rejected).toBeUndefined();
    const ev = await socket.next((f) => f.t === "ev" && f.ev.type === "mail");
    const mail = (ev as { ev: MailEvent }).ev.mail;
    expect(mail).toMatchObject({ account: null, from: { address: "bob@example.net", name: "Bob Example" }, subject: "Lunch on Friday?", snippet: "Shall we meet at noon?", read: false, verdict: "authenticated" });

    const list = await api("/api/mail?account=own", { token: alice.token });
    expect(list.status).toBe(200);
    expect(list.data.mails.map((x: MailSummary) => x.id)).toEqual([mail.id]);
    const full = await api(`/api/mail/${mail.id}`, { token: alice.token });
    expect(full.data.mail).toMatchObject({ id: mail.id, text: "Shall we meet at noon?\n\n-- \nBob", attachments: [], auth: { spf: "pass", dkim: "pass", dmarc: "pass", verdict: "authenticated" } });
    socket.close();
  });

  it("refuses an address with no user, and one on another domain, storing nothing", async () => {
    const m = await deliver(message(plain("Anyone?"), `nobody_here_at_all@${DOMAIN}`));
    expect(m.rejected).toBe(`no mailbox nobody_here_at_all@${DOMAIN} here`);
    const other = await deliver(message(plain("Anyone?"), "alice@elsewhere.example"));
    expect(other.rejected).toMatch(/no mailbox/);
  });

  it("refuses mail over the size limit (what Email Routing says, and what the bytes say)", async () => {
    const alice = await register("mail_big");
    const claimed = await deliver(message(plain("Big"), `${alice.user.handle}@${DOMAIN}`, { rawSize: 26 * 1024 * 1024 }));
    expect(claimed.rejected).toBe(`mail to ${DOMAIN} is limited to 25 MB; this message is 26 MB`);
    // The stream is longer than the limit although rawSize said less.
    const lying = await deliver(message(plain("Big", "x".repeat(3000)), `${alice.user.handle}@${DOMAIN}`, { rawSize: 10 }), { ...env, MAIL_MAX_BYTES: "2048" });
    expect(lying.rejected).toBe(`mail to ${DOMAIN} is limited to 2 KB; this message is over 2 KB`);
    expect((await api("/api/mail", { token: alice.token })).data.mails).toEqual([]);
  });

  it("keeps one mail when Email Routing delivers the same one twice", async () => {
    const alice = await register("mail_twice");
    const raw = plain("Twice");
    for (let i = 0; i < 2; i++) expect((await deliver(message(raw, `${alice.user.handle}@${DOMAIN}`))).rejected).toBeUndefined();
    const { data } = await api("/api/mail", { token: alice.token });
    expect(data.mails.map((m: MailSummary) => m.subject)).toEqual(["Twice"]);
  });

  it("keeps attachments: a picture (also shown inline) and a PDF as a file, downloaded with Content-Disposition and nosniff", async () => {
    const alice = await register("mail_att");
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    const pdf = btoa("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    const raw = crlf([
      "From: bob@example.net", `To: ${alice.user.handle}@${DOMAIN}`, "Subject: Files", `Message-ID: <files.${Date.now()}@example.net>`, 'Content-Type: multipart/mixed; boundary="b"', "",
      "--b", "Content-Type: text/html; charset=utf-8", "", '<p>See <img src="cid:dot@x"> and <img src="https://tracker.example/p.gif"></p>',
      "--b", "Content-Type: image/png", "Content-ID: <dot@x>", 'Content-Disposition: inline; filename="dot.png"', "Content-Transfer-Encoding: base64", "", png,
      "--b", "Content-Type: application/pdf", 'Content-Disposition: attachment; filename="Bericht März.pdf"', "Content-Transfer-Encoding: base64", "", pdf, "--b--", "",
    ]);
    await deliver(message(raw, `${alice.user.handle}@${DOMAIN}`));
    const [summary] = (await api("/api/mail", { token: alice.token })).data.mails as MailSummary[];
    expect(summary).toMatchObject({ subject: "Files", attachments: 2 });
    const mail = (await api(`/api/mail/${summary!.id}`, { token: alice.token })).data.mail as Mail;
    expect(mail.html).toContain("cid:dot@x"); // as sent: the client sanitises and blocks the tracker
    expect(mail.attachments.map((a) => [a.filename, a.mime, a.type, a.contentId])).toEqual([["dot.png", "image/png", "image", "<dot@x>"], ["Bericht März.pdf", "application/pdf", "file", undefined]]);
    const [dot, report] = mail.attachments;

    const picture = await api(`/api/media/${dot!.media}`, { token: alice.token });
    expect([picture.status, picture.headers.get("Content-Type")]).toEqual([200, "image/png"]);
    const download = await api(`/api/mail/${mail.id}/attachments/${report!.media}`, { token: alice.token });
    expect(download.status).toBe(200);
    expect(download.data).toBe(atob(pdf));
    expect(download.headers.get("Content-Type")).toBe("application/pdf");
    expect(download.headers.get("Content-Disposition")).toBe(`attachment; filename="Bericht M_rz.pdf"; filename*=UTF-8''Bericht%20M%C3%A4rz.pdf`);
    expect(download.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(download.headers.get("Content-Security-Policy")).toBe("sandbox; default-src 'none'");
    // Through the generic media route a file is only ever a download, never a page.
    const generic = await api(`/api/media/${report!.media}`, { token: alice.token });
    expect(generic.headers.get("Content-Type")).toBe("application/octet-stream");
    // Someone else gets nothing, by either route.
    const mallory = await register("mail_mallory");
    expect((await api(`/api/mail/${mail.id}/attachments/${report!.media}`, { token: mallory.token })).status).toBe(404);
    expect((await api(`/api/mail/${mail.id}`, { token: mallory.token })).status).toBe(404);
    expect((await api(`/api/media/${report!.media}`, { token: mallory.token })).status).toBe(404);
  });
});

// The corpus of worker/mail/testdata: what each must still say once stored. Vite's ?raw
// reads text as UTF-8, so the one 8-bit message is built here byte for byte instead.
const corpus = import.meta.glob("./mail/testdata/*.eml", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const eightBit = latin1(crlf(["From: J\xfcrgen M\xfcller <jm@alt.example>", "To: alice@example.org", "Subject: Gr\xfc\xdfe aus K\xf6ln", "Date: Wed, 14 Jan 2026 10:00:00 +0100", "Message-ID: <8bit-1@alt.example>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: 8bit", "", "Sch\xf6ne Gr\xfc\xdfe, bis Donnerstag.", ""]));

const EXPECT: Record<string, { subject?: string; text?: RegExp; attachments?: string[] }> = {
  "broken-boundary.eml": { subject: "The boundary is wrong", text: /The words that must not be lost\./, attachments: ["original.eml"] },
  "eight-bit-headers.eml": { subject: "Grüße aus Köln", text: /Schöne Grüße, bis Donnerstag\./ },
  "no-text-part.eml": { attachments: ["scan.pdf"] },
  "html-only.eml": { text: /\S/ },
  "nested-multipart.eml": { text: /\S/ },
};

describe("email(): odd mail is kept, whole", () => {
  it("stores every message of the corpus (no text part, only HTML, 8-bit and encoded words, nested, broken boundaries) without a crash", async () => {
    const alice = await register("mail_odd");
    const socket = await Client.open(alice.token, 0);
    const files = Object.entries(corpus).map(([path, text]) => [path.split("/").pop()!, path.endsWith("eight-bit-headers.eml") ? eightBit : text] as const);
    expect(files.length).toBeGreaterThanOrEqual(11);
    for (const [name, raw] of files) {
      const m = await deliver(message(raw, `${alice.user.handle}@${DOMAIN}`));
      expect(m.rejected, name).toBeUndefined();
      const ev = (await socket.next((f) => f.t === "ev" && f.ev.type === "mail")) as { ev: MailEvent };
      const mail = (await api(`/api/mail/${ev.ev.mail.id}`, { token: alice.token })).data.mail as Mail;
      const want = EXPECT[name] ?? {};
      if (want.subject) expect(mail.subject, name).toBe(want.subject);
      if (want.text) expect(mail.text, name).toMatch(want.text);
      for (const file of want.attachments ?? []) {
        const att = mail.attachments.find((a) => a.filename === file);
        expect(att?.media, `${name}: ${file}`).toBeTruthy();
        expect((await api(`/api/mail/${mail.id}/attachments/${att!.media}`, { token: alice.token })).status, `${name}: ${file}`).toBe(200);
      }
    }
    const { data } = await api("/api/mail?limit=50", { token: alice.token });
    expect(data.mails).toHaveLength(files.length);
    socket.close();
  });

  it("keeps a mail with a 12 MB attachment, the attachment as a file", async () => {
    const alice = await register("mail_huge");
    const blob = new Uint8Array(12 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    let b64 = "";
    for (let i = 0; i < blob.length; i += 3 * 1024) b64 += btoa(String.fromCharCode(...blob.subarray(i, i + 3 * 1024)));
    const lines = b64.match(/.{1,76}/g)!.join("\r\n");
    const raw = crlf(["From: bob@example.net", `To: ${alice.user.handle}@${DOMAIN}`, "Subject: The disk image", `Message-ID: <huge.${Date.now()}@example.net>`, 'Content-Type: multipart/mixed; boundary="b"', "",
      "--b", "Content-Type: text/plain", "", "Here it is.", "--b", "Content-Type: application/octet-stream", 'Content-Disposition: attachment; filename="disk.img"', "Content-Transfer-Encoding: base64", "", lines, "--b--", ""]);
    expect((await deliver(message(raw, `${alice.user.handle}@${DOMAIN}`))).rejected).toBeUndefined();
    const [summary] = (await api("/api/mail", { token: alice.token })).data.mails as MailSummary[];
    const mail = (await api(`/api/mail/${summary!.id}`, { token: alice.token })).data.mail as Mail;
    expect(mail.attachments.map((a) => [a.filename, a.type, a.size])).toEqual([["disk.img", "file", blob.length]]);
    const res = await api(`/api/mail/${mail.id}/attachments/${mail.attachments[0]!.media}`, { token: alice.token });
    expect(Number(res.headers.get("Content-Length"))).toBe(blob.length);
  });
});

describe("the Mail routes and frames", () => {
  it("threads a reply by In-Reply-To, and marks read on every device (and unread again)", async () => {
    const alice = await register("mail_read");
    const [phone, laptop] = [await Client.open(alice.token, 0), await Client.open(alice.token, 0)];
    const to = `${alice.user.handle}@${DOMAIN}`;
    await deliver(message(crlf(["From: bob@example.net", `To: ${to}`, "Subject: Plan", "Message-ID: <plan-1@example.net>", "", "First."]), to));
    await deliver(message(crlf(["From: bob@example.net", `To: ${to}`, "Subject: Re: Plan", "Message-ID: <plan-2@example.net>", "In-Reply-To: <plan-1@example.net>", "References: <plan-1@example.net>", "", "Second."]), to));
    const [second, first] = (await api("/api/mail", { token: alice.token })).data.mails as MailSummary[];
    expect([first!.subject, first!.thread, second!.subject, second!.thread]).toEqual(["Plan", undefined, "Re: Plan", first!.id]);

    expect((await api(`/api/mail/${first!.id}/read`, { method: "POST", token: alice.token, json: {} })).data).toEqual({ ok: true });
    for (const c of [phone, laptop]) await c.next((f) => f.t === "ev" && f.ev.type === "mail.read" && f.ev.id === first!.id && f.ev.read);
    expect(((await api(`/api/mail/${first!.id}`, { token: alice.token })).data.mail as Mail).read).toBe(true);
    await api(`/api/mail/${first!.id}/read`, { method: "POST", token: alice.token, json: { read: false } });
    await laptop.next((f) => f.t === "ev" && f.ev.type === "mail.read" && !f.ev.read);
    expect((await api("/api/mail/ml_nope/read", { method: "POST", token: alice.token, json: {} })).status).toBe(404);
    expect((await api("/api/mail?account=a_nope", { token: alice.token })).data.error.code).toBe("account_not_found");
    phone.close();
    laptop.close();
  });

  it("refuses a send from the own address when no relay is configured, with mail_unavailable", async () => {
    const alice = await register("mail_norelay");
    const socket = await Client.open(alice.token, 0);
    socket.send({ t: "send", id: "m-1", to: { email: "carol@example.org" }, body: { type: "email", subject: "Hi", text: "Hello" } });
    const err = await socket.next((f) => f.t === "error" && f.id === "m-1");
    expect(err).toMatchObject({ code: "mail_unavailable" });
    // Only a mail can go to an address.
    socket.send({ t: "send", id: "m-2", to: { email: "carol@example.org" }, body: { type: "text", text: "Hello" } });
    expect(await socket.next((f) => f.t === "error" && f.id === "m-2")).toMatchObject({ code: "unsupported_body" });
    socket.close();
  });
});
