// What every SMS provider is: one call that sends a code. Shared by the providers and
// the choice between them (choose.ts).

export interface SmsProvider {
  /** Sends `code` to an E.164 number; throws `sms_failed` when the provider refused it or could not be reached. */
  sendCode(to: string, code: string): Promise<void>;
}

/**
 * Loopback, a private LAN address (a phone on the developer's Wi-Fi), or a name under a
 * TLD reserved for testing and local use (RFC 6761, RFC 6762): never a public deployment.
 */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "::1" || [".localhost", ".test", ".local"].some((tld) => h.endsWith(tld))) return true;
  const v4 = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(h);
  if (!v4) return false;
  const [a, b] = [Number(v4[1]), Number(v4[2])];
  return a === 127 || a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31);
}

/** The text of a code message. Its last line is the WebOTP origin binding, so the phone's browser can offer to fill the code in. */
export function codeText(code: string, app: URL): string {
  return `Your Unibox code is ${code}. It expires in 10 minutes. Don't share it with anyone.\n\n@${app.hostname} #${code}`;
}
