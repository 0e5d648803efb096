// A stand-in for Twilio's Programmable Messaging API on 127.0.0.1, written from Twilio's
// reference for "Create a Message" (API version 2010-04-01) and its error codes. It
// refuses what Twilio refuses, the way Twilio says it: HTTP Basic auth with the account
// SID and auth token (20003, 401), a form-encoded body (Twilio reads no JSON), `To` in
// E.164 (21604 missing, 21211 invalid), `Body` (21602 missing, 21617 over 1600
// characters), a sender (21603 no From or MessagingServiceSid, 21606 a From the account
// does not own). Errors are {code, message, more_info, status}; a message is 201 with its
// resource, status "queued". Tested on its own in test/e2e/fake-twilio.test.ts.
import { randomBytes } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";

export type SentMessage = { to: string; from: string | null; messagingServiceSid: string | null; body: string; sid: string };

export type FakeTwilio = {
  url: string;
  accountSid: string;
  authToken: string;
  from: string;
  messagingServiceSid: string;
  sent: SentMessage[];
  /** The newest 6-digit code texted to `to`. */
  codeFor(to: string): string | undefined;
  /** The next `n` requests get this status and Twilio error code instead (e.g. 429 / 20429, 500 / 20500). */
  failNext(status: number, code: number, n?: number): void;
  close(): Promise<void>;
};

const hex = (n: number) => randomBytes(n).toString("hex");
const E164 = /^\+[1-9]\d{6,14}$/;

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const accountSid = `AC${hex(16)}`;
  const authToken = hex(16);
  const from = "+15005550006";
  const messagingServiceSid = `MG${hex(16)}`;
  const sent: SentMessage[] = [];
  let failures: { status: number; code: number; left: number } | null = null;

  const server = createServer((req, res) => {
    void read(req).then((raw) => handle(req, res, raw));
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
    if (failures && failures.left > 0) {
      failures.left--;
      return error(res, failures.status, failures.code, "Simulated failure");
    }
    if (req.method !== "POST" || !req.url?.startsWith("/2010-04-01/Accounts/") || !req.url.endsWith("/Messages.json")) {
      return error(res, 404, 20404, `The requested resource ${req.url} was not found`);
    }
    if (req.headers.authorization !== `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`) return error(res, 401, 20003, "Authenticate");
    if (req.url !== path) return error(res, 404, 20404, `The requested resource ${req.url} was not found`);
    const form = req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") ? new URLSearchParams(raw) : new URLSearchParams();
    const to = form.get("To");
    const body = form.get("Body");
    const fromParam = form.get("From");
    const service = form.get("MessagingServiceSid");
    if (!to) return error(res, 400, 21604, "A 'To' phone number is required.");
    if (!E164.test(to)) return error(res, 400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (!fromParam && !service) return error(res, 400, 21603, "A 'From' phone number is required.");
    if (service && service !== messagingServiceSid) return error(res, 400, 21701, `The Messaging Service Sid ${service} is invalid.`);
    if (!service && fromParam !== from) return error(res, 400, 21606, `The From phone number ${fromParam} is not a valid, SMS-capable inbound phone number or short code for your account.`);
    if (!body) return error(res, 400, 21602, "Message body is required.");
    if ([...body].length > 1600) return error(res, 400, 21617, "The concatenated message body exceeds the 1600 character limit.");
    const message = { to, from: fromParam, messagingServiceSid: service, body, sid: `SM${hex(16)}` };
    sent.push(message);
    const now = new Date().toUTCString();
    json(res, 201, {
      sid: message.sid,
      account_sid: accountSid,
      to,
      from: fromParam,
      messaging_service_sid: service,
      body,
      status: service ? "accepted" : "queued",
      num_segments: "1",
      num_media: "0",
      direction: "outbound-api",
      api_version: "2010-04-01",
      date_created: now,
      date_updated: now,
      date_sent: null,
      error_code: null,
      error_message: null,
      price: null,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${message.sid}.json`,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    from,
    messagingServiceSid,
    sent,
    codeFor: (to) => [...sent].reverse().find((m) => m.to === to)?.body.match(/\b(\d{6})\b/)?.[1],
    failNext(status, code, n = 1) {
      failures = { status, code, left: n };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (data += c));
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}
