// Local development: the "sent" code is one JSON line in the server log, so `npm run dev`
// needs no account anywhere. Tests read the same line (worker/test/helpers.ts in workerd,
// test/support/sms.ts from wrangler dev's output). Only ever chosen on a local host.
import type { SmsProvider } from "./provider";

export const SMS_LOG_EVENT = "sms.code";

export const logProvider: SmsProvider = {
  async sendCode(to, code) {
    console.log(JSON.stringify({ event: SMS_LOG_EVENT, provider: "log", to, code }));
  },
};
