import type { MiddlewareHandler } from "hono";
import { log } from "../core/log";
import type { AppEnv } from "./env";

/**
 * One log line per request: method, path (no query string: it may carry what a user typed),
 * status, time, the user when known, and the error code when there was one. Logged from the
 * Worker, so every route is covered without a line per route.
 */
export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now();
  await next();
  const status = c.res.status;
  log(
    "request",
    {
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Date.now() - started,
      user: c.get("userId"),
      code: c.get("errorCode"),
      ray: c.req.header("cf-ray") ?? undefined,
    },
    status >= 500 ? "error" : "info",
  );
};
