// The slice of Unibox's account API that the bench's Worker baselines (bench/floor,
// bench/roomcast) speak, so one load client drives them all: register (the token is the
// user id: no sessions), `GET /api/me`, and friend requests and accepts that succeed and
// keep nothing. Copied beside them by bench/targets (startWorker); core-free on purpose.

export const json = (status: number, body: unknown) => Response.json(body, { status });

/** The response for an account route, or `{ me }`: the caller's own routes go on for this user. */
export async function accountSlice(req: Request, pathname: string): Promise<Response | { me: string }> {
  const me = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
  if (req.method === "POST" && pathname === "/api/auth/register") {
    const body = (await req.json()) as { handle: string; displayName: string };
    const id = `u_${body.handle}`;
    return json(201, { user: { id, handle: body.handle, address: "", displayName: body.displayName }, token: id });
  }
  if (!me) return json(401, { error: { code: "unauthorized", message: "sign in first" } });
  if (pathname === "/api/me") return json(200, { user: { id: me } });
  if (req.method === "POST" && pathname === "/api/friends/requests") return json(201, { request: { id: crypto.randomUUID() } });
  if (req.method === "POST" && /^\/api\/friends\/requests\/[^/]+\/accept$/.test(pathname)) return json(200, { ok: true });
  return { me };
}
