/**
 * The main-thread side of one SQLite worker: sends one request at a time and waits for its reply.
 * `kill()` terminates the worker, which is how a running statement is cancelled.
 */
import { Worker } from 'node:worker_threads';

export interface WorkerError {
  message: string;
  code?: string;
}

/** Error carrying the SQLite code from the worker, for sqlite-errors.ts. */
export class SqliteWorkerError extends Error {
  readonly code: string | undefined;
  constructor(error: WorkerError) {
    super(error.message);
    this.code = error.code;
  }
}

/** Raised for requests to a worker that was terminated (cancelled, timed out, or crashed). */
export class SqliteWorkerGoneError extends Error {
  constructor() {
    super('the SQLite worker was stopped');
  }
}

// Tests run the TypeScript sources, where Node strips the worker's types itself; the build runs the .js.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './sqlite-worker.ts' : './sqlite-worker.js', import.meta.url);

type Reply = { ok: true; [key: string]: unknown } | { ok: false; error: WorkerError };

export class SqliteConnection {
  private readonly worker: Worker;
  private pending: { resolve: (reply: Reply) => void; reject: (err: Error) => void } | null = null;
  private isGone = false;
  readonly ready: Promise<void>;

  constructor(options: { file: string; readonly: boolean; busyTimeoutMs: number; createIfMissing: boolean }) {
    this.worker = new Worker(WORKER_URL, { workerData: options });
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.pending = {
        resolve: (reply) => (reply.ok ? resolve() : reject(new SqliteWorkerError(reply.error))),
        reject,
      };
    });
    this.worker.on('message', (reply: Reply) => {
      const pending = this.pending;
      this.pending = null;
      pending?.resolve(reply);
    });
    const fail = (err: Error) => {
      this.isGone = true;
      const pending = this.pending;
      this.pending = null;
      pending?.reject(err);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new SqliteWorkerGoneError()));
  }

  get gone(): boolean {
    return this.isGone;
  }

  /** Sends one request; resolves with the reply's fields or rejects with the worker's error. */
  async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.isGone) throw new SqliteWorkerGoneError();
    if (this.pending) throw new Error('SqliteConnection: a request is already in flight');
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message);
    });
    if (!reply.ok) throw new SqliteWorkerError(reply.error);
    return reply;
  }

  /** Stops the worker at once, abandoning whatever it runs. */
  async kill(): Promise<void> {
    this.isGone = true;
    await this.worker.terminate();
  }
}
