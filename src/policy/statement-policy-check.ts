/**
 * The table/column policy of an environment applied to a statement a caller sends: the caller's policy (its named
 * roles' exceptions), the statement's shape from the gate's parse, the catalog facts, then the check. Environments
 * without a policy pay nothing: no shape is built and no catalog is read.
 */
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';
import type { QueryResult } from '../db/run-query.js';
import { PolicyDeniedError } from '../errors.js';
import { checkStatement, type PolicyOutcome } from './check-statement.js';
import { maskRows } from './mask-value.js';
import { loadCatalog } from './policy-catalog.js';
import { TablePolicy } from './table-policy.js';

const NO_POLICY: PolicyOutcome = Object.freeze({ masks: new Map(), width: null });
const policies = new WeakMap<Environment, Map<string, TablePolicy | null>>();

/** The policy as it applies to `identity` here; null when the environment denies and masks nothing. */
export function policyFor(environment: Environment, identity: Identity | undefined): TablePolicy | null {
  const config = environment.config.policy;
  if (!config) return null;
  const roles = [...(identity?.roles ?? [])].sort();
  let byRoles = policies.get(environment);
  if (!byRoles) policies.set(environment, (byRoles = new Map()));
  const key = roles.join(',');
  if (!byRoles.has(key)) byRoles.set(key, TablePolicy.for(config, roles));
  return byRoles.get(key)!;
}

/**
 * Refuses the statement (PolicyDeniedError) when the policy does not let `identity` run it; else says which output
 * columns to mask and how wide the result must be. Call after the read-only gate allowed the statement.
 */
export async function checkStatementPolicy(environment: Environment, sql: string, identity: Identity | undefined): Promise<PolicyOutcome> {
  const policy = policyFor(environment, identity);
  if (!policy) return NO_POLICY;
  const shape = environment.rules.shape(sql);
  const catalog = await loadCatalog(shape, environment.dialect.introspector(), environment.rules);
  return checkStatement(shape, { policy, catalog, userFunctions: new Set(environment.config.allowedFunctions) });
}

/**
 * Masks a result's masked columns in place, after checking it has the width the check counted: a table that gained
 * a column since the catalog was read could otherwise return it unchecked under a `*`.
 */
export function applyPolicyOutcome(outcome: PolicyOutcome, result: Pick<QueryResult, 'columns' | 'rows'>): void {
  if (outcome.width !== null && result.columns.length > 0 && result.columns.length !== outcome.width) {
    result.rows.length = 0;
    throw new PolicyDeniedError('The result had other columns than the table/column policy checked (a table changed while the statement ran), so it is not returned.', {
      hint: 'Run the statement again; if this repeats, name the columns instead of using *.',
    });
  }
  maskRows(result.rows, outcome.masks);
}
