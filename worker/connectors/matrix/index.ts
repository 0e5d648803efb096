// Matrix (client-server API v3) behind the connector contract: bind with a password or an
// access token, then a /sync long-poll while the owner is online (session.ts).
import { type Connector, type LinkIO, RemoteError, type Verified, verifyFailed } from "../types";
import { type MatrixCreds, credentials, displayName, hasPassword, logIn, logOut, signIn, whoami } from "./auth";
import { Homeserver } from "./client";
import { homeserverOf } from "./discovery";
import { MatrixSession } from "./session";

async function verify(creds: MatrixCreds, io: LinkIO): Promise<Verified> {
  try {
    const base = await homeserverOf(io, creds.homeserver);
    if (!hasPassword(creds)) {
      const me = await whoami(io, base, creds.accessToken);
      return { ok: true, remote: { id: me.userId, name: await displayName(io, base, me) } };
    }
    // A probe login on a throwaway device, ended at once: binding leaves no device behind,
    // and an account already bound keeps its own device and session.
    const probe = await logIn(creds, io, base, true);
    const name = await displayName(io, base, probe);
    await logOut(io, base, probe.token).catch(() => undefined);
    return { ok: true, remote: { id: probe.userId, name } };
  } catch (err) {
    return verifyFailed(err);
  }
}

/** A Homeserver with the session's token that logs in again by itself after a soft logout. */
function homeserverFor(creds: MatrixCreds, io: LinkIO, base: string, token: string): Homeserver {
  const hs = new Homeserver(io, base, token);
  // soft_logout (spec "Soft logout"): the token expired but the device lives on, so a client
  // that can log in again with the same device id should. With a password we can; with a
  // token the user brought we cannot, and it becomes bad_credentials.
  if (hasPassword(creds)) hs.renew = async () => (await logIn(creds, io, base)).token;
  return hs;
}

export const matrix = {
  network: "matrix",
  credentials,
  verify,

  /** Logs in at bind time, so the account's device exists before the owner next comes online. */
  async bound(creds, io) {
    if (hasPassword(creds)) await logIn(creds, io, await homeserverOf(io, creds.homeserver));
  },

  /** Ends our own device; a token the user brought may be another client's, so it is left alone. */
  async unbound(creds, io) {
    if (!hasPassword(creds)) return;
    const base = await homeserverOf(io, creds.homeserver);
    const login = await signIn(creds, io, base);
    await logOut(io, base, login.token).catch((err) => io.log("matrix.logout_failed", { kind: (err as RemoteError).kind }));
    io.store.delete("session");
  },

  async connect(creds, io, cursor, on) {
    const base = await homeserverOf(io, creds.homeserver);
    const login = await signIn(creds, io, base);
    const session = new MatrixSession(io, homeserverFor(creds, io, base, login.token), login, on);
    try {
      await session.open(cursor);
    } catch (err) {
      if (err instanceof RemoteError && err.kind === "auth" && hasPassword(creds)) io.store.delete("session");
      throw err;
    }
    on.state({ state: "connected", message: `syncing with ${new URL(base).host}` });
    session.run();
    return session;
  },
} satisfies Connector<MatrixCreds>;
