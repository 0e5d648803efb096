// Mastodon's REST API as this connector uses it (docs.joinmastodon.org/methods/*): a user
// token in the Authorization header, JSON answers, `{error}` bodies on failure, the rate
// limit in X-RateLimit-* headers, and pages linked with the Link header.
import { z } from "zod";
import { errorFor, HttpError, originOf, send, type Throttle } from "../social/http";
import type { LinkIO } from "../types";

export const credentials = z.strictObject({
  /** The instance: "mastodon.social" or "https://mastodon.social". */
  instance: z.string().trim().min(3).max(253).refine((s) => {
    try {
      originOf(s);
      return true;
    } catch {
      return false;
    }
  }, "an https address or a domain, without a path"),
  /** A user token (Preferences → Development → New application, scopes read and write). */
  accessToken: z.string().trim().min(8).max(512),
});
export type Creds = z.infer<typeof credentials>;

/** The wire shapes this connector reads (entities/Status, Account, Notification, MediaAttachment). */
export type Account = { id: string; username: string; acct: string; display_name: string; url: string };
export type Status = {
  id: string;
  url: string | null;
  uri: string;
  created_at: string;
  account: Account;
  content: string;
  spoiler_text: string;
  visibility: "public" | "unlisted" | "private" | "direct";
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  mentions: { id: string; acct: string; username: string; url: string }[];
  media_attachments: { id: string; type: string; url: string | null; preview_url: string | null; description: string | null }[];
  reblog: Status | null;
};
export type Notification = { id: string; type: string; created_at: string; account: Account; status?: Status };

export type Request = {
  method?: "GET" | "POST";
  query?: Record<string, string | string[]>;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  throttle?: Throttle;
  timeoutMs?: number;
};

/** One API call; any non-2xx answer is thrown as an HttpError with Mastodon's own reason. */
export async function api<T>(creds: Creds, io: LinkIO, path: string, req: Request = {}): Promise<{ body: T; res: Response }> {
  const res = await raw(creds, io, apiUrl(creds, path, req.query), req);
  if (!res.ok) throw await failed(res);
  return { body: (await res.json()) as T, res };
}

/** A call by full URL (a Link header's next page), refused unless it is on the instance. */
export async function raw(creds: Creds, io: LinkIO, url: URL, req: Request = {}): Promise<Response> {
  if (url.origin !== originOf(creds.instance)) throw new HttpError("permanent", `a link off the instance (${url.host})`, 0);
  const headers: Record<string, string> = { Authorization: `Bearer ${creds.accessToken}`, Accept: "application/json", ...req.headers };
  let body: BodyInit | undefined;
  if (req.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(req.json);
  } else if (req.form) {
    body = req.form;
  }
  const res = await send(io, url, { method: req.method ?? (body ? "POST" : "GET"), headers, body, timeoutMs: req.timeoutMs });
  req.throttle?.see(res);
  return res;
}

export function apiUrl(creds: Creds, path: string, query: Request["query"] = {}): URL {
  const url = new URL(path, originOf(creds.instance));
  for (const [k, v] of Object.entries(query)) {
    if (Array.isArray(v)) for (const one of v) url.searchParams.append(`${k}[]`, one);
    else url.searchParams.set(k, v);
  }
  return url;
}

export async function failed(res: Response): Promise<HttpError> {
  const text = await res.text().catch(() => "");
  let reason = `HTTP ${res.status}`;
  try {
    const body = JSON.parse(text) as { error?: string };
    if (body.error) reason = body.error;
  } catch {
    // nginx's HTML page when the instance is down: the status says enough.
  }
  const err = errorFor(res, `Mastodon: ${reason}`);
  // A token without the scope a method needs is a credentials problem, not a refusal.
  if (res.status === 403 && /insufficient_scope/.test(res.headers.get("www-authenticate") ?? "")) return new HttpError("auth", err.message, 403);
  return err;
}

/** RFC 8288: the URL of a rel in a Link header. */
export function linkRel(res: Response, rel: string): URL | undefined {
  const header = res.headers.get("link");
  if (!header) return undefined;
  for (const m of header.matchAll(/<([^>]+)>\s*;\s*rel="?([^";]+)"?/g)) if (m[2] === rel) return new URL(m[1]!);
  return undefined;
}
