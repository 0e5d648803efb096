// The chaos run's XMPP phase: a real XMPP peer (Bob, on a real Prosody) sends messages to a
// user whose XMPP account is bound in Unibox, while the user's sockets are cut at random,
// Prosody is restarted once and wrangler dev once. Afterwards every one of Bob's messages
// must be in the user's inbox exactly once, in the order he sent them, live and in history.
import type { DevServer } from "../support/dev-server";
import type { Prosody } from "../support/peers/prosody";
import { type XmppPeer, xmppPeer } from "../support/peers/xmpp-peer";
import { ResilientClient, type Violation } from "./client";
import { call, signUp } from "./http";

export type XmppChaosReport = {
  messages: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  historyMismatches: number;
  cuts: number;
  reconnects: number;
  prosodyRestarted: boolean;
  serverRestarted: boolean;
  seconds: number;
  violations: Violation[];
};

export async function runXmppChaos(server: DevServer, prosody: Prosody, opts: { messages: number; cutEveryMs?: number; timeoutMs?: number; log?: (l: string) => void }): Promise<XmppChaosReport> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const user = `chaos${Date.now().toString(36)}`;
  await prosody.register(user, "chaos xmpp password");
  await prosody.register(`${user}peer`, "chaos peer password");
  const jid = `${user}@localhost`;
  let bob: XmppPeer = await xmppPeer({ wsUrl: prosody.wsUrl, jid: `${user}peer@localhost`, password: "chaos peer password" });

  const session = await signUp(server.url, "xchaos");
  const client = new ResilientClient(server.url, session.token, "xmpp-user");
  client.start();
  const bound = await call(server.url, "/api/accounts", { token: session.token, json: { network: "xmpp", credentials: { jid, password: "chaos xmpp password", websocketUrl: prosody.wsUrl } } });
  const account = bound.account.id as string;
  log(`bound ${account}; Bob sends ${opts.messages}`);
  // Wait until the link is up before Bob starts, so the first messages are not only archived.
  await client.waitEvents(() => client.received.some((r) => r.ev.type === "account.status" && r.ev.account === account && r.ev.state === "connected"), 60_000, () => "connected");

  let cuts = 0;
  let stopped = false;
  const monkey = (async () => {
    const mean = opts.cutEveryMs ?? 200;
    while (!stopped) {
      await sleep(mean * 2 * Math.random());
      if (stopped) break;
      client.cut();
      cuts++;
    }
  })();

  let prosodyRestarted = false;
  let serverRestarted = false;
  for (let k = 0; k < opts.messages; k++) {
    if (k === Math.floor(opts.messages / 3)) {
      // Bob pauses around the restart: what Prosody itself loses in flight is not ours to count.
      await sleep(300);
      await bob.stop().catch(() => undefined);
      const t = Date.now();
      await prosody.restart();
      bob = await xmppPeer({ wsUrl: prosody.wsUrl, jid: `${user}peer@localhost`, password: "chaos peer password" });
      prosodyRestarted = true;
      log(`prosody restarted in ${Date.now() - t} ms`);
    }
    if (k === Math.floor((2 * opts.messages) / 3)) {
      const t = Date.now();
      await server.restart();
      serverRestarted = true;
      log(`wrangler dev restarted in ${Date.now() - t} ms`);
    }
    await bob.send(jid, `x${k}`);
    if (k % 50 === 49) await sleep(20);
  }
  log(`Bob sent ${opts.messages} after ${Date.now() - t0} ms; waiting for the inbox`);

  const fromBob = () => client.messages().filter((m) => m.from === `${user}peer@localhost`);
  await client.waitEvents(() => new Set(fromBob().map((m) => m.text)).size >= opts.messages, opts.timeoutMs ?? 240_000, () => `have ${new Set(fromBob().map((m) => m.text)).size}/${opts.messages}`).catch((err) => log(String(err)));
  stopped = true;
  await monkey;

  const got = fromBob().map((m) => Number(m.text.slice(1)));
  const seen = new Map<number, number>();
  for (const n of got) seen.set(n, (seen.get(n) ?? 0) + 1);
  const lost = Array.from({ length: opts.messages }, (_, k) => k).filter((k) => !seen.has(k)).length;
  const duplicated = [...seen.values()].filter((c) => c > 1).length;
  let outOfOrder = 0;
  for (let i = 1; i < got.length; i++) if (got[i]! < got[i - 1]!) outOfOrder++;

  // History must say the same as live delivery.
  const conv = fromBob()[0]?.conv;
  let history: number[] = [];
  if (conv) {
    let before: string | undefined;
    do {
      const page = await call(server.url, `/api/conversations/${encodeURIComponent(conv)}/messages?limit=200${before ? `&before=${before}` : ""}`, { token: session.token });
      history = [...page.messages.map((m: { body: { text: string } }) => Number(m.body.text.slice(1))), ...history];
      before = page.before;
    } while (before);
  }
  const historyMismatches = history.length === got.length && history.every((n, i) => n === got[i]) ? 0 : 1;

  client.stop();
  await bob.stop().catch(() => undefined);
  return {
    messages: opts.messages,
    delivered: seen.size,
    lost,
    duplicated,
    outOfOrder,
    historyMismatches,
    cuts,
    reconnects: client.connects - 1,
    prosodyRestarted,
    serverRestarted,
    seconds: (Date.now() - t0) / 1000,
    violations: client.violations,
  };
}

export function xmppFailures(r: XmppChaosReport): string[] {
  const out: string[] = [];
  if (r.lost) out.push(`${r.lost} lost`);
  if (r.duplicated) out.push(`${r.duplicated} duplicated`);
  if (r.outOfOrder) out.push(`${r.outOfOrder} out of order`);
  if (r.historyMismatches) out.push("history differs from live delivery");
  for (const v of r.violations) out.push(`${v.kind}: ${v.detail}`);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
