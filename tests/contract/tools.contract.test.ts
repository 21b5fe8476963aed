/**
 * The tool-level contract, run against every dialect on a real database loaded with the shared fixture.
 * Exact results: types, values, keys, indexes, truncation, errors, read-only, timeouts, cancellation, saturation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/db/dialect.js';
import { SqlgateError } from '../../src/errors.js';
import { describeTableTool } from '../../src/tools/describe-table.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import { getTableSampleTool } from '../../src/tools/get-table-sample.js';
import { listTablesTool } from '../../src/tools/list-tables.js';
import type { ToolDefinition } from '../../src/tools/tool.js';
import type { Environment } from '../../src/environments/environment.js';
import { createFixtureEnvironment, openEnvironment, TEST_DIALECTS, type TestEnvironment } from '../support/test-databases.js';
import { EXPECTATIONS } from './expectations/index.js';

async function call(tool: ToolDefinition, environment: Environment, input: Record<string, unknown>, signal = new AbortController().signal) {
  return tool.run(tool.inputSchema.parse(input), { environment, signal });
}

async function callError(tool: ToolDefinition, environment: Environment, input: Record<string, unknown>, signal?: AbortSignal): Promise<SqlgateError> {
  try {
    await call(tool, environment, input, signal);
  } catch (err) {
    expect(err).toBeInstanceOf(SqlgateError);
    return err as SqlgateError;
  }
  throw new Error('expected the tool call to fail');
}

const dialects = TEST_DIALECTS.filter((d): d is DialectName => EXPECTATIONS[d] !== undefined);

describe.each(dialects)('tools on %s', (dialect) => {
  const expected = EXPECTATIONS[dialect]!;
  let fixture: TestEnvironment;
  let env: Environment;
  let schema: string | null;
  const qualify = (name: string) => (schema === null ? name : `${schema}.${name}`);

  beforeAll(async () => {
    fixture = await createFixtureEnvironment(dialect);
    env = fixture.environment;
    schema = expected.schemaOf(fixture.database.name);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  describe('list_tables', () => {
    it('lists the fixture tables and the view with their schema and kind', async () => {
      const { structured, text } = await call(listTablesTool, env, {});
      const tables = (structured.tables as { schema: string | null; name: string; kind: string }[]).map((t) => [t.schema, t.name, t.kind]);
      expect(tables).toEqual([
        [schema, 'customer_totals', 'view'],
        [schema, 'customers', 'table'],
        [schema, 'numbers', 'table'],
        [schema, 'orders', 'table'],
        [schema, 'type_samples', 'table'],
      ]);
      expect(structured.count).toBe(5);
      expect(text).toMatch(/^4 tables and 1 view:\n/);
    });

    it('counts tables and views apart, each in the right number', async () => {
      expect((await call(listTablesTool, env, { name_contains: 'customer' })).text).toMatch(/^1 table and 1 view:\n/);
      expect((await call(listTablesTool, env, { name_contains: 'totals' })).text).toMatch(/^1 view:\n/);
      expect((await call(listTablesTool, env, { name_contains: 'er' })).text).toMatch(/^3 tables and 1 view:\n/);
    });

    it('estimates rows from statistics without counting', async () => {
      const { structured } = await call(listTablesTool, env, {});
      const numbers = (structured.tables as { name: string; estimated_rows: number | null }[]).find((t) => t.name === 'numbers')!;
      // Statistics are estimates: close to 2500 after ANALYZE, never a wrong order of magnitude.
      expect(numbers.estimated_rows).toBeGreaterThan(1_000);
      expect(numbers.estimated_rows).toBeLessThan(5_000);
    });

    it('filters by a case-insensitive part of the name', async () => {
      const { structured, text } = await call(listTablesTool, env, { name_contains: 'ORD' });
      expect((structured.tables as { name: string }[]).map((t) => t.name)).toEqual(['orders']);
      expect(text).toContain('orders (table');
    });

    it('returns nothing for an unknown schema', async () => {
      const { structured, text } = await call(listTablesTool, env, { schema: 'no_such_schema' });
      expect(structured.count).toBe(0);
      expect(text).toBe('No tables or views match.');
    });
  });

  describe('describe_table', () => {
    it('describes columns, primary key, foreign keys and indexes', async () => {
      const { structured } = await call(describeTableTool, env, { table: 'orders' });
      expect(structured.name).toBe('orders');
      expect(structured.schema).toBe(schema);
      expect(structured.kind).toBe('table');
      const columns = structured.columns as { name: string; type: string; nullable: boolean }[];
      expect(columns.map((c) => c.name)).toEqual(['id', 'customer_id', 'total', 'status', 'ordered_at']);
      expect(Object.fromEntries(columns.map((c) => [c.name, c.type]))).toEqual(expected.ordersColumnTypes);
      expect(columns.every((c) => c.nullable === false)).toBe(true);
      expect(structured.primary_key).toEqual(['id']);
      expect(structured.foreign_keys).toEqual([
        expect.objectContaining({ columns: ['customer_id'], table: qualify('customers'), other_columns: ['id'] }),
      ]);
      const indexes = structured.indexes as { columns: string[]; unique: boolean }[];
      expect(indexes).toContainEqual(expect.objectContaining({ columns: ['customer_id'], unique: false }));
    });

    it('shows foreign keys pointing at the table, nullability, defaults and lengths', async () => {
      const { structured, text } = await call(describeTableTool, env, { table: 'customers' });
      expect(structured.referenced_by).toEqual([
        expect.objectContaining({ table: qualify('orders'), columns: ['id'], other_columns: ['customer_id'] }),
      ]);
      const columns = Object.fromEntries((structured.columns as { name: string }[]).map((c) => [c.name, c]));
      expect(columns.email).toMatchObject({ nullable: true, max_length: 255 });
      expect(columns.name).toMatchObject({ nullable: false, max_length: 100 });
      expect(String((columns.state as unknown as { default: string }).default)).toContain('CA');
      expect((structured.indexes as { columns: string[]; unique: boolean }[])).toContainEqual(
        expect.objectContaining({ columns: ['email'], unique: true }),
      );
      expect(text).toContain('referenced by:');
    });

    it('accepts any case and a schema-qualified name', async () => {
      const { structured } = await call(describeTableTool, env, { table: 'CUSTOMERS' });
      expect(structured.name).toBe('customers');
      if (schema !== null) {
        const qualified = await call(describeTableTool, env, { table: `${schema}.customers` });
        expect(qualified.structured.name).toBe('customers');
      }
    });

    it('describes a view', async () => {
      const { structured } = await call(describeTableTool, env, { table: 'customer_totals' });
      expect(structured.kind).toBe('view');
      expect((structured.columns as { name: string }[]).map((c) => c.name)).toEqual(['customer_id', 'name', 'order_count', 'total_completed']);
    });

    it('names the closest tables when the table does not exist', async () => {
      const error = await callError(describeTableTool, env, { table: 'order' });
      expect(error.code).toBe('SG_TABLE_NOT_FOUND');
      expect(error.message).toContain('"order"');
      expect(error.hint).toContain(qualify('orders'));
    });

    it('refuses a malformed table reference', async () => {
      const error = await callError(describeTableTool, env, { table: '"unclosed' });
      expect(error.code).toBe('SG_INVALID_INPUT');
    });

    it('describes several tables in one call, the first at the top and the others in `also`, each once', async () => {
      const { structured, text } = await call(describeTableTool, env, { table: 'orders', also: ['customers', 'customer_totals', 'orders'] });
      expect(structured.name).toBe('orders');
      const also = structured.also as { name: string; kind: string; columns: unknown[] }[];
      expect(also.map((t) => [t.name, t.kind])).toEqual([['customers', 'table'], ['customer_totals', 'view']]);
      expect(also[0]!.columns.length).toBeGreaterThan(2);
      expect(text.split('\n\n').map((part) => part.split('\n')[0])).toEqual([`table ${qualify('orders')}`, `table ${qualify('customers')}`, `view ${qualify('customer_totals')}`]);
    });

    it('fails a call for several tables on the first that does not exist, naming it and its closest tables', async () => {
      const error = await callError(describeTableTool, env, { table: 'orders', also: ['custmers'] });
      expect(error.code).toBe('SG_TABLE_NOT_FOUND');
      expect(error.message).toContain('"custmers"');
      expect(error.hint).toContain(qualify('customers'));
    });
  });

  describe('execute_sql', () => {
    it('returns exact aggregate results with column names', async () => {
      const { structured, text } = await call(executeSqlTool, env, {
        query: 'SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status',
      });
      expect((structured.columns as { name: string }[]).map((c) => c.name)).toEqual(['status', 'n']);
      expect(structured.rows).toEqual([['cancelled', 1], ['completed', 3], ['pending', 1]]);
      expect(structured.row_count).toBe(3);
      expect(structured.truncated).toBe(false);
      expect(text).toContain('3 rows');
    });

    it('types computed columns like any other: no column has an empty type', async () => {
      const { structured, text } = await call(executeSqlTool, env, {
        query: 'SELECT COUNT(*) AS n, SUM(total) AS s, MAX(status) AS m, 1 + 1 AS two FROM orders',
      });
      const columns = structured.columns as { name: string; type: string }[];
      expect(Object.fromEntries(columns.map((c) => [c.name, c.type]))).toEqual(expected.computedColumnTypes);
      expect(text).toContain(`n (${expected.computedColumnTypes.n})`);
      const view = await call(executeSqlTool, env, { query: 'SELECT * FROM customer_totals' });
      const viewTypes = (view.structured.columns as { name: string; type: string }[]).map((c) => c.type);
      expect(viewTypes.filter((type) => type.trim() === '')).toEqual([]);
    });

    it('keeps decimals exact', async () => {
      const { structured } = await call(executeSqlTool, env, { query: 'SELECT total FROM orders ORDER BY id' });
      const totals = (structured.rows as unknown[][]).map((r) => String(r[0]));
      expect(totals.map(Number)).toEqual([120.5, 80.25, 15, 999.99, 0.01]);
    });

    it('binds positional parameters in the driver', async () => {
      const { structured } = await call(executeSqlTool, env, {
        query: `SELECT name FROM customers WHERE state = ${expected.placeholder(1)} AND id > ${expected.placeholder(2)} ORDER BY id`,
        params: ['CA', 0],
      });
      expect(structured.rows).toEqual([['Alice Adams'], ['Carla Chen']]);
    });

    it('treats a parameter as data, never as SQL', async () => {
      const { structured } = await call(executeSqlTool, env, {
        query: `SELECT COUNT(*) AS n FROM customers WHERE name = ${expected.placeholder(1)}`,
        params: ["x' OR '1'='1"],
      });
      expect(structured.rows).toEqual([[0]]);
    });

    it('serializes every type family exactly', async () => {
      const { structured } = await call(executeSqlTool, env, { query: 'SELECT * FROM type_samples ORDER BY id' });
      const names = (structured.columns as { name: string }[]).map((c) => c.name);
      const [first, second] = structured.rows as unknown[][];
      expect(Object.fromEntries(names.map((n, i) => [n, first![i]]))).toEqual(expected.typeSampleRow);
      expect(second!.slice(1).every((v) => v === null)).toBe(true);
    });

    it('stops after max_rows + 1 rows and says it truncated', async () => {
      const { structured, text } = await call(executeSqlTool, env, { query: 'SELECT n FROM numbers ORDER BY n' });
      expect(structured.row_count).toBe(1_000);
      expect(structured.truncated).toBe(true);
      expect((structured.rows as unknown[][]).at(-1)).toEqual([1_000]);
      expect(text).toContain('truncated');
      expect(text).toContain('WHERE');
    });

    it('does not flag truncation when the result fits exactly', async () => {
      const { structured } = await call(executeSqlTool, env, { query: expected.limitQuery('SELECT n FROM numbers ORDER BY n', 1_000) });
      expect(structured.row_count).toBe(1_000);
      expect(structured.truncated).toBe(false);
    });

    it('refuses a syntax error with the parser\'s message, before the database sees it', async () => {
      const error = await callError(executeSqlTool, env, { query: expected.syntaxError.sql });
      expect(error.code).toBe('SG_INVALID_INPUT');
      expect(error.message.toLowerCase()).toContain(expected.syntaxError.messageContains.toLowerCase());
    });

    it('reports an unknown column as a query error', async () => {
      const error = await callError(executeSqlTool, env, { query: 'SELECT no_such_column FROM customers' });
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.message).toContain('no_such_column');
    });

    it('refuses writes in a read-only environment, in the engine, and changes nothing', async () => {
      for (const query of [
        "INSERT INTO customers (id, name, email, state, created_at) VALUES (99, 'Eve', 'eve@example.com', 'WA', '2024-01-01 00:00:00')",
        'DELETE FROM orders',
        "UPDATE customers SET name = 'x'",
      ]) {
        const error = await callError(executeSqlTool, env, { query });
        expect(error.code, query).toBe('SG_READ_ONLY');
      }
      const { structured } = await call(executeSqlTool, env, { query: 'SELECT (SELECT COUNT(*) FROM customers) AS c, (SELECT COUNT(*) FROM orders) AS o' });
      expect(structured.rows).toEqual([[4, 5]]);
    });
  });

  describe('get_table_sample', () => {
    it('returns the first rows of a resolved, quoted table', async () => {
      const { structured, text } = await call(getTableSampleTool, env, { table: 'Customers', limit: 2 });
      expect(structured.table).toBe(qualify('customers'));
      expect(structured.row_count).toBe(2);
      expect((structured.columns as { name: string }[]).map((c) => c.name)).toEqual(['id', 'name', 'email', 'state', 'created_at']);
      expect(text).toContain(`Sample of ${qualify('customers')}`);
    });

    it('defaults to 10 rows and refuses an out-of-range limit', async () => {
      const { structured } = await call(getTableSampleTool, env, { table: 'numbers' });
      expect(structured.row_count).toBe(10);
      expect(() => getTableSampleTool.inputSchema.parse({ table: 'numbers', limit: 0 })).toThrow();
      expect(() => getTableSampleTool.inputSchema.parse({ table: 'numbers', limit: 1001 })).toThrow();
    });

    it('never interpolates the table name', async () => {
      const error = await callError(getTableSampleTool, env, { table: 'customers; DROP TABLE orders' });
      expect(error.code).toBe('SG_TABLE_NOT_FOUND');
    });
  });

  describe('limits', () => {
    it('caps rows at the environment max_rows', async () => {
      const small = await openEnvironment('small', fixture.database.url, { max_rows: 5 });
      try {
        const { structured } = await call(executeSqlTool, small, { query: 'SELECT n FROM numbers ORDER BY n' });
        expect(structured.rows).toEqual([[1], [2], [3], [4], [5]]);
        expect(structured.truncated).toBe(true);
        const sample = await call(getTableSampleTool, small, { table: 'numbers', limit: 50 });
        expect(sample.structured.row_count).toBe(5);
        expect(sample.text).toContain('at most 5 rows');
      } finally {
        await small.dialect.close();
      }
    });

    it('keeps a result of very wide rows within the size budget, saying what was cut', async () => {
      const { structured, text } = await call(executeSqlTool, env, {
        query: `SELECT n, ${expected.wideText(10_000)} AS body FROM numbers ORDER BY n`,
      });
      const rows = structured.rows as [number, string][];
      expect(structured.truncated).toBe(true);
      expect(rows.length).toBeGreaterThan(5);
      expect(rows.length).toBeLessThan(30);
      expect(rows[0]![1]).toBe(`${'x'.repeat(4_000)}…[10000 chars]`);
      expect(text).toContain('longer than 4000 characters and cut');
      expect(text).toContain('100000-character result budget');
      expect(text.length + JSON.stringify(structured).length).toBeLessThan(110_000);
    });

    it('times out in the database and keeps the pool healthy', async () => {
      const quick = await openEnvironment('quick', fixture.database.url, { statement_timeout_ms: 500, pool: { max: 1 } });
      try {
        const started = Date.now();
        const error = await callError(executeSqlTool, quick, { query: expected.slowQuery });
        expect(error.code).toBe('SG_TIMEOUT');
        expect(error.message).toContain('limit');
        expect(Date.now() - started).toBeLessThan(4_000);
        const { structured } = await call(executeSqlTool, quick, { query: 'SELECT COUNT(*) AS n FROM customers' });
        expect(structured.rows).toEqual([[4]]);
      } finally {
        await quick.dialect.close();
      }
    });

    it('cancels the running statement when the client aborts', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const started = Date.now();
      const error = await callError(executeSqlTool, env, { query: expected.slowQuery }, controller.signal);
      expect(error.code).toBe('SG_CANCELLED');
      expect(Date.now() - started).toBeLessThan(4_000);
      const { structured } = await call(executeSqlTool, env, { query: 'SELECT COUNT(*) AS n FROM orders' });
      expect(structured.rows).toEqual([[5]]);
    });

    it('answers busy after a bounded wait when every connection is taken', async () => {
      const narrow = await openEnvironment('narrow', fixture.database.url, { statement_timeout_ms: 3_000, pool: { max: 1, acquire_timeout_ms: 200 } });
      try {
        const slow = callError(executeSqlTool, narrow, { query: expected.slowQuery });
        await new Promise((resolve) => setTimeout(resolve, 150));
        const error = await callError(executeSqlTool, narrow, { query: 'SELECT 1 AS one' });
        expect(error.code).toBe('SG_BUSY');
        expect(error.hint).toContain('Retry');
        expect((await slow).code).toBe('SG_TIMEOUT');
      } finally {
        await narrow.dialect.close();
      }
    });
  });

  describe('writable environments', () => {
    it('commits a write and reports affected rows', async () => {
      const writable = await openEnvironment('writable', fixture.database.url, { read_only: false });
      try {
        const { structured, text } = await call(executeSqlTool, writable, {
          query: `UPDATE orders SET status = ${expected.placeholder(1)} WHERE id = ${expected.placeholder(2)}`,
          params: ['shipped', 5],
        });
        expect(structured.rows_affected).toBe(1);
        expect(text).toContain('1 row affected');
        const check = await call(executeSqlTool, env, { query: 'SELECT status FROM orders WHERE id = 5' });
        expect(check.structured.rows).toEqual([['shipped']]);
        await call(executeSqlTool, writable, { query: "UPDATE orders SET status = 'pending' WHERE id = 5" });
      } finally {
        await writable.dialect.close();
      }
    });
  });
});
