// Production: Twilio's Programmable Messaging API (Create a Message, API version
// 2010-04-01): POST {root}/2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP Basic auth
// with the account SID and auth token, a form body with To, Body and From or
// MessagingServiceSid; 201 with the message resource, or an error object
// {code, message, more_info, status}. The API root is server config (SMS_API_ROOT), so
// tests point it at a checking fake on 127.0.0.1 (test/support/fake-twilio.ts).
import type { Env } from "../env";
import { fail } from "../errors";
import { codeText, isLocalHost, type SmsProvider } from "./provider";

const TIMEOUT_MS = 10_000;

export function twilioProvider(env: Env, app: URL): SmsProvider {
  const sid = env.TWILIO_ACCOUNT_SID;
  const token = env.TWILIO_AUTH_TOKEN;
  const sender: Record<string, string> | null = env.TWILIO_MESSAGING_SERVICE_SID ? { MessagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID } : env.TWILIO_FROM ? { From: env.TWILIO_FROM } : null;
  const root = apiRoot(env.SMS_API_ROOT ?? "https://api.twilio.com");
  if (!sid || !token || !sender || !root) {
    console.error(JSON.stringify({ event: "sms.unavailable", provider: "twilio", reason: "missing or unsafe config" }));
    throw fail("sms_unavailable", "the SMS provider is not configured");
  }
  const url = `${root}/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`;
  return {
    async sendCode(to, code) {
      const res = await fetch(url, {
        method: "POST",
        headers: { Authorization: `Basic ${btoa(`${sid}:${token}`)}`, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ To: to, Body: codeText(code, app), ...sender }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      }).catch((err: unknown) => {
        console.error(JSON.stringify({ event: "sms.failed", provider: "twilio", reason: String(err) }));
        throw fail("sms_failed");
      });
      if (res.status === 201 || res.status === 200) return void (await res.body?.cancel());
      // The error object names the reason by Twilio's code; the number stays out of the log.
      const body = (await res.json().catch(() => null)) as { code?: number } | null;
      console.error(JSON.stringify({ event: "sms.failed", provider: "twilio", status: res.status, code: body?.code ?? null }));
      throw fail("sms_failed");
    },
  };
}

/** https anywhere; plain http only to a local host (the test fake). Secrets never travel in clear. */
function apiRoot(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLocalHost(url.hostname))) return null;
  return url.origin + url.pathname.replace(/\/+$/, "");
}
