// Response headers that tell a browser what our responses may do. The app shell and
// static files get theirs from client/public/_headers (Workers Static Assets serves them
// without running the Worker); API responses, media included, get these.
import type { MiddlewareHandler } from "hono";

const API_HEADERS: Record<string, string> = {
  // JSON and media are never documents: nothing in them may run, load or be framed.
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
};

export const apiHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  // A 101 carries the hub's WebSocket; its headers are the runtime's.
  if (c.res.status === 101) return;
  for (const [name, value] of Object.entries(API_HEADERS)) if (!c.res.headers.has(name)) c.res.headers.set(name, value);
};
