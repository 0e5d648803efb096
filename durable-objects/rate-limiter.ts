import { DurableObject } from "cloudflare:workers";
import type { RateLimiterApi } from "./api";

type Window = { start: number; count: number };

/**
 * One fixed-window counter per key (the object's name), e.g. `login-ip:203.0.113.9`.
 * Kept as an object rather than the Workers rate-limit binding so limits are plain
 * wrangler.toml vars (count/seconds) that local runs and benchmarks can loosen.
 */
export class RateLimiter extends DurableObject implements RateLimiterApi {
  async hit(limit: number, windowSeconds: number): Promise<{ allowed: boolean; retryAfter: number }> {
    const now = Date.now();
    const windowMs = windowSeconds * 1000;
    let w = (await this.ctx.storage.get<Window>("w")) ?? { start: now, count: 0 };
    if (now - w.start >= windowMs) w = { start: now, count: 0 };
    const retryAfter = Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
    if (w.count >= limit) return { allowed: false, retryAfter };
    w.count++;
    await this.ctx.storage.put("w", w);
    return { allowed: true, retryAfter: 0 };
  }

  async ping(): Promise<true> {
    return true;
  }

  async reset(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
