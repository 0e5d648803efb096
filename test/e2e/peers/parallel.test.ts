// Instances started at the same moment stay apart: own ports, own data, and stop() leaves
// nothing behind (other test files and helpers start these servers at the same time).
import { existsSync } from "node:fs";
import { expect, it } from "vitest";
import { startDovecot } from "../../support/peers/dovecot";
import { ircPeer } from "../../support/peers/irc-peer";
import { startNgircd } from "../../support/peers/ngircd";
import { startProsody } from "../../support/peers/prosody";
import { xmppPeer } from "../../support/peers/xmpp-peer";

it("starts two of each at once, apart from each other, and cleans up", async () => {
  const [p1, p2, d1, d2, n1, n2] = await Promise.all([startProsody(), startProsody(), startDovecot(), startDovecot(), startNgircd(), startNgircd()]);
  const ports = [p1.c2sPort, p1.wsUrl, p2.c2sPort, p2.wsUrl, d1.port, d2.port, n1.port, n2.port];
  expect(new Set(ports).size).toBe(ports.length);
  const dirs = [p1, p2, d1, d2, n1, n2].map((s) => s.dir);
  expect(new Set(dirs).size).toBe(6);
  for (const d of dirs) expect(existsSync(d)).toBe(true);

  await p1.register("only1", "pw");
  const peer = await xmppPeer({ wsUrl: p1.wsUrl, jid: "only1@localhost", password: "pw" });
  await expect(xmppPeer({ wsUrl: p2.wsUrl, jid: "only1@localhost", password: "pw" })).rejects.toThrow();
  expect(await p2.sessions()).toEqual([]);
  await peer.stop();

  await d1.addUser("u", "pw");
  await d2.addUser("u", "pw");
  await d1.append("u", "Subject: one\r\n\r\nx\r\n");
  expect([(await d1.status("u")).messages, (await d2.status("u")).messages]).toEqual([1, 0]);

  const a = await ircPeer({ host: n1.host, port: n1.port, nick: "same" });
  const b = await ircPeer({ host: n2.host, port: n2.port, nick: "same" }); // another network: no clash
  await Promise.all([a.stop(), b.stop()]);

  await Promise.all([p1, p2, d1, d2, n1, n2].map((s) => s.stop()));
  for (const d of dirs) expect(existsSync(d)).toBe(false);
});
