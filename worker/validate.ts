import type { Context, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { ApiError, fail } from "./errors";

/** JSON bodies are small: anything bigger is refused while it arrives, never buffered whole. */
export const MAX_JSON_BYTES = 64 * 1024;

type JsonTarget<S extends z.ZodType> = { in: { json: z.input<S> }; out: { json: z.output<S> } };

/**
 * Validates the JSON body as route middleware, so `c.req.valid("json")` is typed and the
 * typed client (`hc<AppType>`) sees the request shape. The body must be declared
 * `application/json` (a cross-site form cannot send that without a CORS preflight), is
 * read with a byte cap as the bytes arrive, and a read that breaks off is a 400.
 */
export function json<S extends z.ZodType>(schema: S): MiddlewareHandler<any, string, JsonTarget<S>> {
  return async (c, next) => {
    c.req.addValidatedData("json", check(schema, await readJson(c)) as object);
    await next();
  };
}

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") throw fail("unsupported_content_type", "send the body as application/json");
  const declared = Number(c.req.header("Content-Length") ?? 0);
  if (declared > MAX_JSON_BYTES) throw tooLarge();
  const text = await readCapped(c.req.raw, MAX_JSON_BYTES);
  try {
    return JSON.parse(text);
  } catch {
    throw fail("invalid_json", "the request body is not valid JSON");
  }
}

/** The body as text, refusing it the moment it passes `cap` bytes. */
async function readCapped(req: Request, cap: number): Promise<string> {
  if (!req.body) return "";
  const reader = req.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > cap) {
        void reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      text += decoder.decode(value, { stream: true });
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw fail("body_read_failed", "the request body could not be read to its end");
  }
  return text + decoder.decode();
}

const tooLarge = () => fail("body_too_large", `request body over ${MAX_JSON_BYTES} bytes`);

export function check<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw fail("invalid_input", describe(result.error), fieldErrors(result.error));
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
