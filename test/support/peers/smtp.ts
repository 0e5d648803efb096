// An SMTP submission server on 127.0.0.1 (npm smtp-server, as in /work/shared/PEERS.md) that
// plays the mail provider for the mail connector's sending side: AUTH PLAIN and LOGIN
// against a fixed user list (RFC 4954: a wrong login is 535, mail before AUTH is 530), no
// STARTTLS. Every accepted message is kept raw and as parsed by postal-mime.
import PostalMime from "postal-mime";
import { SMTPServer, type SMTPServerAddress } from "smtp-server";
import { Inbox } from "./inbox";

export type SmtpAddress = { name: string; address: string };

export type SmtpAttachment = { filename: string | null; contentType: string; size: number; content: Buffer };

export type SmtpMessage = {
  envelope: { from: string; to: string[] };
  /** Who logged in to send it. */
  user: string;
  raw: Buffer;
  parsed: {
    subject?: string;
    from?: SmtpAddress;
    to: SmtpAddress[];
    cc: SmtpAddress[];
    messageId?: string;
    text?: string;
    html?: string;
    attachments: SmtpAttachment[];
    /** Every header in order, names lower-cased. */
    headers: { key: string; value: string }[];
  };
};

export type SmtpOptions = {
  users: Record<string, string>;
  /** Largest message accepted (SIZE extension, RFC 1870); bigger ones get 552. */
  maxSize?: number;
};

export type Smtp = {
  host: "127.0.0.1";
  port: number;
  received: SmtpMessage[];
  waitFor(pred: (m: SmtpMessage) => boolean, timeoutMs?: number): Promise<SmtpMessage>;
  /** AUTH attempts refused so far (user names only). */
  refusedLogins: string[];
  stop(): Promise<void>;
};

const envelopeAddress = (a: SMTPServerAddress | false) => (a ? a.address : "");

/** postal-mime gives a group as { name, group: [...] }; a test wants the mailboxes in it. */
function mailboxes(list: { name: string; address?: string; group?: { name: string; address: string }[] }[] | undefined): SmtpAddress[] {
  return (list ?? []).flatMap((a) => (a.group ? a.group : [{ name: a.name, address: a.address ?? "" }]));
}

async function parse(raw: Buffer): Promise<SmtpMessage["parsed"]> {
  const email = await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer" });
  return {
    subject: email.subject,
    from: email.from ? mailboxes([email.from])[0] : undefined,
    to: mailboxes(email.to),
    cc: mailboxes(email.cc),
    messageId: email.messageId,
    text: email.text,
    html: email.html,
    attachments: email.attachments.map((a) => {
      const content = Buffer.from(a.content as ArrayBuffer);
      return { filename: a.filename, contentType: a.mimeType, size: content.length, content };
    }),
    headers: email.headers.map((h) => ({ key: h.key, value: h.value })),
  };
}

export async function startSmtp(opts: SmtpOptions): Promise<Smtp> {
  const inbox = new Inbox<SmtpMessage>("smtp");
  const refusedLogins: string[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true, // loopback without TLS; a real provider would insist on TLS first
    authMethods: ["PLAIN", "LOGIN"],
    size: opts.maxSize,
    logger: false,
    onAuth(auth, _session, done) {
      const known = Object.hasOwn(opts.users, auth.username ?? "") && opts.users[auth.username ?? ""] === auth.password;
      if (known) return done(null, { user: auth.username });
      refusedLogins.push(auth.username ?? "");
      done(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        if (stream.sizeExceeded) return done(Object.assign(new Error("Message exceeds fixed maximum message size"), { responseCode: 552 }));
        const raw = Buffer.concat(chunks);
        try {
          const envelope = { from: envelopeAddress(session.envelope.mailFrom), to: session.envelope.rcptTo.map(envelopeAddress) };
          inbox.push({ envelope, user: String(session.user), raw, parsed: await parse(raw) });
          done();
        } catch (e) {
          done(Object.assign(new Error(`could not parse the message: ${(e as Error).message}`), { responseCode: 554 }));
        }
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.on("error", () => {}); // a client that drops mid-session is not the test's failure
  const { port } = server.server.address() as { port: number };
  return {
    host: "127.0.0.1",
    port,
    received: inbox.items,
    waitFor: (pred, timeoutMs) => inbox.waitFor(pred, timeoutMs),
    refusedLogins,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
