// An honest count of calls into Durable Objects, for the benchmark: with COUNT_DO_CALLS=1
// every stub handed out by stubs.ts counts each call made through it (RPC method or
// fetch), by class and method, in this isolate. On Cloudflare each such call is a billed
// request; locally `wrangler dev` runs the Worker and every object in one isolate, so one
// counter sees them all (GET /api/health/do-calls reads it). With COUNT_DO_CALLS=sql the
// objects' SQLite statements are counted too (bench/profile.ts --statements; that costs
// enough to skew a CPU profile, so it is its own run). Off, stubs and storage are handed
// out as they are: no proxy, no cost.
import type { Env } from "../worker/env";

const counts: Record<string, number> = {};
const statements = new Map<string, number>();

/** Whether calls are being counted (COUNT_DO_CALLS is `1`, or `sql` for statements too). */
export const counting = (env: Env): boolean => env.COUNT_DO_CALLS === "1" || env.COUNT_DO_CALLS === "sql";

export function counted<T extends object>(env: Env, cls: string, stub: T): T {
  if (!counting(env)) return stub;
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

/** With COUNT_DO_CALLS=sql, an object's SQLite statements are counted, by class and statement text. */
export function countedSql(env: Env, cls: string, sql: SqlStorage): SqlStorage {
  if (env.COUNT_DO_CALLS !== "sql") return sql;
  const exec = sql.exec.bind(sql);
  const countingExec = (query: string, ...bindings: unknown[]) => {
    const key = `${cls}\u0000${query}`;
    statements.set(key, (statements.get(key) ?? 0) + 1);
    return exec(query, ...(bindings as SqlStorageValue[]));
  };
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === "exec") return countingExec;
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** `Class: statement` (whitespace folded) → how many times it ran. */
export function statementCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of statements) {
    const [cls, query] = key.split("\u0000") as [string, string];
    const name = `${cls}: ${query.replace(/\s+/g, " ").trim().slice(0, 120)}`;
    out[name] = (out[name] ?? 0) + n;
  }
  return out;
}
