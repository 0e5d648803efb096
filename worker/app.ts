import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env";
import { errorField, log } from "../core/log";
import { ApiError } from "./errors";
import { requestLog } from "./request-log";
import { accountsRoute } from "./routes/accounts";
import { sameOriginWrites } from "./auth/origin";
import { auth } from "./routes/auth";
import { me } from "./routes/me";
import { contacts } from "./routes/contacts";
import { feedRoute } from "./routes/feed";
import { conversations } from "./routes/conversations";
import { friends } from "./routes/friends";
import { mailRoute } from "./routes/mail";
import { media } from "./routes/media";
import { groupsRoute } from "./routes/groups";
import { health } from "./routes/health";
import { hooks } from "./routes/hooks";
import { push } from "./routes/push";
import { ws } from "./routes/ws";
import { peopleRoute } from "./routes/people";
import { searchRoute } from "./routes/search";
import { settingsRoute } from "./routes/settings";
import { timelineRoute } from "./routes/timeline";
import { apiHeaders } from "./security-headers";

export const app = new Hono<AppEnv>()
  .use(requestLog)
  .use("/api/*", apiHeaders, sameOriginWrites)
  .route("/api/health", health)
  .route("/api/auth", auth)
  .route("/api/me", me)
  .route("/api/friends", friends)
  .route("/api/contacts", contacts)
  .route("/api/conversations", conversations)
  .route("/api/media", media)
  .route("/api/groups", groupsRoute)
  .route("/api/push", push)
  .route("/api/accounts", accountsRoute)
  .route("/api/feed", feedRoute)
  .route("/api/mail", mailRoute)
  .route("/api/people", peopleRoute)
  .route("/api/search", searchRoute)
  .route("/api/settings", settingsRoute)
  .route("/api/conversations", timelineRoute)
  .route("/api/ws", ws)
  .route("/hooks", hooks);

export type AppType = typeof app;

app.notFound((c) => {
  if (c.req.path.startsWith("/api/")) return c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}` } }, 404);
  return c.env.ASSETS ? c.env.ASSETS.fetch(c.req.raw) : c.text("not found", 404);
});

// Every error leaves as {"error":{"code","message","details?"}}; only a bug is a 500.
app.onError((err, c) => {
  if (err instanceof ApiError) {
    c.set("errorCode", err.code);
    const body = { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } };
    return c.json(body, err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    return c.json({ error: { code: err.status === 404 ? "not_found" : "bad_request", message: err.message || "bad request" } }, err.status);
  }
  c.set("errorCode", "internal");
  log("worker.error", { method: c.req.method, path: c.req.path, user: c.get("userId"), error: errorField(err) }, "error");
  return c.json({ error: { code: "internal", message: "something went wrong on our side; try again" } }, 500);
});
