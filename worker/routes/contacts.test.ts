import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, befriend, register } from "../test/helpers";

describe("contact discovery", () => {
  it("matches the phone's contacts in any format, says who is a friend, skips self, strangers and junk", async () => {
    const [me, ann, bo] = [await register("dme"), await register("dann"), await register("dbo")];
    await befriend(me, ann);
    const national = (p: string) => p.replace("+1 ", "").replace(/ /g, "-"); // 415-555-1xxx, read in my region (US)
    const numbers = [national(ann.phone), `+${bo.phone.replace(/\D/g, "")}`, me.phone, "+1 212 555 0000", "not a number", national(ann.phone).replace(/-/g, " ")];
    const res = await api("/api/contacts/discover", { method: "POST", token: me.token, json: { numbers } });
    expect(res.status).toBe(200);
    const byUser = Object.fromEntries(res.data.matches.map((m: { user: { id: string } }) => [m.user.id, m]));
    expect(Object.keys(byUser).sort()).toEqual([ann.user.id, bo.user.id].sort());
    expect(byUser[ann.user.id]).toMatchObject({ number: national(ann.phone), friend: true });
    expect(byUser[bo.user.id]).toMatchObject({ number: numbers[1], friend: false });
    expect(byUser[bo.user.id].user.phone).toBeUndefined(); // others' numbers are never shown back
  });

  it("keeps no trace of the uploaded list (only day-keyed hashes, to count them)", async () => {
    const me = await register("dtrace");
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>();
    await api("/api/contacts/discover", { method: "POST", token: me.token, json: { numbers: ["+1 646 555 0111", "+44 20 7946 0999"] } });
    const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>();
    for (const { name } of tables.results) {
      if (name.startsWith("_cf") || name === "d1_migrations" || name === "sqlite_sequence") continue;
      const dump = JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results);
      expect(dump, name).not.toContain("6465550111");
      expect(dump, name).not.toContain("2079460999");
    }
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>())!.n).toBe(before!.n);
  });

  it("rejects bad input and limits discovery per user", async () => {
    const me = await register("dlimit");
    for (const bad of [{}, { numbers: [] }, { numbers: "x" }, { numbers: Array(1001).fill("1") }, { numbers: ["1"], region: "usa" }]) {
      const res = await api("/api/contacts/discover", { method: "POST", token: me.token, json: bad });
      expect(res.status, JSON.stringify(bad).slice(0, 60)).toBe(400);
    }
    expect((await api("/api/contacts/discover", { method: "POST", json: { numbers: ["1"] } })).status).toBe(401);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await api("/api/contacts/discover", { method: "POST", token: me.token, json: { numbers: ["+1 646 555 0123"] } })).status);
    // wrangler.toml's production default: 10 per hour per user.
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
  });

  it("caps the distinct numbers one account may look up per day, discovery and add-by-phone together", async () => {
    const [me, known] = [await register("dcap"), await register("dcapknown")];
    const book = Array.from({ length: 999 }, (_, i) => `+1 201 555 ${String(i).padStart(4, "0")}`);
    const discover = (numbers: string[]) => api("/api/contacts/discover", { method: "POST", token: me.token, json: { numbers } });
    expect((await discover(book)).status).toBe(200);
    // Adding by phone looks a number up too: the 1000th (wrangler.toml: 1000 a day).
    expect((await api("/api/friends/requests", { method: "POST", token: me.token, json: { to: known.phone } })).status).toBe(201);
    // Before, any number of numbers could be walked, 1000 per request.
    const over = await discover(["+1 201 555 5000"]);
    expect([over.status, over.data.error.code, over.data.error.details.limit]).toEqual([429, "rate_limited", 1000]);
    const untilTomorrow = Number(over.headers.get("Retry-After"));
    expect(untilTomorrow).toBeGreaterThan(0);
    expect(untilTomorrow).toBeLessThanOrEqual(86_400);
    const byPhone = await api("/api/friends/requests", { method: "POST", token: me.token, json: { to: "+1 201 555 5001" } });
    expect(byPhone.data.error.code).toBe("rate_limited");
    // The same address book again (a phone re-syncing) costs nothing new.
    expect((await discover(book.slice(0, 500))).status).toBe(200);
    // Someone else has their own day.
    expect((await api("/api/contacts/discover", { method: "POST", token: known.token, json: { numbers: ["+1 201 555 5000"] } })).status).toBe(200);
  });
});
