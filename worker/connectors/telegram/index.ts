// Telegram through the Bot API: the account is a bot the user made with BotFather, not their
// own Telegram account. Updates arrive by webhook at /hooks/telegram/<account>; replies go
// out by sendMessage / sendPhoto (send.ts).
import type { PhotoSize, Update } from "@grammyjs/types";
import { z } from "zod";
import { type Connector, type LinkIO, RemoteError, type RemoteEvent, type Verified, verifyFailed } from "../types";
import { TelegramError, call, downloadFile } from "./api";
import { ALLOWED_UPDATES, botIdOf, messageEvent, messageOf } from "./convert";
import { SECRET_HEADER, SECRET_KEY, checkSecret, newSecret } from "./secret";
import { TEXT_MAX, send } from "./send";

export { checkSecret } from "./secret";

export const credentials = z.strictObject({
  token: z
    .string()
    .trim()
    .regex(/^\d{1,20}:[A-Za-z0-9_-]{30,100}$/, "a bot token looks like 123456789:AA… (BotFather gives it when you create the bot)"),
});
export type TelegramCreds = z.infer<typeof credentials>;

async function verify(creds: TelegramCreds, io: LinkIO): Promise<Verified> {
  try {
    const me = await call<{ id: number; first_name: string; username?: string }>(io, creds.token, "getMe");
    return { ok: true, remote: { id: me.username ? `@${me.username}` : String(me.id), name: me.first_name } };
  } catch (err) {
    return verifyFailed(err, { auth: err instanceof RemoteError ? `Telegram does not accept this bot token (${err.message})` : undefined });
  }
}

/**
 * Turns one POSTed Update into events. It answers fast: nothing but a photo's getFile and
 * download touches the network. The link checks the secret header first; it is checked here
 * again so this handler is never the weak point if called some other way.
 */
async function handle(creds: TelegramCreds, io: LinkIO, request: Request): Promise<RemoteEvent[]> {
  if (!checkSecret(io.store.get<string>(SECRET_KEY), request.headers.get(SECRET_HEADER))) throw new RemoteError("permanent", "the webhook secret does not match");
  let update: Update;
  try {
    update = await request.json();
  } catch {
    io.log("telegram.update_unreadable");
    return []; // answering 2xx: Telegram would resend the same bytes forever
  }
  const message = messageOf(update);
  if (!message) return [];
  const event = await messageEvent(message, botIdOf(creds.token), (photo) => storePhoto(creds.token, io, photo));
  return event ? [event] : [];
}

/** getFile, then the download, into Unibox's media; a photo Telegram will not hand out becomes its text fallback. */
async function storePhoto(token: string, io: LinkIO, photo: PhotoSize): Promise<{ id: string } | undefined> {
  try {
    const file = await call<{ file_path?: string }>(io, token, "getFile", { file_id: photo.file_id });
    if (!file.file_path) return undefined;
    const { bytes, mime } = await downloadFile(io, token, file.file_path);
    return await io.media.put(bytes, mime?.startsWith("image/") ? mime : mimeOfPath(file.file_path), file.file_path.split("/").at(-1));
  } catch (err) {
    // Transient trouble and rate limits fail the delivery; Telegram delivers it again later.
    if (!(err instanceof RemoteError) || err.kind !== "permanent") throw err;
    io.log("telegram.photo_skipped", { status: err instanceof TelegramError ? err.status : undefined });
    return undefined;
  }
}

const mimeOfPath = (path: string) => (/\.png$/i.test(path) ? "image/png" : /\.webp$/i.test(path) ? "image/webp" : "image/jpeg");

export const telegram = {
  network: "telegram",
  credentials,
  verify,

  /**
   * setWebhook to this account's hook with a new random secret, stored before the call so a
   * delivery that comes at once is already checkable. One connection at a time
   * (max_connections 1): Telegram then delivers in order, and the link takes one at a time anyway.
   */
  async bound(creds, io) {
    const secret = newSecret();
    io.store.put(SECRET_KEY, secret);
    await call(io, creds.token, "setWebhook", {
      url: `${io.publicUrl}/hooks/telegram/${io.account.id}`,
      secret_token: secret,
      allowed_updates: ALLOWED_UPDATES,
      max_connections: 1,
    });
  },

  /** deleteWebhook, dropping what was not delivered: the account is going away. */
  async unbound(creds, io) {
    await call(io, creds.token, "deleteWebhook", { drop_pending_updates: true });
    io.store.delete(SECRET_KEY);
  },

  webhook: { secretHeader: SECRET_HEADER, handle },

  send: (creds, io, out) => send(creds.token, io, out),

  limits: { textChars: TEXT_MAX },
} satisfies Connector<TelegramCreds>;
