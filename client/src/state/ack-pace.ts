// Acks, paced: a socket acks at most once per ACK_EVERY_MS. The first ack after a quiet
// spell goes at once (a lone message shows delivered without delay); those that come
// inside the window are merged into one, with the newest seq, sent at the window's end.
// Under load this turns an ack per burst (every few messages) into four a second: on the
// server each ack is a frame to wake an object for, and nearly all changed nothing.

export const ACK_EVERY_MS = 250;

type Pace = { lastAt: number; pending?: number; timer?: ReturnType<typeof setTimeout> };

export function ackPacer(send: (key: string, seq: number) => void, everyMs = ACK_EVERY_MS, now: () => number = Date.now) {
  const paces = new Map<string, Pace>();
  const fire = (key: string, p: Pace) => {
    p.timer = undefined;
    if (p.pending === undefined) return;
    const seq = p.pending;
    p.pending = undefined;
    p.lastAt = now();
    send(key, seq);
  };
  return {
    /** Acks `seq` on the socket `key` (the hub, or a group's room), now or at the window's end. */
    ack(key: string, seq: number): void {
      let p = paces.get(key);
      if (!p) paces.set(key, (p = { lastAt: -Infinity }));
      p.pending = Math.max(p.pending ?? 0, seq);
      if (p.timer) return;
      const wait = p.lastAt + everyMs - now();
      if (wait <= 0) fire(key, p);
      else p.timer = setTimeout(() => fire(key, p), wait);
    },
    /** Forgets every pending ack (sign-out). */
    reset(): void {
      for (const p of paces.values()) clearTimeout(p.timer);
      paces.clear();
    },
  };
}
