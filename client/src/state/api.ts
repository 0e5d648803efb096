// HTTP through Hono's typed client: request and response shapes flow from the Worker's
// routes (AppType), so nothing here re-declares them.
import { hc } from "hono/client";
import type { AppType } from "../../../worker/app";

const origin = typeof location === "undefined" ? "http://localhost/" : location.origin;

export const api = hc<AppType>(origin, {
  init: { credentials: "same-origin" },
});

export type FieldError = { path: string; message: string };

/** An error the server answered with (`{"error":{code,message,details?}}`), or `network` when it never answered. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    /** For 429 `rate_limited`: seconds until the server takes the request again (`details.retryAfter`). */
    readonly retryAfter?: number,
    /** Whatever else the refusal says (`details`), e.g. `attemptsLeft` for a wrong code. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
  /** The first message for a form field, matching `path` exactly or as its first segment. */
  field(name: string): string | undefined {
    return this.fields.find((f) => f.path === name || f.path.split(".")[0] === name)?.message;
  }
}

type Json = { ok: boolean; status: number; json(): Promise<unknown> };
type Body<R extends Json> = R extends { json(): Promise<infer T> } ? T : never;

/**
 * Awaits a typed call and returns its success body, or throws ApiFailure. A fetch that
 * never reached the server (offline, DNS, reset) becomes `network`, so callers can tell
 * "you are offline" from "the server said no".
 */
export async function call<R extends Json>(request: Promise<R>): Promise<Body<R>> {
  let res: R;
  try {
    res = await request;
  } catch {
    throw new ApiFailure(0, "network", "network unreachable");
  }
  if (res.ok) return (await res.json()) as Body<R>;
  throw await failureOf(res);
}

/**
 * A JSON call to a route this build's AppType does not know yet (added by another part of
 * the server in the same release): the same errors as `call`, the answer typed by the caller.
 */
export async function callJson<T>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, json?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, origin), {
      method,
      credentials: "same-origin",
      ...(json === undefined ? {} : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(json) }),
    });
  } catch {
    throw new ApiFailure(0, "network", "network unreachable");
  }
  if (res.ok) return (await res.json()) as T;
  throw await failureOf(res);
}

async function failureOf(res: Json): Promise<ApiFailure> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; details?: { fields?: FieldError[]; retryAfter?: number } & Record<string, unknown> } } | null;
  const err = body?.error;
  return new ApiFailure(res.status, err?.code ?? "http_" + res.status, err?.message ?? `HTTP ${res.status}`, err?.details?.fields ?? [], err?.details?.retryAfter, err?.details ?? {});
}
