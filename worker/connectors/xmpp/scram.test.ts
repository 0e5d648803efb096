// SCRAM against the RFCs' own exchanges: RFC 5802 §5 (SHA-1) and RFC 7677 §3 (SHA-256).
import { describe, expect, it } from "vitest";
import { saslPrep, scramClient } from "./scram";

describe("SCRAM", () => {
  it("makes RFC 5802's SCRAM-SHA-1 proof and accepts its server signature", async () => {
    const c = scramClient("SHA-1", "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
    expect(c.first).toBe("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    const final = await c.respond("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    expect(final).toBe("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
    await expect(c.verify("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")).resolves.toBeUndefined();
  });

  it("makes RFC 7677's SCRAM-SHA-256 proof and accepts its server signature", async () => {
    const c = scramClient("SHA-256", "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    const final = await c.respond("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    expect(final).toBe("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    await expect(c.verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")).resolves.toBeUndefined();
  });

  it("refuses a server that does not know the password, or ends with an error", async () => {
    const c = scramClient("SHA-1", "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
    await c.respond("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    await expect(c.verify("v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=")).rejects.toThrow(/does not know the password/);
    await expect(c.verify("e=invalid-proof")).rejects.toThrow(/invalid-proof/);
  });

  it("verifies nothing before the challenge was answered", async () => {
    const c = scramClient("SHA-1", "user", "pencil", "abc");
    await expect(c.verify("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")).rejects.toThrow(/signature/);
  });

  it("refuses a nonce that does not extend ours, and iteration counts out of range", async () => {
    const c = scramClient("SHA-1", "user", "pencil", "mynonce");
    await expect(c.respond("r=othernonce,s=QSXCR+Q6sek8bf92,i=4096")).rejects.toThrow(/nonce/);
    await expect(c.respond("r=mynonce,s=QSXCR+Q6sek8bf92,i=4096")).rejects.toThrow(/nonce/);
    await expect(c.respond("r=mynonceXYZ,s=QSXCR+Q6sek8bf92,i=1")).rejects.toThrow(/iterations/);
    await expect(c.respond("r=mynonceXYZ,s=QSXCR+Q6sek8bf92,i=200000")).rejects.toThrow(/iterations/);
    await expect(c.respond("r=mynonceXYZ,i=4096")).rejects.toThrow(/malformed/);
  });

  it("escapes = and , in the user name, and prepares passwords (RFC 4013)", () => {
    expect(scramClient("SHA-1", "a=b,c", "x", "n").first).toBe("n,,n=a=3Db=2Cc,r=n");
    expect(saslPrep("I\u00ADX")).toBe("IX");
    expect(saslPrep("a\u00A0b")).toBe("a b");
    expect(saslPrep("\u2168")).toBe("IX");
  });
});
