// What a peer has received, kept in order, with a way to wait for a particular item.
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters = new Set<(item: T) => void>();

  constructor(private what: string) {}

  push(item: T): void {
    this.items.push(item);
    for (const wake of [...this.waiters]) wake(item);
  }

  /** The first item so far or from now on that matches `pred`. */
  waitFor(pred: (item: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const found = this.items.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const wake = (item: T) => {
        if (!pred(item)) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(item);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`${this.what}: nothing matched within ${timeoutMs} ms (${this.items.length} received)`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }
}
