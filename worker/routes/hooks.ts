import { Hono } from "hono";
import { linkOf } from "../../durable-objects/stubs";
import type { AppEnv } from "../env";

// Networks that push to us (Telegram's Bot API webhooks) reach the account's link here. The
// link checks the per-account secret in constant time and answers fast; an unknown account
// looks the same as a wrong secret.
export const hooks = new Hono<AppEnv>().post("/:network/:account", async (c) => {
  const account = c.req.param("account");
  if (account.length > 64) return c.text("unauthorized", 401);
  return linkOf(c.env, account).fetch(c.req.raw);
});
