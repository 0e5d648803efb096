// A stand-in for the server in component tests: each path (and method) answered by a
// function, every request recorded. Routes answer as docs/protocol.md and the issue-15
// contracts say: JSON bodies, `{"error":{code,message}}` on refusal.
import { vi } from "vitest";

export type Sent = { method: string; url: string; body: unknown };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** Routes keyed "METHOD /path" or "/path" (any method); anything else is a 404 like the server's. */
export function serve(routes: Record<string, (body: any) => Response | Promise<Response>>): Sent[] {
  const sent: Sent[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = input instanceof Request ? input : null;
    const url = new URL(req ? req.url : String(input)).pathname;
    const method = (req?.method ?? init?.method ?? "GET").toUpperCase();
    const raw = req ? await req.text() : (init?.body as string | undefined);
    const body = raw ? JSON.parse(raw) : undefined;
    sent.push({ method, url, body });
    const route = routes[`${method} ${url}`] ?? routes[url];
    return route ? route(body) : json(404, { error: { code: "not_found", message: "not found" } });
  });
  return sent;
}
