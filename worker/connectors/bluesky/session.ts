// The atproto session: createSession with the app password gives an access JWT (about 2 h)
// and a refresh JWT (about 90 days, rotated on each refresh). Both live in io.store; the
// app password does not: it stays in the sealed credentials the link passes to every call
// and is used again only when the refresh token is dead (revoked, expired, or the store
// lost), since nothing else can start a new session. Calls refresh the access token shortly
// before its `exp` and once more after an ExpiredToken.
import { originOf } from "../social/http";
import { type LinkIO, RemoteError } from "../types";
import { type Call, type Creds, XrpcError, xrpc } from "./xrpc";

export type Session = { did: string; handle: string; accessJwt: string; refreshJwt: string; pds: string; service: string; identifier: string };

const KEY = "session";
const REFRESH_EARLY_S = 300;
const DEFAULT_SERVICE = "https://bsky.social";

type SessionOut = { did: string; handle: string; accessJwt: string; refreshJwt: string; didDoc?: { service?: { id: string; type?: string; serviceEndpoint: unknown }[] } };

export const serviceOf = (creds: Creds, io: LinkIO): string => originOf(creds.service ?? io.config("BLUESKY_SERVICE") ?? DEFAULT_SERVICE);

/** A call as the account, with a fresh access token. */
export async function authed<T>(creds: Creds, io: LinkIO, nsid: string, call: Call = {}): Promise<T> {
  let s = await session(creds, io);
  try {
    return await xrpc<T>(io, s.pds, nsid, { ...call, token: s.accessJwt });
  } catch (err) {
    if (!(err instanceof XrpcError && err.error === "ExpiredToken")) throw err;
    s = await refresh(creds, io, s);
    return xrpc<T>(io, s.pds, nsid, { ...call, token: s.accessJwt });
  }
}

export async function session(creds: Creds, io: LinkIO): Promise<Session> {
  const s = io.store.get<Session>(KEY);
  if (!s || s.service !== serviceOf(creds, io) || s.identifier !== creds.identifier) return login(creds, io);
  if (expiresSoon(s.accessJwt)) return refresh(creds, io, s);
  return s;
}

export async function login(creds: Creds, io: LinkIO): Promise<Session> {
  const service = serviceOf(creds, io);
  try {
    const out = await xrpc<SessionOut>(io, service, "com.atproto.server.createSession", { input: { identifier: creds.identifier, password: creds.appPassword } });
    io.log("bluesky.login", { did: out.did });
    return keep(io, creds, service, out);
  } catch (err) {
    if (err instanceof XrpcError && err.error === "AuthFactorTokenRequired") throw new RemoteError("auth", "Bluesky asks for an email code: use an app password instead");
    if (err instanceof XrpcError && (err.status === 401 || err.error === "AccountTakedown")) throw new RemoteError("auth", err.message);
    throw err;
  }
}

async function refresh(creds: Creds, io: LinkIO, s: Session): Promise<Session> {
  try {
    const out = await xrpc<SessionOut>(io, s.pds, "com.atproto.server.refreshSession", { post: true, token: s.refreshJwt });
    return keep(io, creds, s.service, out);
  } catch (err) {
    // A refresh token that was revoked, ran out or is not the server's: log in again.
    if (err instanceof XrpcError && (err.kind === "auth" || err.status === 400 || err.status === 401)) {
      io.log("bluesky.refresh_refused", { error: err.error });
      return login(creds, io);
    }
    throw err;
  }
}

function keep(io: LinkIO, creds: Creds, service: string, out: SessionOut): Session {
  const s: Session = { did: out.did, handle: out.handle, accessJwt: out.accessJwt, refreshJwt: out.refreshJwt, pds: pdsOf(out) ?? service, service, identifier: creds.identifier };
  io.store.put(KEY, s);
  return s;
}

/** The account's own PDS from its DID document, when the entryway says (bsky.social does). */
function pdsOf(out: SessionOut): string | undefined {
  const entry = out.didDoc?.service?.find((x) => x.id === "#atproto_pds" || x.id.endsWith("#atproto_pds"));
  if (typeof entry?.serviceEndpoint !== "string") return undefined;
  try {
    return originOf(entry.serviceEndpoint);
  } catch {
    return undefined;
  }
}

/**
 * Whether a JWT runs out within 5 minutes, or within half its lifetime when that is shorter,
 * read from its `exp` and `iat` without verifying (the server verifies; we only plan ahead).
 * A token we cannot read counts as expiring.
 */
export function expiresSoon(jwt: string, now = Date.now()): boolean {
  try {
    const payload = jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
    const { exp, iat } = JSON.parse(atob(payload)) as { exp?: number; iat?: number };
    if (typeof exp !== "number") return true;
    const margin = Math.min(REFRESH_EARLY_S, typeof iat === "number" ? (exp - iat) / 2 : REFRESH_EARLY_S);
    return exp * 1000 - margin * 1000 <= now;
  } catch {
    return true;
  }
}
