// The HTTP edges of the Mastodon fake that are not about statuses: Doorkeeper's token
// check and its error bodies, Rack::Attack's fixed-window throttles and their headers
// (config/initializers/rack_attack.rb, app/controllers/concerns/rate_limit_headers.rb),
// and what a crashed instance behind nginx answers.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type TokenRow = { token: string; accountId: string; scopes: string[]; revoked: boolean };

export const TOKEN_INVALID = "The access token is invalid";
export const TOKEN_REVOKED = "The access token was revoked";

/** Doorkeeper's 401: the JSON error and the WWW-Authenticate challenge beside it. */
export function unauthorized(message: string): ApiError {
  return new ApiError(401, message, { "WWW-Authenticate": `Bearer realm="Doorkeeper", error="invalid_token", error_description="${message}"` });
}

export function checkToken(header: string | undefined, tokens: Map<string, TokenRow>): TokenRow {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  const row = token ? tokens.get(token) : undefined;
  if (!row) throw unauthorized(TOKEN_INVALID);
  if (row.revoked) throw unauthorized(TOKEN_REVOKED);
  return row;
}

/** `read` covers `read:statuses`, and so on (docs api/oauth-scopes). */
export function checkScope(row: TokenRow, needed: string): void {
  const parent = needed.split(":")[0]!;
  if (row.scopes.includes(needed) || row.scopes.includes(parent)) return;
  throw new ApiError(403, "This action is outside the authorized scopes", {
    "WWW-Authenticate": `Bearer realm="Doorkeeper", error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token."`,
  });
}

export type Throttle = { name: string; limit: number; periodS: number };

/** Rack::Attack counts per key in windows aligned to the epoch: `now.to_i / period`. */
export class Throttles {
  private counts = new Map<string, number>();
  constructor(private now: () => number) {}

  /** Counts one request; the headers describe the throttle closest to running out. */
  hit(checks: { throttle: Throttle; key: string }[]): { throttled: boolean; headers: Record<string, string> } {
    let closest: { throttle: Throttle; count: number } | undefined;
    let throttled = false;
    for (const { throttle, key } of checks) {
      const slot = this.slot(throttle, key);
      const count = (this.counts.get(slot) ?? 0) + 1;
      this.counts.set(slot, count);
      if (count > throttle.limit) throttled = true;
      if (!closest || throttle.limit - count < closest.throttle.limit - closest.count) closest = { throttle, count };
    }
    return { throttled, headers: closest ? this.headers(closest.throttle, closest.count) : {} };
  }

  /** Uses up the rest of a key's window. */
  exhaust(throttle: Throttle, key: string): void {
    this.counts.set(this.slot(throttle, key), throttle.limit);
  }

  headers(throttle: Throttle, count: number): Record<string, string> {
    return {
      "X-RateLimit-Limit": String(throttle.limit),
      "X-RateLimit-Remaining": String(Math.max(0, throttle.limit - count)),
      "X-RateLimit-Reset": this.resetAt(throttle),
    };
  }

  /** Rails' `Time#iso8601(6)`: the end of the current window, in UTC with microseconds. */
  private resetAt(throttle: Throttle): string {
    const nowS = Math.floor(this.now() / 1000);
    const end = (nowS + (throttle.periodS - (nowS % throttle.periodS))) * 1000;
    return new Date(end).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
  }

  private slot(throttle: Throttle, key: string): string {
    return `${throttle.name}:${key}:${Math.floor(this.now() / 1000 / throttle.periodS)}`;
  }
}

/** Mastodon's nginx serves public/500.html for 502/503/504 when Puma is gone. */
export const PROXY_ERROR_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>We're sorry, but something went wrong (500)</title></head>
<body><div class="dialog"><h1>We're sorry, but something went wrong.</h1></div></body>
</html>
`;
