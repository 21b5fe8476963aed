/**
 * Writable environments: DML runs and commits, DDL only with allow_ddl, and statements that destroy data in bulk
 * only after the user confirms (or as destructive_statements says). Real SQLite fixture.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Environment } from '../../src/environments/environment.js';
import { SqlgateError } from '../../src/errors.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import type { ConfirmWithUser } from '../../src/tools/tool.js';
import { createFixtureEnvironment, type TestEnvironment } from '../support/test-databases.js';

const opened: TestEnvironment[] = [];
afterEach(async () => {
  for (const fixture of opened.splice(0)) await fixture.close();
});

async function writable(overrides: Record<string, unknown> = {}): Promise<Environment> {
  const fixture = await createFixtureEnvironment('sqlite', { read_only: false, ...overrides });
  opened.push(fixture);
  return fixture.environment;
}

async function execute(environment: Environment, query: string, confirm?: ConfirmWithUser) {
  return executeSqlTool.run(executeSqlTool.inputSchema.parse({ query }), { environment, signal: new AbortController().signal, confirm });
}

async function refusal(environment: Environment, query: string, confirm?: ConfirmWithUser): Promise<SqlgateError> {
  try {
    await execute(environment, query, confirm);
  } catch (err) {
    return err as SqlgateError;
  }
  throw new Error(`expected "${query}" to be refused`);
}

const count = async (environment: Environment, table: string) => ((await execute(environment, `SELECT COUNT(*) FROM ${table}`)).structured.rows as unknown[][])[0]![0];

describe('writable environments', () => {
  it('run DML with a WHERE clause and commit it', async () => {
    const env = await writable();
    const { structured } = await execute(env, "DELETE FROM orders WHERE status = 'cancelled'");
    expect(structured.rows_affected).toBe(1);
    expect(await count(env, 'orders')).toBe(4);
  });

  it('ask before a bulk DELETE and run it only on an explicit yes', async () => {
    const env = await writable();
    const questions: string[] = [];
    const declined = await refusal(env, 'DELETE FROM orders', async (q) => (questions.push(q), false));
    expect(declined.code).toBe('SG_FORBIDDEN');
    expect(declined.message).toContain('declined');
    expect(questions[0]).toContain('DELETE FROM orders');
    expect(questions[0]).toContain('"fixture"');
    expect(await count(env, 'orders')).toBe(5);

    const { structured } = await execute(env, 'DELETE FROM orders', async () => true);
    expect(structured.rows_affected).toBe(5);
  });

  it('refuse a bulk UPDATE when the client cannot be asked, and say that asking failed, not the setting', async () => {
    const env = await writable();
    // No channel back to the client (no elicitation support, stateless HTTP), or a client that could not answer.
    for (const confirm of [undefined, async () => undefined]) {
      const error = await refusal(env, "UPDATE customers SET state = 'XX'", confirm);
      expect(error.code).toBe('SG_FORBIDDEN');
      expect(error.message).toBe(
        "This statement would destroy data in bulk (DELETE or UPDATE without WHERE, DROP, TRUNCATE) and needs the user's confirmation (destructive_statements: confirm), but this client could not be asked: it does not support elicitation, or the request came over stateless HTTP.",
      );
      expect(error.hint).toBe('Add a WHERE clause that selects the rows to change, use a client that supports elicitation, or ask the operator to change destructive_statements (confirm | refuse | allow) for this environment.');
    }
    expect((await execute(env, "SELECT COUNT(*) FROM customers WHERE state = 'XX'")).structured.rows).toEqual([[0]]);
  });

  it('honour destructive_statements: refuse and allow', async () => {
    const refusing = await writable({ destructive_statements: 'refuse' });
    let askedWhenRefusing = false;
    const refused = await refusal(refusing, 'DELETE FROM orders', async () => (askedWhenRefusing = true));
    expect(refused.code).toBe('SG_FORBIDDEN');
    expect(refused.message).toBe('This statement would destroy data in bulk (DELETE or UPDATE without WHERE, DROP, TRUNCATE), and this environment refuses such statements (the operator set destructive_statements: refuse).');
    expect(refused.hint).toBe('Add a WHERE clause that selects the rows to change. Only the operator can change destructive_statements (confirm | refuse | allow) for this environment.');
    expect(askedWhenRefusing).toBe(false);
    // Without a client to ask, refuse still says it was the setting.
    expect((await refusal(refusing, 'DELETE FROM orders')).message).toContain('destructive_statements: refuse');
    expect(await count(refusing, 'orders')).toBe(5);
    const allowing = await writable({ destructive_statements: 'allow' });
    let asked = false;
    await execute(allowing, 'DELETE FROM orders', async () => (asked = true));
    expect(asked).toBe(false);
    expect(await count(allowing, 'orders')).toBe(0);
  });

  it('refuse schema changes unless allow_ddl, and confirm DROP even then', async () => {
    const env = await writable();
    const ddl = await refusal(env, 'CREATE TABLE extra (id INTEGER)');
    expect(ddl.code).toBe('SG_FORBIDDEN');
    expect(ddl.hint).toContain('allow_ddl');

    const withDdl = await writable({ allow_ddl: true });
    await execute(withDdl, 'CREATE TABLE extra (id INTEGER)');
    expect(await count(withDdl, 'extra')).toBe(0);
    expect((await refusal(withDdl, 'DROP TABLE extra')).code).toBe('SG_FORBIDDEN');
    await execute(withDdl, 'DROP TABLE extra', async () => true);
    expect((await refusal(withDdl, 'SELECT * FROM extra')).code).toBe('SG_QUERY_FAILED');
  });

  it('still refuse what no mode allows (several statements)', async () => {
    const env = await writable({ destructive_statements: 'allow', allow_ddl: true });
    const error = await refusal(env, 'SELECT 1; DELETE FROM orders');
    expect(['SG_READ_ONLY', 'SG_INVALID_INPUT']).toContain(error.code);
    expect(await count(env, 'orders')).toBe(5);
  });
});
