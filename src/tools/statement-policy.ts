/**
 * Decides whether a statement may run in an environment, from the gate's verdict and the environment's mode:
 * read-only runs only reads; writable runs DML, DDL only with allow_ddl, and statements that destroy data in bulk
 * only as destructive_statements says. Then the environment's table/column policy (policy/), which also says
 * which output columns to mask. The database backstop (read-only transaction or connection) applies after this,
 * whatever it decided.
 */
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';
import { ForbiddenError, ReadOnlyError } from '../errors.js';
import type { StatementVerdict } from '../guard/statement-gate.js';
import type { PolicyOutcome } from '../policy/check-statement.js';
import { checkStatementPolicy } from '../policy/statement-policy-check.js';
import { withSpan } from '../telemetry/tracing.js';
import type { ConfirmWithUser } from './tool.js';

/** A statement allowed to run: the gate's verdict, and what the table/column policy asks of its result. */
export interface AuthorizedStatement extends StatementVerdict {
  readonly policy: PolicyOutcome;
}

/** planOnly: the statement is only planned (execute_sql's explain), nothing changes: no confirmation is asked for. */
export function authorizeStatement(environment: Environment, sql: string, confirm?: ConfirmWithUser, identity?: Identity, options: { planOnly?: boolean } = {}): Promise<AuthorizedStatement> {
  return withSpan('sqlgate.gate', { 'sqlgate.environment': environment.name }, async (span) => {
    const authorized = await authorize(environment, sql, confirm, identity, options.planOnly === true);
    span.setAttribute('sqlgate.statement_kind', authorized.kind);
    return authorized;
  });
}

async function authorize(environment: Environment, sql: string, confirm: ConfirmWithUser | undefined, identity: Identity | undefined, isPlanOnly: boolean): Promise<AuthorizedStatement> {
  const { config } = environment;
  const options = { allowedFunctions: config.allowedFunctions };
  await environment.rules.prepare?.(sql, options); // a long statement is parsed off the main thread
  const verdict = environment.rules.classify(sql, options);
  if (config.readOnly && verdict.kind !== 'read') {
    throw new ReadOnlyError(`This environment is read-only; the statement would ${verdict.kind === 'ddl' ? 'change the schema' : 'change data'}.`, {
      hint: 'Only reading statements run here: SELECT, WITH … SELECT, EXPLAIN, SHOW.',
    });
  }
  if (verdict.kind !== 'read' && identity && !identity.canWrite) {
    throw new ForbiddenError(`${identity.user} may only read in "${environment.name}" with this authorization; the statement would ${verdict.kind === 'ddl' ? 'change the schema' : 'change data'}.`, {
      hint: 'Writing needs the sql:write scope: reconnect and allow writing (the user must be allowed to write here).',
    });
  }
  if (verdict.kind === 'ddl' && !config.allowDdl) {
    throw new ForbiddenError('Schema changes (CREATE, ALTER, DROP, TRUNCATE …) are not allowed in this environment.', {
      hint: 'Ask the operator to set allow_ddl: true for it if this is intended.',
    });
  }
  if (verdict.isDestructive && config.destructiveStatements === 'refuse') {
    throw new ForbiddenError(`${DESTRUCTIVE}, and this environment refuses such statements (the operator set destructive_statements: refuse).`, {
      hint: 'Add a WHERE clause that selects the rows to change. Only the operator can change destructive_statements (confirm | refuse | allow) for this environment.',
    });
  }
  // Before asking for a confirmation: a statement the policy refuses is not put to the user.
  const policy = await checkStatementPolicy(environment, sql, identity);
  if (verdict.isDestructive && config.destructiveStatements === 'confirm' && !isPlanOnly) await requireConfirmation(environment, sql, confirm);
  return { ...verdict, policy };
}

const DESTRUCTIVE = 'This statement would destroy data in bulk (DELETE or UPDATE without WHERE, DROP, TRUNCATE)';

/**
 * destructive_statements: confirm. `confirm` is absent when the transport has no channel back to the client (no
 * elicitation support, stateless HTTP), and answers undefined when the client could not be asked after all: both
 * refuse, and say that it was the asking that failed, not the setting.
 */
async function requireConfirmation(environment: Environment, sql: string, confirm: ConfirmWithUser | undefined): Promise<void> {
  const shown = sql.length > 300 ? `${sql.slice(0, 300)}…` : sql;
  const answer = await confirm?.(`Run this statement on "${environment.name}"? ${DESTRUCTIVE}.\n\n${shown}`, sql);
  if (answer === undefined) {
    throw new ForbiddenError(`${DESTRUCTIVE} and needs the user's confirmation (destructive_statements: confirm), but this client could not be asked: it does not support elicitation, or the request came over stateless HTTP.`, {
      hint: 'Add a WHERE clause that selects the rows to change, use a client that supports elicitation, or ask the operator to change destructive_statements (confirm | refuse | allow) for this environment.',
    });
  }
  if (!answer) throw new ForbiddenError('The user declined to run this statement; nothing was changed.');
}
