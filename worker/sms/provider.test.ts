import { describe, expect, it } from "vitest";
import { codeText, isLocalHost } from "./provider";

describe("where the log provider may run", () => {
  it("is loopback, a private LAN address or a reserved local name, never a public host", () => {
    for (const h of ["localhost", "127.0.0.1", "127.8.0.1", "[::1]", "unibox.test", "app.localhost", "my-laptop.local", "10.0.0.7", "192.168.1.20", "172.16.0.1", "172.31.255.1"]) expect(isLocalHost(h), h).toBe(true);
    for (const h of ["unibox.example", "unibox.app", "8.8.8.8", "172.32.0.1", "172.15.0.1", "192.169.1.1", "test.unibox.app", "localhost.evil.com", "127.0.0.1.nip.io"]) expect(isLocalHost(h), h).toBe(false);
  });
});

describe("the code's text", () => {
  it("ends with the WebOTP origin-bound line", () => {
    expect(codeText("123456", new URL("https://unibox.example/api/me/phone")).split("\n").at(-1)).toBe("@unibox.example #123456");
  });
});
