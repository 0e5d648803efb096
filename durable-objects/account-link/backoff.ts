/** Reconnect delays: 2 s doubling to 5 min, with ±20 % jitter so a server restart is not met by every link at once. */
export function backoffMs(attempt: number): number {
  const base = Math.min(300_000, 2_000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
