/**
 * The parent side of one SQLite connection process (sqlite-worker.ts): sends one request at a time and waits for
 * its reply. `kill()` ends the process with SIGKILL, which is how a running statement is cancelled.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface WorkerError {
  message: string;
  code?: string;
  /** Raised by a statement on an open connection, as opposed to opening the database file. */
  isStatementError?: boolean;
}

/** Error carrying the SQLite code from the worker, for sqlite-errors.ts. */
export class SqliteWorkerError extends Error {
  readonly code: string | undefined;
  readonly isStatementError: boolean;
  constructor(error: WorkerError) {
    super(error.message);
    this.code = error.code;
    this.isStatementError = error.isStatementError === true;
  }
}

/** Raised for requests to a worker that was terminated (cancelled, timed out, or crashed). */
export class SqliteWorkerGoneError extends Error {
  constructor() {
    super('the SQLite worker was stopped');
  }
}

// Tests run the TypeScript sources, where Node strips the worker's types itself; the build runs the .js.
const WORKER_FILE = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './sqlite-worker.ts' : './sqlite-worker.js', import.meta.url));

type Reply = { ok: true; [key: string]: unknown } | { ok: false; error: WorkerError };

export class SqliteConnection {
  private readonly worker: ChildProcess;
  private pending: { resolve: (reply: Reply) => void; reject: (err: Error) => void } | null = null;
  private isGone = false;
  readonly ready: Promise<void>;

  constructor(options: { file: string; readonly: boolean; busyTimeoutMs: number; createIfMissing: boolean }) {
    this.worker = fork(WORKER_FILE, [JSON.stringify(options)], {
      serialization: 'advanced', // structured clone: BigInt and binary values cross intact
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: [],
      // A process group of its own: Ctrl-C in a terminal signals the server's group, not its workers (the worker
      // also ignores SIGINT/SIGTERM, for a stop that signals every process of a cgroup). It still ends with the
      // server: on disconnect.
      detached: true,
    });
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

  /** The process has ended (gone is true from the moment it is asked to). */
  get hasExited(): boolean {
    return this.worker.exitCode !== null || this.worker.signalCode !== null;
  }

  /** Sends one request; resolves with the reply's fields or rejects with the worker's error. */
  async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.isGone) throw new SqliteWorkerGoneError();
    if (this.pending) throw new Error('SqliteConnection: a request is already in flight');
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.send(message);
    });
    if (!reply.ok) throw new SqliteWorkerError(reply.error);
    return reply;
  }

  /** Stops the process at once, abandoning whatever it runs. */
  async kill(): Promise<void> {
    this.isGone = true;
    if (this.worker.exitCode !== null || this.worker.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.kill('SIGKILL');
    await exited;
  }
}
