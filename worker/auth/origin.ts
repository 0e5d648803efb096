// Cross-site requests. The app and its API share one origin, so a write that a browser
// says came from anywhere else is refused: a login from a foreign page (login CSRF), a
// sign-out, a friend request riding on the cookie. Browsers send `Origin` on every
// cross-origin write and `Sec-Fetch-Site` on every request; a client that sends neither
// is not a browser acting for someone else (curl, the Bearer API clients) and passes.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { fail } from "../errors";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** The app's own origin: pinned by APP_ORIGIN, else the origin the request was made to. */
export const appOrigin = (c: Context<AppEnv>): string => c.env.APP_ORIGIN ?? new URL(c.req.url).origin;

/** Whether the browser says this request came from another site or origin (`Origin: null` included). */
export function fromElsewhere(headers: Headers, own: string): boolean {
  const origin = headers.get("Origin");
  if (origin !== null) return origin !== own;
  // same-site is a sibling subdomain or another port: not us either.
  const site = headers.get("Sec-Fetch-Site");
  return site === "cross-site" || site === "same-site";
}

/** Refuses unsafe methods from anywhere but the app itself, however they are authenticated. */
export const sameOriginWrites: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!SAFE.has(c.req.method) && fromElsewhere(c.req.raw.headers, appOrigin(c))) throw crossSite();
  await next();
};

export const crossSite = () => fail("cross_site", "this request did not come from the app");
