import { describe, expect, it } from "vitest";
import { arcResults, authResults, authVerdict } from "./auth-results";

describe("authVerdict", () => {
  it.each([
    [{ dmarc: "pass", spf: "pass", dkim: "pass" }, "authenticated"],
    [{ dmarc: "pass", spf: "fail", dkim: "pass" }, "authenticated"], // forwarded: SPF breaks, DKIM and DMARC hold
    [{ dmarc: "fail", spf: "pass", dkim: "pass" }, "possibly_forged"],
    [{ dmarc: "fail" }, "possibly_forged"],
    [{ spf: "fail", dkim: "fail" }, "possibly_forged"],
    [{ spf: "softfail", dkim: "fail" }, "possibly_forged"],
    [{ spf: "fail", dkim: "none" }, "unverified"], // no signature: SPF alone fails on honest forwarding
    [{ spf: "fail" }, "unverified"],
    [{ spf: "pass", dkim: "pass" }, "unverified"], // no DMARC: neither says the From domain is the sender's
    [{ dmarc: "none", spf: "neutral" }, "unverified"],
    [{ dmarc: "temperror" }, "unverified"],
    [undefined, "unverified"],
  ] as const)("%j → %s", (auth, verdict) => {
    expect(authVerdict(auth)).toBe(verdict);
  });
});

describe("authResults", () => {
  it("reads methods, results, versions and properties, and ignores comments, even ones holding ';' or '='", () => {
    const header = "mx.example.org 1; spf=pass (sender; ip=1.2.3.4 (nested) allowed) smtp.mailfrom=a.example; dkim/1=fail (bad sig) header.d=a.example header.s=sel; dmarc=pass header.from=a.example";
    expect(authResults([header])).toEqual({ spf: "pass", dkim: "fail", dmarc: "pass" });
  });

  it("a quoted string may hold ';' and '(' (RFC 5322 quoted-string)", () => {
    expect(authResults(['mx.example.org; dkim=pass header.i="odd;(value"; spf=fail'])).toEqual({ dkim: "pass", spf: "fail" });
  });

  it("several DKIM signatures: one that verifies wins, else a failure is reported", () => {
    expect(authResults(["mx.example.org; dkim=fail header.d=x.example; dkim=pass header.d=y.example"])).toEqual({ dkim: "pass" });
    expect(authResults(["mx.example.org; dkim=neutral; dkim=fail"])).toEqual({ dkim: "fail" });
  });

  it("'none' and a header without results say nothing", () => {
    expect(authResults(["mx.example.org; none"])).toBeUndefined();
    expect(authResults(["mx.example.org"])).toBeUndefined();
    expect(authResults([])).toBeUndefined();
    expect(authResults([";;;"])).toBeUndefined();
  });

  it("the topmost header, or the one of the trusted authserv-id; case does not matter", () => {
    const ours = "MX.Example.ORG; dmarc=fail";
    const theirs = "mx.bank.example; dmarc=pass";
    expect(authResults([ours, theirs])).toEqual({ dmarc: "fail" });
    expect(authResults([theirs, ours], "mx.example.org")).toEqual({ dmarc: "fail" });
    expect(authResults([theirs], "mx.example.org")).toBeUndefined();
  });
});

describe("arcResults", () => {
  it("reads the newest instance from the trusted server, and nothing from others", () => {
    const headers = ["i=1; mx.cloudflare.net; dkim=pass header.d=a.example; spf=pass; dmarc=pass", "i=2; mx.cloudflare.net; dmarc=fail", "i=3; evil.example; dmarc=pass"];
    expect(arcResults(headers, "mx.cloudflare.net")).toEqual({ dmarc: "fail" });
    expect(arcResults(headers.slice(0, 1), "mx.cloudflare.net")).toEqual({ dkim: "pass", spf: "pass", dmarc: "pass" });
    expect(arcResults(headers, "mx.other.example")).toBeUndefined();
    expect(arcResults(["no instance; dmarc=pass"], "no")).toBeUndefined();
  });
});
