// The shell's Content-Security-Policy allows inline scripts by hash only: every inline
// script in client/index.html must have its hash in client/public/_headers (change the
// script, and this test prints the new hash to put there).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../..", import.meta.url).pathname;
const html = readFileSync(`${root}client/index.html`, "utf8");
const headers = readFileSync(`${root}client/public/_headers`, "utf8");
const csp = /Content-Security-Policy: (.+)/.exec(headers)?.[1] ?? "";
const directive = (name: string) => csp.split(";").map((d) => d.trim()).find((d) => d.startsWith(`${name} `)) ?? "";

describe("the shell's Content-Security-Policy", () => {
  it("lists the hash of every inline script, and allows no other inline or eval'd script", () => {
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(inline.length).toBeGreaterThan(0);
    for (const body of inline) {
      const hash = `'sha256-${createHash("sha256").update(body).digest("base64")}'`;
      expect(directive("script-src").split(" "), `put ${hash} into script-src in client/public/_headers`).toContain(hash);
    }
    expect(directive("script-src")).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers
  });

  it("forbids framing, plugins and base-tag tricks", () => {
    for (const d of ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) expect(csp).toContain(d);
    expect(headers).toMatch(/Permissions-Policy: camera=\(self\), microphone=\(self\), geolocation=\(self\)/);
  });
});
