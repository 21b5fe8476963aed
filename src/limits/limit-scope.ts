/**
 * Whose budget a tool call spends, and which limits apply to it. The budget is the user's in one environment,
 * over all their clients and every instance: a user who opens a second client (or is served by another instance)
 * does not get a second budget. docs/limits.md says why a client gets no budget of its own.
 *
 * The limits that apply are the environment's and those of the caller's named roles that give the environment;
 * for each limit the stricter value wins.
 */
import { roleAccessIn } from '../config/roles-schema.js';
import type { LimitSet, NamedRoles } from '../config/schema.js';
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';

/** One user in one environment, with every limit set that applies to them there. */
export interface LimitScope {
  readonly environment: string;
  /** The user (from the token), or "anonymous" where nobody signs in (auth.mode none, stdio): they share one budget. */
  readonly user: string;
  /** Every set that applies; for each limit the stricter (smaller) value wins (see strictestLimits). */
  readonly limitSets: readonly LimitSet[];
  /**
   * The longest one call can rightly hold a concurrent_queries slot: waiting for a connection, then running to
   * the statement timeout, plus a margin. A slot whose instance died mid-call is freed after this long.
   */
  readonly maxCallSeconds: number;
}

/** A margin over the statement timeout for everything around the statement: parsing, fetching rows, the audit. */
const CALL_MARGIN_SECONDS = 60;

export function limitScope(environment: Environment, identity: Identity | undefined): LimitScope {
  const { limits, statementTimeoutMs, pool } = environment.config;
  const roleLimits = (identity?.roles ?? []).flatMap((role) => environment.namedRoleLimits.get(role) ?? []);
  return {
    environment: environment.name,
    user: identity?.user ?? 'anonymous',
    limitSets: [limits, ...roleLimits],
    maxCallSeconds: Math.ceil((statementTimeoutMs + pool.acquireTimeoutMs) / 1000) + CALL_MARGIN_SECONDS,
  };
}

/** For each limit, the smallest value any set gives; a limit no set gives does not apply. */
export function strictestLimits(sets: readonly LimitSet[]): LimitSet {
  const strictest = (pick: (set: LimitSet) => number | undefined) => {
    const values = sets.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : Math.min(...values);
  };
  return {
    callsPerMinute: strictest((s) => s.callsPerMinute),
    concurrentQueries: strictest((s) => s.concurrentQueries),
    rowsPerHour: strictest((s) => s.rowsPerHour),
  };
}

/**
 * Environment.namedRoleLimits for `environment`: the limits of every named role that gives it. A role's limits
 * hold where the role gives access, not in environments the user reaches some other way.
 */
export function namedRoleLimits(roles: NamedRoles, environment: string): ReadonlyMap<string, LimitSet> {
  return new Map([...roles].flatMap(([name, role]) => (role.limits && roleAccessIn(role, environment) ? [[name, role.limits] as const] : [])));
}
