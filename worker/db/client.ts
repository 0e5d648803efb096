import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export const db = (d1: D1Database) => drizzle(d1, { schema });
export type Db = ReturnType<typeof db>;

/**
 * D1, and a Durable Object's SQLite alike, bind at most 100 parameters per statement:
 * lists that feed a statement (IN (...), multi-row VALUES) are split into pieces that
 * stay under it.
 */
export const D1_MAX_PARAMS = 100;

export function chunked<T>(items: T[], paramsPerItem = 1, reserved = 2): T[][] {
  const size = Math.max(1, Math.floor((D1_MAX_PARAMS - reserved) / paramsPerItem));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
