// Sessions as the reference PDS issues them (packages/pds/src/account-manager/helpers/auth.ts
// and auth-verifier.ts in bluesky-social/atproto): HS256 JWTs signed with the server's key,
// an access token (`typ: at+jwt`, 120 min) and a refresh token (`typ: refresh+jwt`, 90 days,
// with a `jti` the server stores). Refreshing rotates the refresh token; the old one keeps a
// 2-hour grace period in which reusing it yields the same next token id. Errors carry the
// PDS's names: ExpiredToken and InvalidToken are 400s, a missing token is 401 AuthMissing.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export class XrpcError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const SCOPE = { access: "com.atproto.access", appPass: "com.atproto.appPass", refresh: "com.atproto.refresh" } as const;
export type Claims = { scope: string; sub: string; aud: string; iat: number; exp: number; jti?: string };
type RefreshRow = { did: string; expiresAt: number; nextId?: string; appPassword: boolean };

const HOUR = 3600_000;
const REFRESH_GRACE_MS = 2 * HOUR;

export class Sessions {
  private readonly key = randomBytes(32);
  private readonly refresh = new Map<string, RefreshRow>();
  private readonly issued = new Set<string>();
  private readonly expired = new Set<string>();
  private minIat = 0;

  constructor(
    private readonly serviceDid: string,
    private readonly now: () => number,
    readonly accessTtlMs = 120 * 60_000,
    private readonly refreshTtlMs = 90 * 24 * HOUR,
    private readonly graceMs = REFRESH_GRACE_MS,
  ) {}

  create(did: string, appPassword: boolean): { accessJwt: string; refreshJwt: string } {
    return this.tokens(did, appPassword, randomBytes(32).toString("base64url"));
  }

  /** accountManager.rotateRefreshToken: null when the token was revoked or its grace ran out. */
  rotate(jti: string): { accessJwt: string; refreshJwt: string } | null {
    const row = this.refresh.get(jti);
    if (!row || row.expiresAt <= this.now()) {
      this.refresh.delete(jti);
      return null;
    }
    row.nextId ??= randomBytes(32).toString("base64url");
    row.expiresAt = Math.min(row.expiresAt, this.now() + this.graceMs);
    return this.tokens(row.did, row.appPassword, row.nextId);
  }

  /** Every access token issued so far now answers ExpiredToken, whatever its `exp` says. */
  expireAccessTokens(): void {
    for (const t of this.issued) this.expired.add(t);
    // The same claims in the same second sign to the same JWT, and a client that gets its
    // old token back from a refresh gives up: later tokens carry a later iat than any so far
    // (a token issued after an earlier call in this same second has iat = minIat already).
    this.minIat = Math.max(Math.floor(this.now() / 1000), this.minIat) + 1;
  }

  revoke(jti: string): void {
    this.refresh.delete(jti);
  }

  revokeAll(did: string): void {
    for (const [jti, row] of this.refresh) if (row.did === did) this.refresh.delete(jti);
  }

  /** verifyBearerJwt for an access token (`typ: at+jwt`); returns the DID. */
  access(authorization: string | undefined): { did: string; scope: string } {
    const claims = this.verify(authorization, "at+jwt");
    if (this.expired.has(authorization!.replace(/^Bearer\s+/i, ""))) throw new XrpcError(400, "ExpiredToken", "Token has expired");
    if (claims.scope !== SCOPE.access && claims.scope !== SCOPE.appPass) throw new XrpcError(400, "InvalidToken", "Bad token scope");
    return { did: claims.sub, scope: claims.scope };
  }

  /** verifyBearerJwt for a refresh token (`typ: refresh+jwt`); returns its id. */
  refreshToken(authorization: string | undefined, opts: { allowExpired?: boolean } = {}): { did: string; jti: string } {
    const claims = this.verify(authorization, "refresh+jwt", opts.allowExpired);
    if (claims.scope !== SCOPE.refresh) throw new XrpcError(400, "InvalidToken", "Bad token scope");
    if (!claims.jti) throw new XrpcError(401, "MissingTokenId", "Unexpected missing refresh token id");
    return { did: claims.sub, jti: claims.jti };
  }

  private tokens(did: string, appPassword: boolean, jti: string): { accessJwt: string; refreshJwt: string } {
    const iat = Math.max(Math.floor(this.now() / 1000), this.minIat);
    const accessJwt = this.sign("at+jwt", { scope: appPassword ? SCOPE.appPass : SCOPE.access, aud: this.serviceDid, sub: did, iat, exp: iat + Math.round(this.accessTtlMs / 1000) });
    this.issued.add(accessJwt);
    const exp = iat + Math.round(this.refreshTtlMs / 1000);
    const refreshJwt = this.sign("refresh+jwt", { scope: SCOPE.refresh, aud: this.serviceDid, sub: did, jti, iat, exp });
    if (!this.refresh.has(jti)) this.refresh.set(jti, { did, expiresAt: exp * 1000, appPassword });
    return { accessJwt, refreshJwt };
  }

  private sign(typ: string, claims: Claims): string {
    const head = b64(JSON.stringify({ typ, alg: "HS256" }));
    const body = b64(JSON.stringify(claims));
    return `${head}.${body}.${this.mac(`${head}.${body}`).toString("base64url")}`;
  }

  /** What jose.jwtVerify checks for the PDS: signature, `typ`, audience, expiry. */
  private verify(authorization: string | undefined, typ: string, allowExpired = false): Claims {
    if (!authorization) throw new XrpcError(401, "AuthMissing", "Authentication Required");
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!token) throw new XrpcError(400, "InvalidToken", "Unexpected authorization type");
    const unverified = new XrpcError(400, "InvalidToken", "Token could not be verified");
    const [head, body, sig] = token.split(".");
    if (!head || !body || !sig) throw unverified;
    const expected = this.mac(`${head}.${body}`);
    const given = Buffer.from(sig, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unverified;
    let header: { typ?: string };
    let claims: Claims;
    try {
      header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      throw unverified;
    }
    if (header.typ !== typ || claims.aud !== this.serviceDid) throw unverified;
    if (!allowExpired && claims.exp * 1000 <= this.now()) throw new XrpcError(400, "ExpiredToken", "Token has expired");
    return claims;
  }

  private mac(data: string): Buffer {
    return createHmac("sha256", this.key).update(data).digest();
  }
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");

/** The claims of a JWT, unverified: what a client reads to see when its token expires. */
export function decodeJwt(jwt: string): Claims & { typ: string } {
  const [head, body] = jwt.split(".");
  return { ...JSON.parse(Buffer.from(body!, "base64url").toString("utf8")), typ: JSON.parse(Buffer.from(head!, "base64url").toString("utf8")).typ };
}
