// The SMTP client against recorded server replies (RFC 5321 §4.2 multi-line replies,
// RFC 4954 AUTH exchanges, RFC 3207 STARTTLS), for the answers the real server in
// mail.node.test.ts will not give on demand: 4xx, a server without EHLO, AUTH LOGIN only.
import { describe, expect, it } from "vitest";
import { nodeIO } from "../../../test/support/node-io";
import { sendViaRelay, relayServer } from "../../mail/relay";
import { RemoteError } from "../types";
import { sendMail } from "./send";
import { type SmtpServer, SmtpRefused, SmtpSession, dotStuffed, heloName } from "./smtp";
import { type Chunk, type Script, scriptedSocket } from "./test-socket";

const server: SmtpServer = { host: "smtp.example", port: 587, security: "plain", user: "alice", password: "pw" };
const EHLO = "250-smtp.example Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** An SMTP server that answers each line from `answers` (by the line's first word, or the whole line). */
function smtpServer(answers: Record<string, Chunk[] | ((line: string) => Chunk[])>, greeting = "220 smtp.example ESMTP ready\r\n"): Script {
  return {
    greeting: [greeting],
    reply(line) {
      const answer = answers[line] ?? answers[line.split(/[ :]/)[0]!.toUpperCase()] ?? answers["*"];
      return typeof answer === "function" ? answer(line) : answer;
    },
  };
}

const happy = {
  EHLO: [EHLO],
  AUTH: ["235 2.7.0 Authentication successful\r\n"],
  MAIL: ["250 2.1.0 Ok\r\n"],
  RCPT: ["250 2.1.5 Ok\r\n"],
  DATA: ["354 End data with <CR><LF>.<CR><LF>\r\n"],
  ".": ["250 2.0.0 Ok: queued as 12345\r\n"],
  QUIT: ["221 2.0.0 Bye\r\n"],
  "*": [],
};

const linkTo = (script: Script) => {
  const socket = scriptedSocket(script);
  return { socket, io: { ...nodeIO("mail"), connect: () => socket } };
};

describe("SMTP client", () => {
  it("EHLO, AUTH PLAIN with the initial response, MAIL with SIZE, RCPT, dot-stuffed DATA, QUIT", async () => {
    const { socket, io } = linkTo(smtpServer(happy));
    const session = await SmtpSession.open(io, server, "[127.0.0.1]");
    await session.send({ from: "alice@example.org", to: ["bob@example.net"] }, new TextEncoder().encode("Subject: x\r\n\r\n.dot\r\nend"));
    await session.quit();
    expect(socket.written).toEqual([
      "EHLO [127.0.0.1]",
      `AUTH PLAIN ${b64("\0alice\0pw")}`,
      "MAIL FROM:<alice@example.org> SIZE=23",
      "RCPT TO:<bob@example.net>",
      "DATA",
      "Subject: x",
      "",
      "..dot",
      "end",
      ".",
      "QUIT",
    ]);
  });

  it("AUTH LOGIN when PLAIN is not offered; 535 is RemoteError auth naming the server", async () => {
    const ok = linkTo(smtpServer({ ...happy, EHLO: ["250-smtp.example\r\n250 AUTH LOGIN\r\n"], AUTH: ["334 VXNlcm5hbWU6\r\n"], [b64("alice")]: ["334 UGFzc3dvcmQ6\r\n"], [b64("pw")]: ["235 ok\r\n"] }));
    await SmtpSession.open(ok.io, server, "h.example");
    expect(ok.socket.written.slice(1)).toEqual(["AUTH LOGIN", b64("alice"), b64("pw")]);
    const bad = linkTo(smtpServer({ ...happy, AUTH: ["535 5.7.8 Authentication credentials invalid\r\n"] }));
    const e = await SmtpSession.open(bad.io, server, "h.example").catch((x) => x);
    expect(e).toBeInstanceOf(RemoteError);
    expect([e.kind, e.message]).toEqual(["auth", "wrong password for smtp.example (535 5.7.8 Authentication credentials invalid)"]);
  });

  it("a server that does not know EHLO is greeted with HELO", async () => {
    const { socket, io } = linkTo(smtpServer({ ...happy, EHLO: ["502 5.5.2 Error: command not recognized\r\n"], HELO: ["250 smtp.example\r\n"] }));
    await SmtpSession.open(io, { ...server, user: undefined }, "h.example");
    expect(socket.written).toEqual(["EHLO h.example", "HELO h.example"]);
  });

  it("STARTTLS: upgrades and says EHLO again; refuses when the server does not offer it", async () => {
    const tls = linkTo(smtpServer({ ...happy, EHLO: ["250-smtp.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"], STARTTLS: ["220 2.0.0 Ready to start TLS\r\n"] }));
    await SmtpSession.open(tls.io, { ...server, security: "starttls" }, "h.example");
    expect(tls.socket.tls).toBe(true);
    expect(tls.socket.written.map((l) => l.split(" ")[0])).toEqual(["EHLO", "STARTTLS", "EHLO", "AUTH"]);
    const none = linkTo(smtpServer(happy));
    expect(await SmtpSession.open(none.io, { ...server, security: "starttls" }, "h").catch((x) => [x.kind, x.message])).toEqual(["permanent", "smtp.example does not offer STARTTLS; choose TLS or plain"]);
  });

  it("a refused greeting is SmtpRefused with the server's words", async () => {
    const { io } = linkTo(smtpServer(happy, "554 5.3.2 No service for you\r\n"));
    const e = await SmtpSession.open(io, server, "h").catch((x) => x);
    expect(e).toBeInstanceOf(SmtpRefused);
    expect(e.message).toBe("554 5.3.2 No service for you");
  });
});

describe("sendMail results", () => {
  const out = { key: "c_1", chat: "bob@example.net, carol@example.com", body: { type: "email" as const, subject: "s", text: "t" } };
  const from = { address: "alice@example.org" };

  it("4xx is retryable (mail_deferred); a refused recipient stops the send for all, with RSET", async () => {
    const greylisted = linkTo(smtpServer({ ...happy, RCPT: ["450 4.2.0 <bob@example.net>: Recipient address rejected: Greylisted\r\n"], RSET: ["250 ok\r\n"] }));
    expect(await sendMail(greylisted.io, server, from, out)).toEqual({ ok: false, code: "mail_deferred", retryable: true, message: "smtp.example deferred the mail: 450 bob@example.net: 4.2.0 <bob@example.net>: Recipient address rejected: Greylisted" });
    expect(greylisted.socket.written).toContain("RSET");
    expect(greylisted.socket.written).not.toContain("DATA");
    let rcpt = 0;
    const unknown = linkTo(smtpServer({ ...happy, RCPT: () => (rcpt++ ? ["550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown\r\n"] : ["250 ok\r\n"]), RSET: ["250 ok\r\n"] }));
    const refused = await sendMail(unknown.io, server, from, out);
    expect(refused).toMatchObject({ ok: false, code: "mail_refused", retryable: false });
    expect(!refused.ok && refused.message).toContain("carol@example.com: 5.1.1 <carol@example.com>: Recipient address rejected: User unknown");
  });

  it("a 4xx after DATA is retryable, a 5xx is not", async () => {
    const later = linkTo(smtpServer({ ...happy, ".": ["451 4.3.0 Try again later\r\n"] }));
    expect(await sendMail(later.io, server, from, out)).toMatchObject({ ok: false, code: "mail_deferred", retryable: true });
    const never = linkTo(smtpServer({ ...happy, ".": ["554 5.7.1 Spam detected\r\n"] }));
    expect(await sendMail(never.io, server, from, out)).toMatchObject({ ok: false, code: "mail_refused", retryable: false, message: "smtp.example refused the mail: 554 5.7.1 Spam detected" });
  });

  it("the same outbox key gives the same Message-ID: a retry is the same mail", async () => {
    const first = await sendMail(linkTo(smtpServer(happy)).io, server, from, out);
    const retry = await sendMail(linkTo(smtpServer(happy)).io, server, from, out);
    expect(first).toMatchObject({ ok: true, remoteId: "<c_1@example.org>" });
    expect(retry).toMatchObject({ ok: true, remoteId: "<c_1@example.org>" });
  });
});

describe("the relay for the own address", () => {
  const out = { key: "c_r", chat: "bob@example.net", body: { type: "email" as const, subject: "s", text: "t" } };

  it("none configured: mail_unavailable", async () => {
    expect(await sendViaRelay(nodeIO("mail"), { address: "alice@unibox.example" }, out)).toEqual({ ok: false, code: "mail_unavailable", retryable: false, message: "this server has no mail relay configured (SMTP_RELAY_HOST)" });
  });

  it("reads its settings: port 587 STARTTLS by default, TLS on 465, plain only when said, AUTH only with a user", () => {
    const cfg = (c: Record<string, string>) => relayServer((n) => c[n]);
    expect(cfg({ SMTP_RELAY_HOST: "relay.example" })).toEqual({ host: "relay.example", port: 587, security: "starttls", user: undefined, password: undefined });
    expect(cfg({ SMTP_RELAY_HOST: "relay.example", SMTP_RELAY_PORT: "465", SMTP_RELAY_USER: "u", SMTP_RELAY_PASSWORD: "p" })).toEqual({ host: "relay.example", port: 465, security: "tls", user: "u", password: "p" });
    expect(cfg({ SMTP_RELAY_HOST: "relay.example", SMTP_RELAY_PORT: "2525", SMTP_RELAY_SECURITY: "plain" })?.security).toBe("plain");
  });

  it("a relay that refuses our login is mail_unavailable (the server's configuration, not the user's)", async () => {
    const { io } = linkTo(smtpServer({ ...happy, AUTH: ["535 5.7.8 no\r\n"] }));
    const relayIO = { ...io, config: (n: string) => ({ SMTP_RELAY_HOST: "relay.example", SMTP_RELAY_SECURITY: "plain", SMTP_RELAY_USER: "u", SMTP_RELAY_PASSWORD: "p" })[n] };
    expect(await sendViaRelay(relayIO, { address: "alice@unibox.example" }, out)).toMatchObject({ ok: false, code: "mail_unavailable", message: "the mail relay relay.example refused this server's login" });
  });
});

describe("SMTP details", () => {
  it("dot-stuffing makes CRLF of bare CR and LF, doubles leading dots, and ends with CRLF . CRLF", () => {
    const t = (s: string) => new TextDecoder().decode(dotStuffed(new TextEncoder().encode(s)));
    expect(t("a\r\n.b\n..c\rd")).toBe("a\r\n..b\r\n...c\r\nd\r\n.\r\n");
    expect(t(".")).toBe("..\r\n.\r\n");
    expect(t("ends\r\n")).toBe("ends\r\n.\r\n");
    expect(t("")).toBe(".\r\n");
  });

  it("the EHLO name is the public host, or an address literal", () => {
    expect(heloName("https://unibox.example.org")).toBe("unibox.example.org");
    expect(heloName("http://127.0.0.1:8787")).toBe("[127.0.0.1]");
    expect(heloName("http://[::1]:8787")).toBe("[IPv6:::1]");
    expect(heloName("http://localhost:8787")).toBe("unibox.invalid");
  });
});
