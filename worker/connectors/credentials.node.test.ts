import { describe, expect, it } from "vitest";
import { base64url } from "../../core/bytes";
import { keyRing, needsReseal, seal, unseal } from "./credentials";

const key = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

describe("sealed credentials", () => {
  it("opens what it sealed, and the seal shows neither the secret nor its shape", async () => {
    const ring = keyRing({ CREDENTIALS_KEY: key() });
    const sealed = await seal(ring, "a_1", { jid: "alice@example.org", password: "hunter2-very-secret" });
    expect(sealed).toMatch(/^v1\.k1\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain("hunter2");
    expect(sealed).not.toContain("alice");
    expect(await unseal(ring, "a_1", sealed)).toEqual({ jid: "alice@example.org", password: "hunter2-very-secret" });
  });

  it("will not open under another account's id (a copied seal is useless elsewhere)", async () => {
    const ring = keyRing({ CREDENTIALS_KEY: key() });
    const sealed = await seal(ring, "a_1", { password: "x" });
    await expect(unseal(ring, "a_2", sealed)).rejects.toThrow();
  });

  it("will not open a tampered seal", async () => {
    const ring = keyRing({ CREDENTIALS_KEY: key() });
    const sealed = await seal(ring, "a_1", { password: "x" });
    const parts = sealed.split(".");
    parts[3] = parts[3]!.slice(0, -2) + (parts[3]!.endsWith("AA") ? "BB" : "AA");
    await expect(unseal(ring, "a_1", parts.join("."))).rejects.toThrow();
  });

  it("rotates: an old key still opens, new seals use the current key, and says which to re-seal", async () => {
    const oldKey = key();
    const before = keyRing({ CREDENTIALS_KEY: oldKey, CREDENTIALS_KEY_ID: "k1" });
    const sealed = await seal(before, "a_1", { token: "t" });
    const after = keyRing({ CREDENTIALS_KEY: key(), CREDENTIALS_KEY_ID: "k2", CREDENTIALS_OLD_KEYS: `k1:${oldKey}` });
    expect(await unseal(after, "a_1", sealed)).toEqual({ token: "t" });
    expect(needsReseal(after, sealed)).toBe(true);
    const resealed = await seal(after, "a_1", { token: "t" });
    expect(needsReseal(after, resealed)).toBe(false);
    // Once the old key is gone, old seals no longer open.
    await expect(unseal(keyRing({ CREDENTIALS_KEY: key(), CREDENTIALS_KEY_ID: "k2" }), "a_1", sealed)).rejects.toThrow(/no key k1/);
  });

  it("refuses to run without a key, saying how to make one", () => {
    expect(() => keyRing({})).toThrow(/npm run setup/);
  });
});
