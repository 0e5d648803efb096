// What every SMS provider is: one call that sends a code. Shared by the providers and
// the choice between them (choose.ts).

export interface SmsProvider {
  /** Sends `code` to an E.164 number; throws `sms_failed` when the provider refused it or could not be reached. */
  sendCode(to: string, code: string): Promise<void>;
}

/** Loopback, or a name under a TLD reserved for testing and local use (RFC 6761): never a real deployment. */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || h.endsWith(".localhost") || h.endsWith(".test");
}

/** The text of a code message. Its last line is the WebOTP origin binding, so the phone's browser can offer to fill the code in. */
export function codeText(code: string, app: URL): string {
  return `Your Unibox code is ${code}. It expires in 10 minutes. Don't share it with anyone.\n\n@${app.hostname} #${code}`;
}
