// Text messages go through one small interface (provider.ts); which provider is server
// config (SMS_PROVIDER), never anything a request says.
import type { Env } from "../env";
import { fail } from "../errors";
import { logProvider } from "./log";
import { isLocalHost, type SmsProvider } from "./provider";
import { twilioProvider } from "./twilio";

/**
 * The configured provider for a request to `app` (the app's own URL, for the message's
 * origin-bound line). `log` (the default) only ever runs on a local host, so a deployment
 * that forgot SMS_PROVIDER refuses to send instead of writing codes into its logs.
 */
export function smsProvider(env: Env, app: URL): SmsProvider {
  const name = env.SMS_PROVIDER ?? "log";
  if (name === "twilio") return twilioProvider(env, app);
  if (name === "log" && isLocalHost(app.hostname)) return logProvider;
  console.error(JSON.stringify({ event: "sms.unavailable", provider: name, host: app.hostname }));
  throw fail("sms_unavailable", name === "log" ? "the log SMS provider only runs locally; set SMS_PROVIDER" : `unknown SMS_PROVIDER "${name}"`);
}

