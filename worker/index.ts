import { app } from "./app";
import { email } from "./email";
import type { Env } from "./env";
import { consumePolls, type PollMessage } from "./poll";
import { scheduled } from "./scheduled";

export { AccountLink } from "../durable-objects/account-link";
export { GroupRoom } from "../durable-objects/group-room";
export { RateLimiter } from "../durable-objects/rate-limiter";
export { UserHub } from "../durable-objects/user-hub";

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(scheduled(controller, env));
  },
  async queue(batch, env) {
    await consumePolls(batch as MessageBatch<PollMessage>, env);
  },
  async email(message, env) {
    await email(message, env);
  },
} satisfies ExportedHandler<Env>;
