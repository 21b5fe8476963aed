/**
 * A small bounded resource pool: at most `max` resources exist; `acquire` waits up to `acquireTimeoutMs` for one
 * and then fails with `PoolTimeoutError` instead of queueing without bound; idle resources are destroyed after
 * `idleTimeoutMs`. Resources that broke are released with `release(r, { destroy: true })`.
 */
export class PoolTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`no resource became free within ${waitedMs} ms`);
  }
}

export class PoolClosedError extends Error {
  constructor() {
    super('the pool is closed');
  }
}

export interface ResourcePoolOptions<T> {
  create(): Promise<T>;
  destroy(resource: T): Promise<void>;
  max: number;
  acquireTimeoutMs: number;
  idleTimeoutMs: number;
}

interface Waiter<T> {
  resolve(resource: T): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class ResourcePool<T> {
  private readonly idle: { resource: T; timer: NodeJS.Timeout }[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private size = 0;
  private isClosed = false;

  constructor(private readonly options: ResourcePoolOptions<T>) {}

  /** Resources in use plus idle ones plus ones being created. */
  get total(): number {
    return this.size;
  }

  get inUse(): number {
    return this.size - this.idle.length;
  }

  async acquire(): Promise<T> {
    if (this.isClosed) throw new PoolClosedError();
    const idle = this.idle.pop();
    if (idle) {
      clearTimeout(idle.timer);
      return idle.resource;
    }
    if (this.size < this.options.max) return this.createCounted();
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new PoolTimeoutError(this.options.acquireTimeoutMs));
        }, this.options.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Gives a resource back; `destroy` discards it (it broke, or its state is unknown). */
  release(resource: T, { destroy = false }: { destroy?: boolean } = {}): void {
    if (destroy || this.isClosed) {
      this.size--;
      void this.options.destroy(resource).catch(() => undefined);
      this.serveWaiterWithNewResource();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(resource);
      return;
    }
    const timer = setTimeout(() => {
      const index = this.idle.findIndex((entry) => entry.resource === resource);
      if (index >= 0) {
        this.idle.splice(index, 1);
        this.size--;
        void this.options.destroy(resource).catch(() => undefined);
      }
    }, this.options.idleTimeoutMs);
    timer.unref();
    this.idle.push({ resource, timer });
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new PoolClosedError());
    }
    const idle = this.idle.splice(0);
    this.size -= idle.length;
    await Promise.all(
      idle.map(({ resource, timer }) => {
        clearTimeout(timer);
        return this.options.destroy(resource).catch(() => undefined);
      }),
    );
  }

  private async createCounted(): Promise<T> {
    this.size++;
    try {
      return await this.options.create();
    } catch (err) {
      this.size--;
      this.serveWaiterWithNewResource();
      throw err;
    }
  }

  /** After a resource went away, a waiter may now create one. */
  private serveWaiterWithNewResource(): void {
    if (this.isClosed || this.size >= this.options.max) return;
    const waiter = this.waiters.shift();
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.createCounted().then(waiter.resolve, waiter.reject);
  }
}
