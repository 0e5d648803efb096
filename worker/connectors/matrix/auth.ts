// Who we are on the homeserver and with which access token. Two kinds of credentials:
// a password (we log in ourselves, as one device named "Unibox", and keep the token we got in
// the connector's store) or an access token the user brought (used as is, never logged out:
// it may be another client's session).
//
// The device id is derived from the account, so logging in again (after a soft logout, or
// when the store lost its token) replaces our one device instead of piling up new ones, and
// transaction ids, which the spec scopes to the device, keep deduplicating retries.
import { z } from "zod";
import type { AccountRef, LinkIO } from "../types";
import { CS, Homeserver, MatrixError, enc } from "./client";
import { rememberBase } from "./discovery";

const homeserver = z.string().trim().min(1).max(255);

export const credentials = z.union([
  z.strictObject({ homeserver, user: z.string().trim().min(1).max(255), password: z.string().min(1).max(1024) }),
  z.strictObject({ homeserver, accessToken: z.string().trim().min(1).max(4096) }),
]);
export type MatrixCreds = z.infer<typeof credentials>;

/** What the store keeps: our identity, and the token only when we minted it from a password. */
export type Login = { userId: string; deviceId?: string; token: string };
/** `for` names the credentials a session was made with, so new ones never reuse an old session. */
type Stored = { userId: string; deviceId?: string; token?: string; for: string };


const KEY = "session";

export const deviceIdFor = (account: AccountRef) => `UNIBOX_${account.id.replace(/[^A-Za-z0-9_]/g, "_").toUpperCase()}`;

export const hasPassword = (c: MatrixCreds): c is Extract<MatrixCreds, { password: string }> => "password" in c;

const forCreds = (c: MatrixCreds) => (hasPassword(c) ? `${c.homeserver}|${c.user}` : `${c.homeserver}|token`);

/** The session to use: the stored one, or a fresh login (password) / whoami (token). */
export async function signIn(creds: MatrixCreds, io: LinkIO, base: string): Promise<Login> {
  const found = io.store.get<Stored>(KEY);
  const stored = found?.for === forCreds(creds) ? found : undefined;
  if (!hasPassword(creds)) {
    // The token itself stays in the sealed credentials; the store only remembers whose it is.
    if (stored && !stored.token) return { userId: stored.userId, deviceId: stored.deviceId, token: creds.accessToken };
    const me = await whoami(io, base, creds.accessToken);
    io.store.put(KEY, { userId: me.userId, deviceId: me.deviceId, for: forCreds(creds) } satisfies Stored);
    return me;
  }
  if (stored?.token) return { userId: stored.userId, deviceId: stored.deviceId, token: stored.token };
  return logIn(creds, io, base);
}

/**
 * m.login.password. With our device id the token goes to the store (never to logs); a
 * `probe` (verify, at bind time) lets the server name a new device and keeps nothing, so it
 * cannot end the live session of an account that is already bound.
 */
export async function logIn(creds: Extract<MatrixCreds, { password: string }>, io: LinkIO, base: string, probe = false): Promise<Login> {
  const hs = new Homeserver(io, base);
  const res = await hs.json<{ user_id: string; access_token: string; device_id?: string; well_known?: { "m.homeserver"?: { base_url?: string } } }>(`${CS}/login`, {
    auth: false,
    json: {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: creds.user },
      password: creds.password,
      ...(probe ? {} : { device_id: deviceIdFor(io.account) }),
      initial_device_display_name: "Unibox",
    },
  }).catch((err) => {
    // A wrong password is 403 M_FORBIDDEN: for us, credentials that do not work.
    if (err instanceof MatrixError && err.errcode === "M_FORBIDDEN") throw new MatrixError("auth", err.message, err.status, err.errcode);
    throw err;
  });
  const login: Login = { userId: res.user_id, deviceId: res.device_id, token: res.access_token };
  if (probe) return login;
  rememberBase(io, creds.homeserver, res.well_known?.["m.homeserver"]?.base_url);
  io.store.put(KEY, { ...login, for: forCreds(creds) } satisfies Stored);
  io.log("matrix.login", { device: login.deviceId });
  return login;
}

export async function whoami(io: LinkIO, base: string, token: string): Promise<Login> {
  const me = await new Homeserver(io, base, token).json<{ user_id: string; device_id?: string }>(`${CS}/account/whoami`);
  return { userId: me.user_id, deviceId: me.device_id, token };
}

/** Ends the token's device (password logins only: a token the user brought is not ours to end). */
export async function logOut(io: LinkIO, base: string, token: string): Promise<void> {
  await new Homeserver(io, base, token).json(`${CS}/logout`, { json: {} });
}

/** After the homeserver rejected the token for good: a password login must start over next time. */
export function forgetToken(io: LinkIO): void {
  if (io.store.get<Stored>(KEY)?.token) io.store.delete(KEY);
}

/** The user's display name, for the account card; their id when they have none. */
export async function displayName(io: LinkIO, base: string, login: Login): Promise<string> {
  const profile = await new Homeserver(io, base, login.token).json<{ displayname?: string }>(`${CS}/profile/${enc(login.userId)}`).catch(() => ({}) as { displayname?: string });
  return profile.displayname || login.userId;
}
