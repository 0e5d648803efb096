// Thin HTTP helpers for Node-side tests, benchmarks and chaos runs.
import { codeMark, smsCode } from "../support/sms";

export type Session = { id: string; handle: string; token: string };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test plumbing: callers read the fields they expect
export async function call(base: string, path: string, init: { method?: string; token?: string; json?: unknown } = {}): Promise<any> {
  const res = await fetch(base + path, {
    method: init.method ?? (init.json ? "POST" : "GET"),
    headers: { ...(init.json ? { "Content-Type": "application/json" } : {}), ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) },
    body: init.json ? JSON.stringify(init.json) : undefined,
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} → ${res.status} ${JSON.stringify(data)}`);
  return data;
}

let counter = 0;
/** A fresh, valid (libphonenumber) New York number per call: +1 646 EXC LINE. */
export function testPhone(): string {
  const n = (process.pid * 10_007 + ++counter) % 8_000_000;
  return `+1 646 ${200 + Math.floor(n / 10_000)} ${String(n % 10_000).padStart(4, "0")}`;
}

/** Registers a user with a unique handle and phone number, and verifies the number with the code from the server's log. */
export async function signUp(base: string, prefix: string): Promise<Session> {
  const handle = `${prefix}_${Math.random().toString(36).slice(2, 10)}`.slice(0, 20).toLowerCase();
  const data = await call(base, "/api/auth/register", { json: { handle, phone: testPhone(), password: "chaos password 1", displayName: prefix } });
  await verifyNumber(base, data.token);
  return { id: data.user.id, handle, token: data.token };
}

/** Asks for a code to the account's number (or a new `phone`) and sends it back, as a person reading their texts would. */
export async function verifyNumber(base: string, token: string, phone: { phone?: string; region?: string } = {}): Promise<void> {
  const mark = codeMark(base);
  const { verification } = await call(base, "/api/me/phone", { token, json: phone });
  const code = await smsCode(base, verification.phone, mark);
  await call(base, "/api/me/phone/verify", { token, json: { code } });
}

export async function makeFriends(base: string, a: Session, b: Session): Promise<void> {
  const req = await call(base, "/api/friends/requests", { token: a.token, json: { to: b.handle } });
  await call(base, `/api/friends/requests/${req.request.id}/accept`, { method: "POST", token: b.token });
}
