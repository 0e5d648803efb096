// The chaos run: users exchange messages while sockets are cut at random and the dev
// server is restarted once with the same state. Afterwards every message must have
// arrived exactly once, in order per conversation, and every send been accepted.
//
// With a group, each member also holds the group's room socket, cut at random on its
// own. A member's group messages then come by either socket (the hub's while no room
// socket was open, the room's otherwise, both around reconnects), and the phone shows
// each message id once. So a duplicate is not one message arriving twice: it is the
// server sending an entry again on a socket that already has it (a room `ev` at or below
// that socket's resume point or last entry, or a hub event at a second hub seq), the
// same message id under two room seqs, or one send becoming two messages. The order is
// the room's seq order, gaps allowed: each socket must bring the group in it, and each
// member must be able to show it so (group-order.ts). Arriving late by the other socket
// around a reconnect is counted (groupLate), not refused: the thread places the message.
import type { DevServer } from "../support/dev-server";
import { ResilientClient, type Violation } from "./client";
import { call, makeFriends, type Session, signUp } from "./http";
import { checkHubStream, checkThreadOrder, lateArrivals, readRoomOrder } from "./group-order";

export type ChaosOptions = {
  users: number;
  messages: number;
  /** Unaccepted sends a user keeps in flight. */
  window?: number;
  /** Mean milliseconds between socket cuts. */
  cutEveryMs?: number;
  /**
   * Cuts of each kind (hub sockets, and room sockets where there are any) spread over the
   * run: a user's k-th send waits until k/quota of them have happened, so a server that
   * got faster is cut as often as a slow one.
   */
  minCuts?: number;
  /** Restart the server when this share of messages is accepted (0 = never). */
  restartAt?: number;
  /** Every other message goes to one group of all the users instead of the 1:1 peer. */
  group?: boolean;
  timeoutMs?: number;
  log?: (line: string) => void;
};

export type ChaosReport = {
  users: number;
  messages: number;
  accepted: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Group members who saw the group's messages in a different order than the first member (with room sockets: in room seq order). */
  groupOrderMismatches: number;
  /** With room sockets: members who cannot show the group in the room's order (a pair they can only place by time, which has it the other way). */
  threadOrderMismatches: number;
  /** With room sockets: group messages that first arrived after one with a higher room seq (by the other socket; the thread places them). */
  groupLate: number;
  historyMismatches: number;
  /** Cuts of hub sockets, and of room sockets. */
  cuts: number;
  roomCuts: number;
  reconnects: number;
  roomReconnects: number;
  /** Whether group members held room sockets ("unavailable": the server has no room route). */
  roomSockets: "used" | "unavailable" | "none";
  /** Group messages as first shown: by the hub socket, by the room socket. */
  groupVia: { hub: number; room: number };
  /** Sends that went out on both sockets before `accepted` (and must be one message). */
  crossPath: number;
  restarted: boolean;
  seconds: number;
  violations: Violation[];
};

export async function runChaos(server: DevServer, opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  const window = opts.window ?? 20;
  const t0 = Date.now();
  const sessions: Session[] = [];
  for (let i = 0; i < opts.users; i++) sessions.push(await signUp(server.url, `chaos${i}`));
  // Each user talks to the next one round the ring (with two users: both ways).
  const peerOf = (i: number) => (i + 1) % opts.users;
  const friends = new Set<string>();
  const befriend = async (i: number, j: number) => {
    const key = [i, j].sort().join("-");
    if (i === j || friends.has(key)) return;
    friends.add(key);
    await makeFriends(server.url, sessions[i]!, sessions[j]!);
  };
  for (let i = 0; i < opts.users; i++) await befriend(i, peerOf(i));
  let groupId: string | undefined;
  if (opts.group) {
    for (let j = 1; j < opts.users; j++) await befriend(0, j);
    const created = await call(server.url, "/api/groups", { token: sessions[0]!.token, json: { name: "chaos", members: sessions.slice(1).map((s) => s.id), ttlHours: 168 } });
    groupId = created.group.id as string;
  }
  // Message k of a user goes to the group when k is odd and there is a group.
  const toGroup = (k: number) => groupId !== undefined && k % 2 === 1;
  const clients = sessions.map((s, i) => new ResilientClient(server.url, s.token, `user${i}`, { group: groupId }));
  clients.forEach((c) => c.start());

  const quota = Math.ceil(opts.messages / opts.users);
  let cuts = 0;
  let roomCuts = 0;
  let restarted = false;
  let stopped = false;
  const monkey = (async () => {
    const mean = opts.cutEveryMs ?? 150;
    while (!stopped) {
      await sleep(mean * 2 * Math.random());
      if (stopped) break;
      const c = clients[Math.floor(Math.random() * clients.length)]!;
      // A member's room socket and hub socket fail independently, as on a phone.
      if (c.room && !c.room.unavailable && Math.random() < 0.5) {
        c.cutRoom();
        roomCuts++;
      } else {
        c.cut();
        cuts++;
      }
    }
  })();

  const cutsSoFar = () => (clients.some((c) => c.room && !c.room.unavailable) ? Math.min(cuts, roomCuts) : cuts);
  const totalAccepted = () => clients.reduce((n, c) => n + c.accepted.size, 0);
  const restartAt = opts.restartAt ?? 0;
  const senders = clients.map(async (c, i) => {
    const direct = { user: sessions[peerOf(i)]!.id };
    for (let k = 0; k < quota; k++) {
      const due = Math.ceil(((opts.minCuts ?? 0) * k) / quota);
      while (cutsSoFar() < due) await sleep(10);
      while (c.outbox.size >= window) await c.waitAccepted(c.accepted.size + 1, opts.timeoutMs ?? 120_000);
      c.send({ t: "send", id: `u${i}-${k}`, to: toGroup(k) ? { group: groupId! } : direct, body: { type: "text", text: `${i}:${k}` } });
      if (restartAt > 0 && !restarted && totalAccepted() >= restartAt * quota * opts.users) {
        restarted = true;
        log(`restarting wrangler dev after ${totalAccepted()} accepted`);
        const r0 = Date.now();
        await server.restart();
        log(`restarted in ${Date.now() - r0} ms`);
      }
    }
    await c.waitAccepted(quota, opts.timeoutMs ?? 120_000);
  });
  await Promise.all(senders);
  log(`all ${totalAccepted()} sends accepted after ${Date.now() - t0} ms; waiting for deliveries`);

  // Every receiver must end up with every message meant for it.
  const isGroupConv = (conv: string) => groupId !== undefined && conv === `g:${groupId}`;
  const directKs = Array.from({ length: quota }, (_, k) => k).filter((k) => !toGroup(k));
  const groupKs = Array.from({ length: quota }, (_, k) => k).filter((k) => toGroup(k));
  const expectedFrom = (j: number) => clients.map((_, i) => i).filter((i) => peerOf(i) === j);
  const expectedCount = (j: number) => directKs.length * expectedFrom(j).length + groupKs.length * opts.users;
  await Promise.all(
    clients.map((c, j) =>
      c.waitEvents(
        () => c.messages().filter((m) => isGroupConv(m.conv) || m.from !== sessions[j]!.id).length >= expectedCount(j),
        opts.timeoutMs ?? 120_000,
        () => `${c.name} has ${c.messages().length} of ${expectedCount(j)}`,
      ),
    ),
  ).catch((err) => log(String(err)));
  stopped = true;
  await monkey;

  // With room sockets, the room's seq is the group's order; else the order messages arrived in.
  const roomSockets = !groupId ? "none" : clients.some((c) => c.room!.connects > 0) ? "used" : "unavailable";
  const checks: Violation[] = [];
  const room = roomSockets === "used" ? await readRoomOrder(server.url, groupId!, clients.map((client, j) => ({ client, token: sessions[j]!.token })), checks) : undefined;
  const groupThread = (c: ResilientClient) => {
    const thread = c.messages().filter((m) => isGroupConv(m.conv));
    return room ? room.sorted(c.name, thread) : thread;
  };

  // Verify: exactly once, in order, per sender → receiver conversation.
  let delivered = 0;
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  const missing: string[] = [];
  const tally = (ks: number[], expected: number[], where: (k: number) => string) => {
    const seen = new Set<number>();
    let last = -1;
    for (const k of ks) {
      if (seen.has(k)) duplicated++;
      else delivered++;
      if (k < last) outOfOrder++;
      seen.add(k);
      last = Math.max(last, k);
    }
    for (const k of expected) {
      if (seen.has(k)) continue;
      lost++;
      missing.push(where(k));
    }
  };
  const kOf = (m: { text: string }) => Number(m.text.split(":")[1]);
  clients.forEach((c, j) => {
    const msgs = c.messages();
    for (const i of expectedFrom(j)) tally(msgs.filter((m) => !isGroupConv(m.conv) && m.from === sessions[i]!.id).map(kOf), directKs, (k) => `${c.name} never got ${i}:${k} (1:1)`);
    const group = groupThread(c);
    for (let i = 0; i < opts.users; i++) tally(group.filter((m) => m.from === sessions[i]!.id).map(kOf), groupKs, (k) => {
      const msgId = clients[i]!.accepted.get(`u${i}-${k}`);
      const seq = msgId && room ? ` at room seq ${room.seq(c.name, { id: msgId, text: `${i}:${k}` })}` : "";
      return `${c.name} never got ${i}:${k} (group${seq}; its room socket said hello fresh ${c.room?.freshHellos ?? 0} times)`;
    });
  });
  // One group, one order: every member sees the group's messages in the same sequence.
  const groupOrder = (c: ResilientClient) => groupThread(c).map((m) => m.id).join();
  const groupOrderMismatches = groupId ? clients.filter((c) => groupOrder(c) !== groupOrder(clients[0]!)).length : 0;
  let groupLate = 0;
  let threadOrderMismatches = 0;
  if (room) {
    for (const c of clients) {
      const arrived = c.messages().filter((m) => isGroupConv(m.conv));
      checkHubStream(c, `g:${groupId}`, room, checks);
      groupLate += lateArrivals(c, arrived, room);
      if (checkThreadOrder(c, arrived, room, checks) > 0) threadOrderMismatches++;
    }
  }
  // The message a member shows for a send is the one its sender was told of.
  const msgIdOf = (text: string) => {
    const [i, k] = text.split(":");
    return clients[Number(i)]?.accepted.get(`u${i}-${k}`);
  };
  for (const c of clients) {
    for (const m of c.messages()) {
      const want = msgIdOf(m.text);
      if (want && want !== m.id) checks.push({ kind: "accepted-changed", detail: `${c.name} shows ${m.text} as ${m.id}, accepted as ${want}` });
    }
  }

  // The persisted history agrees with what the socket delivered.
  let historyMismatches = 0;
  const first = clients[1]!.messages().find((m) => m.from === sessions[0]!.id && !isGroupConv(m.conv));
  if (first) {
    const ids: string[] = [];
    let before: string | undefined;
    do {
      const page = await call(server.url, `/api/conversations/${encodeURIComponent(first.conv)}/messages?limit=200${before ? `&before=${before}` : ""}`, { token: sessions[1]!.token });
      ids.unshift(...page.messages.map((m: { id: string }) => m.id));
      before = page.before;
    } while (before);
    const live = clients[1]!.messages().filter((m) => m.conv === first.conv).map((m) => m.id);
    if (ids.join() !== live.join()) historyMismatches = Math.max(1, Math.abs(ids.length - live.length));
  }

  clients.forEach((c) => c.stop());
  const violations = [...missing.slice(0, 20).map((detail): Violation => ({ kind: "lost", detail })), ...clients.flatMap((c) => c.violations), ...checks];
  const groupShown = clients.flatMap((c) => c.messages().filter((m) => isGroupConv(m.conv)));
  return {
    users: opts.users,
    messages: quota * opts.users,
    accepted: totalAccepted(),
    delivered,
    lost,
    duplicated: duplicated + violations.filter((v) => v.kind === "duplicate").length,
    outOfOrder: outOfOrder + violations.filter((v) => v.kind === "reorder").length,
    groupOrderMismatches,
    threadOrderMismatches,
    groupLate,
    historyMismatches,
    cuts,
    roomCuts,
    reconnects: clients.reduce((n, c) => n + c.connects - 1, 0),
    roomReconnects: clients.reduce((n, c) => n + Math.max(0, (c.room?.connects ?? 0) - 1), 0),
    roomSockets,
    groupVia: { hub: groupShown.filter((m) => m.via === "hub").length, room: groupShown.filter((m) => m.via === "room").length },
    crossPath: clients.reduce((n, c) => n + c.crossPath, 0),
    restarted,
    seconds: (Date.now() - t0) / 1000,
    violations,
  };
}

export function failures(r: ChaosReport): string[] {
  const out: string[] = [];
  if (r.accepted !== r.messages) out.push(`accepted ${r.accepted} of ${r.messages}`);
  if (r.lost) out.push(`${r.lost} lost`);
  if (r.duplicated) out.push(`${r.duplicated} duplicated`);
  if (r.outOfOrder) out.push(`${r.outOfOrder} out of order`);
  if (r.groupOrderMismatches) out.push(`${r.groupOrderMismatches} members saw the group in another order`);
  if (r.threadOrderMismatches) out.push(`${r.threadOrderMismatches} members cannot place the group's messages in the room's order`);
  if (r.historyMismatches) out.push(`history differs from live delivery by ${r.historyMismatches}`);
  for (const v of r.violations.slice(0, 10)) out.push(`${v.kind}: ${v.detail}`);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
