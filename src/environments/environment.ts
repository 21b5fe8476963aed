/**
 * An environment: one configured database served at `/<name>/…`, with its mode and limits (its own, and those of
 * the named roles that give it).
 * Built by app.ts from the config; tools receive the Environment, never a driver.
 */
import type { EnvironmentConfig, LimitSet } from '../config/schema.js';
import type { ConnectionStatus, Dialect } from '../db/dialect.js';
import type { RunawayObserver } from '../db/stop-runaway.js';
import { NotFoundError } from '../errors.js';
import type { StatementRules } from '../guard/statement-gate.js';
import type { StatementObserver } from '../telemetry/observers.js';

export interface Environment {
  readonly name: string;
  readonly config: EnvironmentConfig;
  readonly dialect: Dialect;
  /** The statement gate for this environment's dialect (layer 1 of read-only; see guard/). */
  readonly rules: StatementRules;
  /** What the data is, for the model: config.description, plus what was read from the data (the demo's window). */
  readonly description: string | undefined;
  /**
   * The limits of the named roles that give this environment, by role name (roles.<name>.limits; a role without
   * limits is not here). A caller's roles (Identity.roles) add theirs to config.limits: see limits/limit-scope.ts.
   */
  readonly namedRoleLimits: ReadonlyMap<string, LimitSet>;
  /** Told of every statement a tool runs here (QueryRequest.observe): the environment's metrics; absent when off. */
  readonly observeStatement?: StatementObserver;
  /** Told how a statement ended that its caller was answered without (QueryRequest.reportRunaway): the log. */
  readonly reportRunaway?: RunawayObserver;
}

export interface EnvironmentStatus {
  readonly name: string;
  readonly dialect: string;
  readonly readOnly: boolean;
  readonly database: ConnectionStatus;
}

/** The environments of one server, looked up by name. */
export class EnvironmentRegistry {
  private readonly byName: ReadonlyMap<string, Environment>;

  constructor(environments: readonly Environment[]) {
    this.byName = new Map(environments.map((e) => [e.name, e]));
  }

  list(): Environment[] {
    return [...this.byName.values()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  resolve(name: string): Environment {
    const environment = this.byName.get(name);
    if (!environment) {
      throw new NotFoundError(`There is no environment named "${name}".`, {
        hint: `Environments on this server: ${[...this.byName.keys()].join(', ')}.`,
      });
    }
    return environment;
  }

  async status(): Promise<EnvironmentStatus[]> {
    return Promise.all(
      this.list().map(async (e) => ({
        name: e.name,
        dialect: e.dialect.displayName,
        readOnly: e.config.readOnly,
        database: await e.dialect.ping(),
      })),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((e) => e.dialect.close()));
  }
}
