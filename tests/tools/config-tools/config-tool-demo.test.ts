/**
 * The demo environment's configured tools (src/config/demo-tools.ts) on the demo database made with a fixed clock,
 * so every answer is exact: the same numbers the demo's own tests get with hand-written SQL, identifiers only from
 * the catalog, and values only ever bound.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToolsRaw } from '../../../src/config/demo-tools.js';
import { ensureDemoDatabase } from '../../../src/demo/ensure-demo.js';
import type { Environment } from '../../../src/environments/environment.js';
import { InvalidInputError, SqlgateError, TableNotFoundError } from '../../../src/errors.js';
import type { TrendSummary } from '../../../src/tools/config-tools/trend-summary.js';
import { toolsForEnvironment } from '../../../src/tools/environment-tools.js';
import { executeSqlTool } from '../../../src/tools/execute-sql.js';
import type { ToolDefinition } from '../../../src/tools/tool.js';
import { openEnvironment } from '../../support/test-databases.js';

/** The clock tests/demo/ensure-demo.test.ts made its exact answers with: 2026-12-07 11:31:00 UTC. */
const NOW_MS = Date.UTC(2026, 11, 7, 11, 31, 0);

let dir: string;
let env: Environment;
let tools: Map<string, ToolDefinition>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-config-tools-'));
  const file = path.join(dir, 'data', 'demo.sqlite');
  expect(await ensureDemoDatabase(file, { nowMs: NOW_MS })).toBe(true);
  env = await openEnvironment('demo', `sqlite:${file}`, {
    demo: true,
    tools: {
      ...demoToolsRaw(),
      customers_in_state: {
        description: 'Customers living in one state.',
        parameters: { state: { type: 'string', max_length: 200, description: 'Two-letter state code' } },
        sql: 'SELECT customer_id FROM customers WHERE state = :state ORDER BY customer_id',
      },
    },
  });
  tools = new Map(toolsForEnvironment(env).map((t) => [t.name, t]));
});
afterAll(async () => {
  await env?.dialect.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function tool(name: string): ToolDefinition {
  const found = tools.get(name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

/** What a configured tool returns (ToolDefinition erases it to a plain object). */
interface ConfigToolOutput {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  row_count: number;
  truncated: boolean;
  summary?: TrendSummary | null;
}

async function call(name: string, input: Record<string, unknown>) {
  const t = tool(name);
  const output = await t.run(t.inputSchema.parse(input), { environment: env, signal: new AbortController().signal });
  return { structured: output.structured as unknown as ConfigToolOutput, text: output.text };
}

async function callError(name: string, input: Record<string, unknown>): Promise<SqlgateError> {
  try {
    await call(name, input);
  } catch (err) {
    expect(err).toBeInstanceOf(SqlgateError);
    return err as SqlgateError;
  }
  throw new Error('expected the call to fail');
}

async function sql(query: string): Promise<unknown[][]> {
  const { structured } = await executeSqlTool.run(executeSqlTool.inputSchema.parse({ query }), { environment: env, signal: new AbortController().signal });
  return structured.rows as unknown[][];
}

const ANALYZE_ORDERS = { table: 'orders', date_column: 'ordered_at', value_column: 'total_amount' };

describe('the demo environment', () => {
  it('serves the built-ins, then its configured tools, annotated as reads', () => {
    expect([...tools.keys()]).toEqual(['list_tables', 'describe_table', 'execute_sql', 'get_table_sample', 'revenue_by_category', 'analyze_trends', 'customers_in_state']);
    expect(tool('revenue_by_category').hints(env)).toEqual({
      title: 'Revenue by category', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false,
    });
  });
});

describe('revenue_by_category', () => {
  it('answers Q4 2024 with the same revenues as the hand-written query, and the orders per category', async () => {
    const { structured, text } = await call('revenue_by_category', { from: '2024-10-01', to: '2025-01-01' });
    expect(structured.columns.map((c) => c.name)).toEqual(['category', 'revenue', 'orders']);
    expect(structured.rows).toEqual([
      ['Electronics', 344033.55, 981], ['Office', 124633.22, 840], ['Outdoors', 110051.98, 480], ['Home & Kitchen', 62561.39, 527],
      ['Apparel', 49556.05, 545], ['Beauty', 46451.31, 588], ['Toys', 21213.58, 515], ['Books', 19467.27, 665],
    ]);
    expect(structured.row_count).toBe(8);
    expect(structured.truncated).toBe(false);
    expect(text).toContain('Electronics');
    // The orders column, counted independently.
    expect(await sql(`SELECT COUNT(DISTINCT o.order_id) FROM orders o JOIN order_items oi ON oi.order_id = o.order_id
      JOIN products p ON p.product_id = oi.product_id WHERE p.category = 'Electronics' AND o.ordered_at >= '2024-10-01'
      AND o.ordered_at < '2025-01-01' AND o.status IN ('completed', 'shipped')`)).toEqual([[981]]);
  });

  it('refuses a date that is not YYYY-MM-DD before anything runs', () => {
    const parsed = tool('revenue_by_category').inputSchema.safeParse({ from: '2024-10-01', to: "2025-01-01' OR 1=1 --" });
    expect(parsed.success).toBe(false);
    expect(tool('revenue_by_category').inputSchema.safeParse({ from: '2024-10-01' }).success).toBe(false);
  });
});

describe('analyze_trends', () => {
  it('returns the 30 whole days before the newest row\'s day, a 7-day moving average and a summary that agrees with the rows', async () => {
    const { structured, text } = await call('analyze_trends', { ...ANALYZE_ORDERS, days: 30 });
    const rows = structured.rows as [string, number, number, number][];
    expect(structured.columns.map((c) => c.name)).toEqual(['day', 'total', 'row_count', 'moving_avg_7d']);
    expect(rows).toHaveLength(30);
    // The newest row's day (2026-12-07, the day the demo was made) is still filling up: it is left out.
    expect(rows[0]![0]).toBe('2026-11-07');
    expect(rows.at(-1)![0]).toBe('2026-12-06');
    const summary = structured.summary!;
    expect(summary.days).toBe(30);
    expect(summary.first_day).toBe('2026-11-07');
    expect(summary.last_day).toBe('2026-12-06');
    const cents = (n: number) => Math.round(n * 100);
    expect(cents(summary.total)).toBe(rows.reduce((s, r) => s + cents(r[1]), 0));
    const firstSeven = rows.slice(0, 7).map((r) => r[1]);
    expect(rows[6]![3]).toBe(Math.round((firstSeven.reduce((a, b) => a + b, 0) / 7) * 100) / 100);
    // The first row's average is its own total.
    expect(rows[0]![3]).toBe(rows[0]![1]);
    expect(summary.min.value).toBe(Math.min(...rows.map((r) => r[1])));
    expect(summary.max.value).toBe(Math.max(...rows.map((r) => r[1])));
    // The same days, added up independently.
    expect(await sql("SELECT COUNT(*), ROUND(SUM(total_amount), 2) FROM orders WHERE ordered_at >= '2026-11-07' AND ordered_at < '2026-12-07'")).toEqual([[rows.reduce((s, r) => s + r[2], 0), summary.total]]);
    expect(text).toMatch(/^Summary of total over 30 days \(2026-11-07 to 2026-12-06\), computed by sqlgate from these rows:\n/);
  });

  it('goes back 90 days by default, and takes from/to instead of days', async () => {
    const byDefault = await call('analyze_trends', ANALYZE_ORDERS);
    expect(byDefault.structured.row_count).toBe(90);
    const q4 = await call('analyze_trends', { ...ANALYZE_ORDERS, from: '2024-10-01', to: '2025-01-01' });
    const rows = q4.structured.rows as [string, number][];
    expect(rows).toHaveLength(92);
    expect([rows[0]![0], rows.at(-1)![0]]).toEqual(['2024-10-01', '2024-12-31']);
    expect(await sql("SELECT ROUND(SUM(total_amount), 2) FROM orders WHERE ordered_at >= '2024-10-01' AND ordered_at < '2025-01-01'")).toEqual([[q4.structured.summary!.total]]);
  });

  it('ends a window given only by to at to, and counts days without rows as 0', async () => {
    const beforeJune = await call('analyze_trends', { ...ANALYZE_ORDERS, to: '2024-06-01', days: 3 });
    expect((beforeJune.structured.rows as [string][]).map((r) => r[0])).toEqual(['2024-05-29', '2024-05-30', '2024-05-31']);
    // marketing_spend has one row a month: the days between are there, with 0.
    const spend = await call('analyze_trends', { table: 'marketing_spend', date_column: 'month', value_column: 'amount', from: '2025-01-01', to: '2025-02-02' });
    const rows = spend.structured.rows as [string, number, number, number][];
    expect(rows).toHaveLength(32);
    expect(rows.filter((r) => r[2] > 0).map((r) => r[0])).toEqual(['2025-01-01', '2025-02-01']);
    expect(rows[1]).toEqual(['2025-01-02', 0, 0, rows[1]![3]]);
    expect(spend.structured.summary!.days).toBe(32);
  });

  it('refuses a value column that is not a number, naming the ones that are', async () => {
    const error = await callError('analyze_trends', { ...ANALYZE_ORDERS, value_column: 'status' });
    expect(error.message).toBe('value_column: orders.status is varchar(20), not a number column.');
    expect(error.hint).toBe('The number columns of orders: order_id, customer_id, total_amount.');
    const date = await callError('analyze_trends', { ...ANALYZE_ORDERS, date_column: 'status' });
    expect(date.message).toBe('date_column: orders.status is varchar(20), not a date column.');
  });

  it('accepts names in another case, as the catalog has them', async () => {
    const { structured } = await call('analyze_trends', { table: 'ORDERS', date_column: 'Ordered_At', value_column: 'TOTAL_AMOUNT', days: 7 });
    expect(structured.row_count).toBe(7);
  });

  it('names the closest tables for a table that does not exist', async () => {
    const error = await callError('analyze_trends', { ...ANALYZE_ORDERS, table: 'order' });
    expect(error).toBeInstanceOf(TableNotFoundError);
    expect(error.code).toBe('SG_TABLE_NOT_FOUND');
    expect(error.message).toBe('Table "order" does not exist in any schema.');
    expect(error.hint).toBe('Closest existing tables: orders, order_items.');
  });

  it('names the closest column for a column the table does not have', async () => {
    const error = await callError('analyze_trends', { ...ANALYZE_ORDERS, date_column: 'ordered' });
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe('date_column: orders has no column "ordered".');
    expect(error.hint).toMatch(/^Did you mean "ordered_at"/);
    const value = await callError('analyze_trends', { ...ANALYZE_ORDERS, value_column: 'total' });
    expect(value.message).toBe('value_column: orders has no column "total".');
    expect(value.hint).toContain('"total_amount"');
  });

  it('refuses identifiers that carry SQL, and the table keeps its rows', async () => {
    const attempts = [
      { ...ANALYZE_ORDERS, table: 'orders; DROP TABLE orders --' },
      { ...ANALYZE_ORDERS, table: '"orders" WHERE 1=0 --' },
      { ...ANALYZE_ORDERS, table: 'orders o, customers c' },
      { ...ANALYZE_ORDERS, value_column: 'total_amount) FROM orders; DELETE FROM orders; --' },
      { ...ANALYZE_ORDERS, date_column: 'ordered_at"--' },
    ];
    for (const input of attempts) {
      const error = await callError('analyze_trends', input);
      expect(['SG_TABLE_NOT_FOUND', 'SG_INVALID_INPUT']).toContain(error.code);
    }
    expect(await sql('SELECT COUNT(*) FROM orders')).toEqual([[31469]]);
  });
});

describe('a string parameter', () => {
  it('is bound as a value, so SQL in it is only text', async () => {
    expect((await call('customers_in_state', { state: 'CA' })).structured.row_count).toBe(540);
    for (const state of ["CA' OR '1'='1", "x'; DROP TABLE customers; --", "' UNION SELECT order_id FROM orders --"]) {
      const { structured } = await call('customers_in_state', { state });
      expect(structured.rows).toEqual([]);
    }
    expect(await sql('SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM orders)')).toEqual([[3669, 31469]]);
  });
});
