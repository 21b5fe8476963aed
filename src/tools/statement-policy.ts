/**
 * Decides whether a statement may run in an environment, from the gate's verdict and the environment's mode:
 * read-only runs only reads; writable runs DML, DDL only with allow_ddl, and statements that destroy data in bulk
 * only as destructive_statements says. The database backstop (read-only transaction or connection) applies after
 * this, whatever it decided.
 */
import type { Environment } from '../environments/environment.js';
import type { Identity } from '../environments/identity.js';
import { ForbiddenError, ReadOnlyError } from '../errors.js';
import type { StatementVerdict } from '../guard/statement-gate.js';
import type { ConfirmWithUser } from './tool.js';

export async function authorizeStatement(environment: Environment, sql: string, confirm?: ConfirmWithUser, identity?: Identity): Promise<StatementVerdict> {
  const { config } = environment;
  const verdict = environment.rules.classify(sql, { allowedFunctions: config.allowedFunctions });
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
  if (verdict.isDestructive && config.destructiveStatements !== 'allow') {
    await requireConfirmation(environment, sql, config.destructiveStatements === 'confirm' ? confirm : undefined);
  }
  return verdict;
}

const DESTRUCTIVE = 'This statement would destroy data in bulk (DELETE or UPDATE without WHERE, DROP, TRUNCATE)';

async function requireConfirmation(environment: Environment, sql: string, confirm: ConfirmWithUser | undefined): Promise<void> {
  if (!confirm) {
    throw new ForbiddenError(`${DESTRUCTIVE} and is refused here.`, {
      hint: 'Add a WHERE clause that selects the rows to change.',
    });
  }
  const shown = sql.length > 300 ? `${sql.slice(0, 300)}…` : sql;
  const answer = await confirm(`Run this statement on "${environment.name}"? ${DESTRUCTIVE}.\n\n${shown}`);
  if (answer === undefined) {
    throw new ForbiddenError(`${DESTRUCTIVE} and needs the user's confirmation, but this client cannot ask for it.`, {
      hint: 'Add a WHERE clause, use a client that supports elicitation, or ask the operator to set destructive_statements: allow.',
    });
  }
  if (!answer) throw new ForbiddenError('The user declined to run this statement; nothing was changed.');
}
