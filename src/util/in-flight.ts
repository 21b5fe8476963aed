/**
 * Counts work in progress (tool calls, HTTP responses) so that a shutdown can wait for it to end, for a bounded
 * time. Nothing here stops the work: whoever waits decides what to do when the time is up.
 */
export class InFlight {
  private count = 0;
  private readonly idleWaiters = new Set<() => void>();

  get size(): number {
    return this.count;
  }

  /** Counts one piece of work; call the returned function once it has ended (calling it again does nothing). */
  begin(): () => void {
    this.count++;
    let isEnded = false;
    return () => {
      if (isEnded) return;
      isEnded = true;
      this.count--;
      if (this.count === 0) for (const wake of [...this.idleWaiters]) wake();
    };
  }

  /** Resolves true as soon as nothing is in flight, or false once `timeoutMs` has passed first. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (isIdle: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(wake);
        resolve(isIdle);
      };
      const wake = () => finish(true);
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      this.idleWaiters.add(wake);
    });
  }
}
