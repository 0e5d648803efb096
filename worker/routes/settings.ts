import { Hono } from "hono";
import { clockBody, muteAllBody, muteBody, quietBody } from "../../core/protocol";
import { hubOf } from "../../durable-objects/stubs";
import { requireUser } from "../auth/session";
import type { AppEnv } from "../env";
import { fail, orThrow } from "../errors";
import { json } from "../validate";

// Notification settings, kept and enforced by the user's hub (quiet hours, mutes); every
// change is also an event, so the user's other devices follow.
export const settingsRoute = new Hono<AppEnv>()
  .use(requireUser)
  .get("/notify", async (c) => c.json({ settings: await hubOf(c.env, c.get("userId")).notifySettings() }))
  .put("/notify/quiet", json(quietBody), async (c) => c.json({ settings: await hubOf(c.env, c.get("userId")).setQuietHours(c.req.valid("json").quiet) }))
  .put("/notify/mute", json(muteAllBody), async (c) => c.json({ settings: await hubOf(c.env, c.get("userId")).muteAll(c.req.valid("json").until) }))
  .put("/notify/conversations/:conv", json(muteBody), async (c) => {
    const body = c.req.valid("json");
    const { settings } = orThrow(await hubOf(c.env, c.get("userId")).muteConversation(c.req.param("conv"), "unmute" in body ? "unmute" : body.until));
    return c.json({ settings });
  })
  /** Local tests only (CLOCK_CONTROL=1): where the hub's clock stands, for quiet hours. */
  .put("/clock", json(clockBody), async (c) => {
    if (c.env.CLOCK_CONTROL !== "1") throw fail("not_found", "no route PUT /api/settings/clock");
    await hubOf(c.env, c.get("userId")).setClock(c.req.valid("json").now);
    return c.json({ ok: true });
  });
