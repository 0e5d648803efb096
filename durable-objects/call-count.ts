// An honest count of calls into Durable Objects, for the benchmark: with COUNT_DO_CALLS=1
// every stub handed out by stubs.ts counts each call made through it (RPC method or
// fetch), by class and method, in this isolate. On Cloudflare each such call is a billed
// request; locally `wrangler dev` runs the Worker and every object in one isolate, so one
// counter sees them all (GET /api/health/do-calls reads it). Off, stubs are returned as
// they are: no proxy, no cost.
import type { Env } from "../worker/env";

const counts: Record<string, number> = {};

export function counted<T extends object>(env: Env, cls: string, stub: T): T {
  if (env.COUNT_DO_CALLS !== "1") return stub;
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof prop !== "string" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const key = `${cls}.${prop}`;
        counts[key] = (counts[key] ?? 0) + 1;
        // Reflect.apply: on an RPC stub, `.apply` itself would be taken for a remote method.
        return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}

/** Calls counted so far in this isolate, by `Class.method`. */
export const callCounts = (): Record<string, number> => ({ ...counts });
