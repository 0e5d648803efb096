// Which URL the client-server API lives at, for what the user typed: a homeserver URL or a
// bare server name ("example.org"). The spec's "Server Discovery" (client-server API,
// "Well-known URIs"): GET https://<name>/.well-known/matrix/client; 404 means use the name
// itself; a base_url found there must answer /_matrix/client/versions. The answer is kept in
// the connector's store so a link does this once, not on every connect.
import type { LinkIO } from "../types";
import { Homeserver, MatrixError } from "./client";

type Known = { typed: string; base: string };

const KEY = "homeserver";

export async function homeserverOf(io: LinkIO, typed: string): Promise<string> {
  const known = io.store.get<Known>(KEY);
  if (known?.typed === typed) return known.base;
  const base = await discover(io, typed);
  io.store.put(KEY, { typed, base } satisfies Known);
  return base;
}

/** The login answer may carry a newer well_known; the spec says clients should use it. */
export function rememberBase(io: LinkIO, typed: string, base: string | undefined): void {
  if (base) io.store.put(KEY, { typed, base: trimSlash(base) } satisfies Known);
}

export async function discover(io: LinkIO, typed: string): Promise<string> {
  const origin = originOf(typed);
  const delegated = await wellKnown(io, origin);
  const base = delegated ?? origin;
  await versions(io, base, typed);
  return base;
}

/** A URL as typed (without a trailing slash), or https:// in front of a bare server name. */
export function originOf(typed: string): string {
  const value = typed.trim();
  const url = new URL(/^https?:\/\//i.test(value) ? value : `https://${value}`);
  return trimSlash(`${url.origin}${url.pathname}`);
}

async function wellKnown(io: LinkIO, origin: string): Promise<string | undefined> {
  const host = new URL(origin).origin;
  let res: Response;
  try {
    res = await new Homeserver(io, host).request("/.well-known/matrix/client", { auth: false });
  } catch (err) {
    // 404 is "no delegation" (IGNORE in the spec); so is a plain homeserver that has no such path.
    if (err instanceof MatrixError && (err.status === 404 || err.errcode === "M_UNRECOGNIZED")) return undefined;
    throw err;
  }
  let body: { "m.homeserver"?: { base_url?: unknown } };
  try {
    body = await res.json();
  } catch {
    throw new MatrixError("permanent", `${host}/.well-known/matrix/client is not JSON`, res.status);
  }
  const base = body?.["m.homeserver"]?.base_url;
  if (typeof base !== "string" || !/^https?:\/\//i.test(base)) throw new MatrixError("permanent", `${host}/.well-known/matrix/client names no homeserver base_url`, res.status);
  return trimSlash(base);
}

async function versions(io: LinkIO, base: string, typed: string): Promise<void> {
  let body: { versions?: unknown };
  try {
    body = await new Homeserver(io, base).json("/_matrix/client/versions", { auth: false });
  } catch (err) {
    if (err instanceof MatrixError && err.kind === "permanent") throw new MatrixError("permanent", `${typed} is not a Matrix homeserver (${err.message})`, err.status);
    throw err;
  }
  if (!Array.isArray(body?.versions)) throw new MatrixError("permanent", `${typed} is not a Matrix homeserver`, 200);
}

const trimSlash = (url: string) => url.replace(/\/+$/, "");
