/**
 * Builds the statement gate's rules for an environment's dialect. Parsers load once per dialect and flavor and are
 * shared by every environment that uses them (the rules hold no per-environment state), with one verdict cache each
 * (cached-rules.ts), and long statements parsed on a worker thread (off-thread-rules.ts).
 *
 * A dialect's rules module (and its parser) is imported only when an environment of that dialect is configured:
 * libpg-query's WebAssembly and node-sql-parser's grammars cost tens of MB each, and a PostgreSQL-only deployment
 * needs none of the others (issue 12). The worker thread, and piscina, start with the first long statement.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import type { DatabaseTarget } from '../config/database-url.js';
import type { Logger } from '../telemetry/logger.js';
import { withVerdictCache } from './cached-rules.js';
import { loadRules, type GateJob, type GateJobResult, type RulesKey } from './gate-job.js';
import { QueueFullError, withOffThreadParsing } from './off-thread-rules.js';
import type { StatementRules } from './statement-gate.js';

/** The built worker (dist/guard/gate-worker.js). Run from sources (tests), there is none: the main thread parses. */
const WORKER_FILE = new URL('./gate-worker.js', import.meta.url);
/** Long statements waiting for the worker beyond this are refused as busy, not parsed on the main thread. */
const MAX_QUEUED_JOBS = 64;
/** A worker and its parsers cost memory: kept a minute after the last long statement, then stopped. */
const WORKER_IDLE_MS = 60_000;

export class StatementRulesCache {
  private readonly loaded = new Map<RulesKey, Promise<StatementRules>>();
  private readonly workers = new GateWorkers();
  private hasReportedWorkerFailure = false;

  constructor(private readonly logger?: Logger) {}

  rulesFor(target: DatabaseTarget): Promise<StatementRules> {
    const key = rulesKeyOf(target);
    let rules = this.loaded.get(key);
    if (!rules) {
      rules = loadRules(key).then((loaded) => withOffThreadParsing(withVerdictCache(loaded), key, this.workers.run, this.reportWorkerFailure));
      this.loaded.set(key, rules);
    }
    return rules;
  }

  /** Stops the worker thread, if one runs. */
  close(): Promise<void> {
    return this.workers.close();
  }

  private readonly reportWorkerFailure = (err: unknown) => {
    if (this.hasReportedWorkerFailure) return;
    this.hasReportedWorkerFailure = true;
    this.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'the statement gate\'s worker thread failed: long statements are parsed on the main thread');
  };
}

function rulesKeyOf(target: DatabaseTarget): RulesKey {
  return target.dialect === 'mysql' ? (target.flavor === 'mariadb' ? 'mysql:mariadb' : 'mysql:mysql') : target.dialect;
}

/** One worker thread at most (these machines have few cores, and the main thread needs one), started on demand. */
class GateWorkers {
  private pool: Promise<Piscina> | undefined;
  private isClosed = false;

  readonly run = async (job: GateJob): Promise<GateJobResult> => {
    if (this.isClosed) throw new Error('the statement gate is closed');
    const pool = await (this.pool ??= this.start());
    try {
      return (await pool.run(job)) as GateJobResult;
    } catch (err) {
      if (err instanceof Error && err.message === 'Task queue is at limit') throw new QueueFullError();
      throw err;
    }
  };

  async close(): Promise<void> {
    this.isClosed = true;
    const pool = await this.pool?.catch(() => undefined);
    await pool?.destroy();
  }

  private async start(): Promise<Piscina> {
    if (!fs.existsSync(fileURLToPath(WORKER_FILE))) throw new Error(`no worker script at ${fileURLToPath(WORKER_FILE)}`);
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: WORKER_FILE.href, minThreads: 0, maxThreads: 1, idleTimeout: WORKER_IDLE_MS, maxQueue: MAX_QUEUED_JOBS });
    // A worker that dies outside a job is replaced by piscina; the event must have a listener not to crash the process.
    pool.on('error', () => undefined);
    return pool;
  }
}
