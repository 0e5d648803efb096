// Flood control on what we send: a token bucket. Servers disconnect clients that send too
// fast ("Excess Flood"); `burst` lines may go at once, then one per `everyMs`.

export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: (() => void)[] = [];
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private burst: number, private everyMs: number, private now: () => number = Date.now) {
    this.tokens = burst;
    this.last = now();
  }

  /** Resolves when a line may be sent, in the order asked. */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.drain();
    });
  }

  /** Lets every waiting line go (the connection is ending; nothing will be sent anyway). */
  release(): void {
    clearTimeout(this.timer);
    for (const wake of this.queue.splice(0)) wake();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) / this.everyMs);
    this.last = t;
  }

  private drain(): void {
    this.refill();
    while (this.queue.length && this.tokens >= 1) {
      this.tokens -= 1;
      this.queue.shift()!();
    }
    if (this.queue.length && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, Math.ceil((1 - this.tokens) * this.everyMs));
    }
  }
}
