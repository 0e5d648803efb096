// The slice of the HTTP API the benchmark needs, spoken identically to Unibox, the relay
// and the floor Worker, so every target is set up by the same client code.
import { canReadCodes, codeMark, smsCode } from "../../test/support/sms";

export type BenchUser = { id: string; handle: string; token: string };

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

async function call(base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const res = await fetch(base + path, {
    method: init.method ?? "POST",
    headers: { "content-type": "application/json", ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, text: await res.text() };
}

/**
 * A unique, valid phone number per user. 201-555-0000…9999 are all valid in
 * libphonenumber's metadata (checked against libphonenumber-js/min, which the server uses).
 */
export function benchPhone(i: number): string {
  if (i < 0 || i > 9999) throw new Error(`phone index ${i} outside 0..9999`);
  return `+1 201 555 ${String(i).padStart(4, "0")}`;
}

export async function register(base: string, i: number, tag: string): Promise<BenchUser> {
  const handle = `b${tag}_${i}`.slice(0, 20);
  const r = await call(base, "/api/auth/register", {
    body: { handle, phone: benchPhone(i), password: "bench-password-1", displayName: `Bench ${i}` },
  });
  if (r.status !== 201) throw new ApiError(r.status, r.text, `register ${handle}`);
  const { user, token } = JSON.parse(r.text) as { user: { id: string; phoneVerified?: boolean }; token: string };
  // Unibox counts a number only once its code came back: read it from the server's log,
  // as a developer would. The relay and the floor Worker have no such step.
  if (user.phoneVerified === false) await verifyNumber(base, token, handle);
  return { id: user.id, handle, token };
}

async function verifyNumber(base: string, token: string, handle: string): Promise<void> {
  if (!canReadCodes(base)) throw new Error(`register ${handle}: ${base} verifies numbers, but its log is not readable from here`);
  const mark = codeMark(base);
  const sent = await call(base, "/api/me/phone", { token, body: {} });
  if (sent.status !== 200) throw new ApiError(sent.status, sent.text, `phone code for ${handle}`);
  const { verification } = JSON.parse(sent.text) as { verification: { phone: string } };
  const code = await smsCode(base, verification.phone, mark);
  const done = await call(base, "/api/me/phone/verify", { token, body: { code } });
  if (done.status !== 200) throw new ApiError(done.status, done.text, `verify ${handle}`);
}

export async function befriend(base: string, a: BenchUser, b: BenchUser): Promise<void> {
  const req = await call(base, "/api/friends/requests", { token: a.token, body: { to: b.handle } });
  if (req.status !== 201) throw new ApiError(req.status, req.text, `friend request ${a.handle}→${b.handle}`);
  const { request } = JSON.parse(req.text) as { request: { id: string } };
  const ok = await call(base, `/api/friends/requests/${request.id}/accept`, { token: b.token });
  if (ok.status !== 200) throw new ApiError(ok.status, ok.text, `accept ${a.handle}→${b.handle}`);
}

/** Creates a group, or returns null when the server has no group API (404): the caller skips. */
export async function createGroup(base: string, owner: BenchUser, members: BenchUser[]): Promise<string | null> {
  const r = await call(base, "/api/groups", { token: owner.token, body: { members: members.map((m) => m.id) } });
  if (r.status === 404) return null;
  if (r.status !== 201 && r.status !== 200) throw new ApiError(r.status, r.text, "create group");
  const { group } = JSON.parse(r.text) as { group: { id: string } };
  return group.id;
}

/** Whether POST /api/groups exists at all: an unknown route is a 404, a known one rejects an empty body with 400. */
export async function hasGroupApi(base: string, user: BenchUser): Promise<boolean> {
  const r = await call(base, "/api/groups", { token: user.token, body: {} });
  return r.status !== 404;
}

/** Runs `task` over `items` with at most `width` in flight; keeps order of results. */
export async function inParallel<T, R>(items: T[], width: number, task: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
