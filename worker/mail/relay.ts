// Mail from a user's own address (handle@MAIL_DOMAIN) leaves through a relay the server
// is configured with: SMTP_RELAY_HOST, SMTP_RELAY_PORT (587), SMTP_RELAY_SECURITY
// ("starttls"; "tls" when the port is 465; "plain" only when said), SMTP_RELAY_USER and
// SMTP_RELAY_PASSWORD (no AUTH when absent). The relay must be allowed to send for
// MAIL_DOMAIN (SPF, DKIM), or receivers will see our mail as forged.
import { sendMail, type SendIO } from "../connectors/mail/send";
import type { SmtpServer } from "../connectors/mail/smtp";
import type { Security } from "../connectors/mail/wire";
import { type LinkIO, type Outbound, RemoteError, type SendResult } from "../connectors/types";
import type { MailAddress } from "./parse";

export type RelayIO = SendIO & Pick<LinkIO, "config">;

/** The relay from the server's configuration, or null when none is set. */
export function relayServer(config: (name: string) => string | undefined): SmtpServer | null {
  const host = config("SMTP_RELAY_HOST")?.trim();
  if (!host) return null;
  const port = Number(config("SMTP_RELAY_PORT") || 587);
  const said = config("SMTP_RELAY_SECURITY")?.trim().toLowerCase();
  const security: Security = said === "tls" || said === "starttls" || said === "plain" ? said : port === 465 ? "tls" : "starttls";
  const user = config("SMTP_RELAY_USER") || undefined;
  return { host, port, security, user, password: user ? config("SMTP_RELAY_PASSWORD") ?? "" : undefined };
}

/**
 * Sends `out` (an email body to `out.chat`) from `from`, the user's own address, through
 * the relay: `mail_unavailable` when none is configured or it refuses our login (that is
 * the server's configuration, not the user's doing), otherwise as sendMail.
 */
export async function sendViaRelay(io: RelayIO, from: MailAddress, out: Outbound): Promise<SendResult> {
  const server = relayServer(io.config);
  if (!server) return { ok: false, code: "mail_unavailable", message: "this server has no mail relay configured (SMTP_RELAY_HOST)", retryable: false };
  try {
    return await sendMail(io, server, from, out);
  } catch (e) {
    if (!(e instanceof RemoteError && e.kind === "auth")) throw e;
    io.log("mail.relay_login_refused", { host: server.host });
    return { ok: false, code: "mail_unavailable", message: `the mail relay ${server.host} refused this server's login`, retryable: false };
  }
}
