/**
 * execute_sql with explain: true returns the statement's estimated plan and never runs it, on every dialect with a
 * planner, through the same gate and policy as a statement that runs (but without asking for a confirmation).
 * Real databases: the shared fixture (customers, orders) in SQLite, PostgreSQL and MariaDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/config/database-url.js';
import type { Environment } from '../../src/environments/environment.js';
import type { SqlgateError } from '../../src/errors.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import type { ConfirmWithUser } from '../../src/tools/tool.js';
import { createFixtureEnvironment, type TestEnvironment } from '../support/test-databases.js';

const DIALECTS: DialectName[] = ['sqlite', 'postgres', 'mysql'];

interface PlanOutput {
  readonly columns: readonly { name: string }[];
  readonly rows: readonly unknown[][];
  readonly row_count: number;
  readonly plan?: unknown;
}

async function run(environment: Environment, args: Record<string, unknown>, confirm?: ConfirmWithUser): Promise<{ structured: PlanOutput; text: string }> {
  const { structured, text } = await executeSqlTool.run(executeSqlTool.inputSchema.parse(args), { environment, signal: new AbortController().signal, confirm });
  return { structured: structured as unknown as PlanOutput, text };
}

async function refusal(environment: Environment, args: Record<string, unknown>): Promise<SqlgateError> {
  try {
    await run(environment, args);
  } catch (err) {
    return err as SqlgateError;
  }
  throw new Error(`expected ${JSON.stringify(args)} to be refused`);
}

const totalOf = async (environment: Environment) => String(((await run(environment, { query: 'SELECT SUM(total) FROM orders' })).structured.rows as unknown[][])[0]![0]);
const countOrders = async (environment: Environment) => Number(((await run(environment, { query: 'SELECT COUNT(*) FROM orders' })).structured.rows as unknown[][])[0]![0]);

describe.each(DIALECTS)('explain on %s', (dialect) => {
  let readOnly: TestEnvironment;
  let writable: TestEnvironment;
  beforeAll(async () => {
    readOnly = await createFixtureEnvironment(dialect);
    writable = await createFixtureEnvironment(dialect, { read_only: false, destructive_statements: 'confirm' }, 'writable');
  }, 60_000);
  afterAll(async () => {
    await readOnly?.close();
    await writable?.close();
  });

  it('returns the plan of a join as steps that name the tables it reads, with the engine\'s raw plan beside them', async () => {
    const placeholder = readOnly.environment.dialect.placeholder(1);
    const { structured, text } = await run(readOnly.environment, {
      query: `SELECT c.name, SUM(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.total > ${placeholder} GROUP BY c.name ORDER BY c.name`,
      params: [10],
      explain: true,
    });
    expect(structured.columns.map((c) => c.name)).toEqual(['depth', 'operation', 'relation', 'estimated_rows', 'cost', 'detail']);
    const relations = (structured.rows as unknown[][]).map((row) => String(row[2] ?? ''));
    expect(relations.some((r) => /\bcustomers\b|^c$|customers c/.test(r)), JSON.stringify(structured.rows)).toBe(true);
    expect(relations.some((r) => /\borders\b|^o$|orders o/.test(r)), JSON.stringify(structured.rows)).toBe(true);
    expect(structured.row_count).toBe(structured.rows.length);
    expect((structured.rows as unknown[][])[0]![0]).toBe(0);
    expect(structured.plan).toBeTruthy();
    expect(text).toMatch(/^Estimated plan, not run: \d+ steps? · /);
    expect(text).toMatch(/<rows-[0-9a-f]{12}>[\s\S]*<\/rows-[0-9a-f]{12}>/);
  });

  it('plans a write without running it, and without asking for a confirmation', async () => {
    const env = writable.environment;
    const before = await totalOf(env);
    const questions: string[] = [];
    const { structured } = await run(env, { query: 'UPDATE orders SET total = total + 1', explain: true }, async (q) => (questions.push(q), true));
    expect(structured.rows.length).toBeGreaterThan(0);
    expect(questions).toEqual([]);
    expect(await totalOf(env)).toBe(before);
  });

  it('refuses what the gate refuses: a write in a read-only environment, two statements', async () => {
    expect((await refusal(readOnly.environment, { query: 'DELETE FROM orders', explain: true })).code).toBe('SG_READ_ONLY');
    const twoStatements = await refusal(readOnly.environment, { query: 'SELECT 1; DELETE FROM orders', explain: true });
    expect(twoStatements.code).toMatch(/^SG_/);
    expect(await countOrders(readOnly.environment)).toBe(5);
  });
});

describe('explain where sqlgate has no planner for the engine', () => {
  it('says so clearly instead of running the statement', async () => {
    const fixture = await createFixtureEnvironment('sqlite');
    try {
      const { environment } = fixture;
      const withoutPlanner = { ...environment, dialect: Object.assign(Object.create(environment.dialect) as object, { planner: null }) } as Environment;
      const error = await refusal(withoutPlanner, { query: 'SELECT 1', explain: true });
      expect([error.code, error.message]).toEqual(['SG_INVALID_INPUT', 'Estimated plans are not available for SQLite in this version of sqlgate.']);
    } finally {
      await fixture.close();
    }
  });
});
