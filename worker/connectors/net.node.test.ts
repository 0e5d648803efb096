import { describe, expect, it } from "vitest";
import { allowedHosts, checkHost, hostOf } from "./net";
import { RemoteError } from "./types";

const none = allowedHosts(undefined);
const refused = (host: string, allow = none) => {
  try {
    checkHost(host, allow);
    return false;
  } catch (err) {
    return err instanceof RemoteError && err.kind === "permanent";
  }
};

describe("the outbound host guard", () => {
  it("refuses loopback, private, link-local, CGNAT, multicast and reserved addresses in every spelling", () => {
    for (const host of ["127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "10.0.0.8", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254",
      "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "[::1]", "::", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3"]) {
      expect(refused(host), host).toBe(true);
    }
  });

  it("refuses names that only mean something inside", () => {
    for (const host of ["localhost", "LOCALHOST", "db.localhost", "printer.local", "api.internal", "router.home.arpa", "intranet", "localhost."]) {
      expect(refused(host), host).toBe(true);
    }
  });

  it("lets public names and addresses through", () => {
    for (const host of ["xmpp.example.org", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "matrix.org"]) expect(refused(host), host).toBe(false);
  });

  it("lets the hosts the server's config lists through, and only those", () => {
    const local = allowedHosts("127.0.0.1, localhost");
    expect(refused("127.0.0.1", local)).toBe(false);
    expect(refused("localhost", local)).toBe(false);
    expect(refused("10.0.0.1", local)).toBe(true);
  });

  it("reads the host out of URLs and refuses other schemes", () => {
    expect(hostOf("https://Example.org:8448/path")).toBe("example.org");
    expect(hostOf("ws://127.0.0.1:5280/xmpp-websocket")).toBe("127.0.0.1");
    expect(() => hostOf("file:///etc/passwd")).toThrow(RemoteError);
    expect(() => hostOf("gopher://example.org")).toThrow(RemoteError);
  });
});
