import { describe, expect, it } from "vitest";
import { newId } from "../../core/ids";

describe("newId", () => {
  it("keeps its shape (prefix, base36 time, 16 hex digits) and never repeats across refills of its random pool", () => {
    const ids = Array.from({ length: 1000 }, () => newId("m"));
    for (const id of ids) expect(id).toMatch(/^m_[0-9a-z]+[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // The random part differs from one id to the next (not one draw reused).
    const tails = new Set(ids.map((id) => id.slice(-16)));
    expect(tails.size).toBe(ids.length);
    const now = Date.now();
    const time = Number.parseInt(newId("x").slice(2, -16), 36);
    expect(Math.abs(time - now)).toBeLessThan(5000);
  });
});
