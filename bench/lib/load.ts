// The open-loop load client. Sends are scheduled by the clock (message i leaves at
// t0 + i/rate), never by replies, so a slow server shows up as latency and backlog
// instead of silently lowering the offered rate. Every delivery is one sample: the time
// from the moment the sender's frame was handed to its socket to the moment a
// receiver's socket surfaced the matching `ev`, both read from this process's monotonic
// clock, so no clock sync is involved.
import { ACK_EVERY_MS } from "../../client/src/state/ack-pace";
import type { Conn } from "./socket";

export type Route = {
  from: Conn;
  /** The frame's `to`: {user}, {group}. */
  to: Record<string, string>;
  /** Deliveries each message should cause on sockets other than the sender's own. */
  receivers: number;
};

export type LoadOptions = {
  routes: Route[];
  /** Every socket that may receive a delivery (listeners are installed on all of them). */
  conns: Conn[];
  /** Offered messages per second, over all routes together (used round-robin). */
  rate: number;
  durationMs: number;
  /** How long to wait after the last send for deliveries still on their way; the rest are lost. */
  drainMs: number;
  /** Loopback echo: the sender's own socket is the receiver. */
  echo?: boolean;
  /** Unique per measurement, so frames left over from an earlier one are told apart. */
  tag: string;
  /**
   * Ack as the phone client does: after a burst (the frames one turn of the event loop
   * surfaced) that holds someone else's message, one `ack` with the highest seq. Targets
   * without receipts ignore it.
   */
  ack?: boolean;
};

export type LoadResult = {
  rate: number;
  durationMs: number;
  sent: number;
  accepted: number;
  errors: Record<string, number>;
  errorSamples: string[];
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  /** Frames for messages of an earlier measurement that arrived during this one. */
  strays: number;
  /** The sender's own copies (a hub pushes a sent message to all of its user's sockets). */
  ownCopies: number;
  socketsClosed: number;
  /** Sends attempted on a socket that was no longer open (they never left). */
  sendsOnClosedSocket: number;
  /** Every end-to-end latency sample, ms. */
  samples: number[];
  /** How late each send left against its schedule, ms: large values mean the client, not the server, was behind. */
  sendLag: number[];
  maxBufferedBytes: number;
  /** From the first send to the last delivery, s: the denominator of deliveries/s. */
  activeSeconds: number;
};

/** One sent message: when it left, who sent it, and which sockets have had it (to catch duplicates). */
type Sent = { sentAt: number; sender: number; seen: Uint8Array };

const TEXT_MARK = '"text":"bench:';
const EV_PREFIX = '{"t":"ev","seq":';

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  // Entries stay until the measurement ends, so a late own copy or duplicate is still recognised.
  const messages = new Map<string, Sent>();
  let outstanding = 0;
  const samples: number[] = [];
  const sendLag: number[] = [];
  const errors: Record<string, number> = {};
  const errorSamples: string[] = [];
  let accepted = 0;
  let delivered = 0;
  let duplicates = 0;
  let strays = 0;
  let ownCopies = 0;
  let socketsClosed = 0;
  let lastDeliveryAt = 0;
  const prefix = `${o.tag}.`;
  // The phone's acks: one per burst (what one turn of the event loop surfaced), and at most
  // one per ACK_EVERY_MS per socket, merged to the newest seq (client/src/state/ack-pace.ts).
  const paces = new Map<Conn, { lastAt: number; pending?: number; inBurst?: boolean; timer?: ReturnType<typeof setTimeout> }>();
  const fireAck = (conn: Conn) => {
    const p = paces.get(conn)!;
    p.timer = undefined;
    if (p.pending === undefined) return;
    const top = p.pending;
    p.pending = undefined;
    p.lastAt = performance.now();
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(`{"t":"ack","seq":${top}}`);
  };
  const noteSeq = (conn: Conn, data: string) => {
    const seq = Number.parseInt(data.slice(EV_PREFIX.length), 10);
    let p = paces.get(conn);
    if (!p) paces.set(conn, (p = { lastAt: -Infinity }));
    p.pending = Math.max(p.pending ?? 0, seq);
    if (p.inBurst || p.timer) return;
    p.inBurst = true;
    setImmediate(() => {
      p.inBurst = false;
      const wait = p.lastAt + ACK_EVERY_MS - performance.now();
      if (wait <= 0) fireAck(conn);
      else p.timer = setTimeout(() => fireAck(conn), wait);
    });
  };

  const onFrame = (conn: Conn) => (data: string, at: number) => {
    const k = data.indexOf(TEXT_MARK);
    if (k < 0) {
      if (data.startsWith('{"t":"accepted"')) accepted++;
      else if (data.startsWith('{"t":"error"')) {
        const code = /"code":"([^"]*)"/.exec(data)?.[1] ?? "unknown";
        errors[code] = (errors[code] ?? 0) + 1;
        if (errorSamples.length < 5) errorSamples.push(data.slice(0, 300));
      }
      return;
    }
    const start = k + TEXT_MARK.length;
    const id = data.slice(start, data.indexOf('"', start));
    const m = messages.get(id);
    // Like the phone: an ack only for a burst with someone else's message in it.
    // Like the phone: a room socket acks every burst, its own socket only a burst with someone else's message.
    if (o.ack && (conn.group !== undefined || !m || conn.index !== m.sender) && data.startsWith(EV_PREFIX)) noteSeq(conn, data);
    if (!m) {
      if (!id.startsWith(prefix)) strays++;
      return;
    }
    if (conn.index === m.sender && !o.echo) {
      ownCopies++;
      return;
    }
    if (m.seen[conn.index]) {
      duplicates++;
      return;
    }
    m.seen[conn.index] = 1;
    samples.push(at - m.sentAt);
    delivered++;
    outstanding--;
    lastDeliveryAt = at;
  };
  const onClose = () => socketsClosed++;
  for (const c of o.conns) {
    c.onFrame = onFrame(c);
    c.ws.on("close", onClose);
  }

  const total = Math.max(1, Math.round((o.rate * o.durationMs) / 1000));
  const period = 1000 / o.rate;
  // Frames are built from pre-serialised pieces: JSON.stringify per send would be client CPU
  // that the measurement does not need.
  const toJson = o.routes.map((r) => JSON.stringify(r.to));
  const socketSlots = Math.max(...o.conns.map((c) => c.index)) + 1;
  let expected = 0;
  let sent = 0;
  let maxBufferedBytes = 0;
  let sendsOnClosedSocket = 0;
  const t0 = performance.now() + 5;
  let firstSendAt = 0;

  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && t0 + sent * period <= now) {
        const r = sent % o.routes.length;
        const route = o.routes[r];
        const id = `${o.tag}.${sent}`;
        const frame = `{"t":"send","id":"${id}","to":${toJson[r]},"body":{"type":"text","text":"bench:${id}"}}`;
        const sentAt = performance.now();
        if (sent === 0) firstSendAt = sentAt;
        messages.set(id, { sentAt, sender: route.from.index, seen: new Uint8Array(socketSlots) });
        expected += route.receivers;
        outstanding += route.receivers;
        if (route.from.ws.readyState !== route.from.ws.OPEN) sendsOnClosedSocket++;
        route.from.ws.send(frame);
        sendLag.push(sentAt - (t0 + sent * period));
        if (route.from.ws.bufferedAmount > maxBufferedBytes) maxBufferedBytes = route.from.ws.bufferedAmount;
        sent++;
      }
      if (sent >= total) return done();
      setTimeout(tick, Math.max(0, Math.min(1, t0 + sent * period - performance.now())));
    };
    setTimeout(tick, 5);
  });

  const drainUntil = performance.now() + o.drainMs;
  const answered = () => accepted + Object.values(errors).reduce((a, b) => a + b, 0);
  const settled = () => outstanding === 0 && (o.echo || answered() >= sent);
  while (!settled() && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  for (const p of paces.values()) clearTimeout(p.timer);

  for (const c of o.conns) {
    c.onFrame = () => {};
    c.ws.off("close", onClose);
  }
  return {
    rate: o.rate,
    durationMs: o.durationMs,
    sent,
    accepted,
    errors,
    errorSamples,
    expected,
    delivered,
    lost: expected - delivered,
    duplicates,
    strays,
    ownCopies,
    socketsClosed,
    sendsOnClosedSocket,
    samples,
    sendLag,
    maxBufferedBytes,
    activeSeconds: Math.max(1e-3, ((lastDeliveryAt || performance.now()) - firstSendAt) / 1000),
  };
}
