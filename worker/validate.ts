import type { Context } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { ApiError, badRequest } from "./errors";

const MAX_JSON_BYTES = 64 * 1024;

/** Reads and checks a JSON body: 413 when too large, 400 with the failing fields otherwise. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const declared = Number(c.req.header("Content-Length") ?? 0);
  if (declared > MAX_JSON_BYTES) throw new ApiError(413, "body_too_large", `request body over ${MAX_JSON_BYTES} bytes`);
  const text = await c.req.text();
  if (text.length > MAX_JSON_BYTES) throw new ApiError(413, "body_too_large", `request body over ${MAX_JSON_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badRequest("invalid_json", "the request body is not valid JSON");
  }
  return check(schema, raw);
}

export function check<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw badRequest("invalid_input", describe(result.error), fieldErrors(result.error));
  return result.data;
}

export function describe(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return "invalid input";
  const path = first.path.join(".");
  return path ? `${path}: ${first.message}` : first.message;
}

function fieldErrors(error: z.ZodError) {
  return { fields: error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) };
}

/** Query-string validation as middleware, so the typed client (`hc<AppType>`) sees the parameters. */
export const query = <S extends z.ZodType<Record<string, unknown>>>(schema: S) => validator("query", (value) => check(schema, value) as z.infer<S>);
