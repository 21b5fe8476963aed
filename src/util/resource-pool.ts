/**
 * A small bounded resource pool: at most `max` resources exist; `acquire` waits up to `acquireTimeoutMs` for one
 * and then fails with `PoolTimeoutError` instead of queueing without bound; idle resources are destroyed after
 * `idleTimeoutMs`. Resources that broke are released with `release(r, { destroy: true })`.
 */
export class PoolTimeoutError extends Error {
  constructor(
    readonly waitedMs: number,
    /** Every resource of the pool was still being created: none was busy, none could be made in time. */
    readonly isStillCreating = false,
  ) {
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

/** A pool's state at one moment: resources that exist, those lent out, acquires waiting, and the limit. */
export interface ResourcePoolStats {
  readonly size: number;
  readonly inUse: number;
  readonly waiting: number;
  readonly max: number;
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
  /** Of `size`, those whose creation has not finished. */
  private creating = 0;
  private isClosed = false;

  constructor(private readonly options: ResourcePoolOptions<T>) {}

  /** Resources in use plus idle ones plus ones being created. */
  get total(): number {
    return this.size;
  }

  get inUse(): number {
    return this.size - this.idle.length;
  }

  /** Acquires waiting for a resource now (each gives up after acquireTimeoutMs). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** The counts above and the limit, in one reading (for metrics). */
  stats(): ResourcePoolStats {
    return { size: this.size, inUse: this.inUse, waiting: this.waiters.length, max: this.options.max };
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
          reject(new PoolTimeoutError(this.options.acquireTimeoutMs, this.size === this.creating));
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
    this.creating++;
    let resource: T;
    try {
      resource = await this.options.create();
    } catch (err) {
      this.size--;
      this.creating--;
      // Nothing the pool made works and this attempt failed (a database that is down or hangs): the callers
      // queued behind it would each try the same again, one connect timeout after another. They fail now.
      if (this.size === this.creating) this.rejectWaiters(err as Error);
      else this.serveWaiterWithNewResource();
      throw err;
    }
    this.creating--;
    return resource;
  }

  private rejectWaiters(err: Error): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(err);
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
