/**
 * The demo database is deterministic: the same rows on every machine, so these answers are exact. Each query
 * is one of the questions the demo exists to answer, run through execute_sql as a model would.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoData } from '../../src/demo/demo-data.js';
import { ensureDemoDatabase } from '../../src/demo/ensure-demo.js';
import type { Environment } from '../../src/environments/environment.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import { openEnvironment } from '../support/test-databases.js';

let dir: string;
let env: Environment;

async function rows(query: string): Promise<unknown[][]> {
  const { structured } = await executeSqlTool.run(executeSqlTool.inputSchema.parse({ query }), { environment: env, signal: new AbortController().signal });
  return structured.rows as unknown[][];
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-demo-'));
  const file = path.join(dir, 'data', 'demo.sqlite');
  expect(await ensureDemoDatabase(file)).toBe(true);
  env = await openEnvironment('demo', `sqlite:${file}`);
});
afterAll(async () => {
  await env?.dialect.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('demo database', () => {
  it('is generated identically every time', () => {
    const digest = () => createHash('sha256').update(JSON.stringify(generateDemoData())).digest('hex');
    expect(digest()).toBe(digest());
  });

  it('leaves an existing file alone and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'data', 'demo.sqlite');
    const before = fs.statSync(file).mtimeMs;
    expect(await ensureDemoDatabase(file)).toBe(false);
    expect(fs.statSync(file).mtimeMs).toBe(before);
    expect(fs.readdirSync(path.join(dir, 'data'))).toEqual(['demo.sqlite']);
  });

  it('has tens of thousands of rows', async () => {
    expect(await rows(`SELECT (SELECT COUNT(*) FROM customers), (SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM orders),
      (SELECT COUNT(*) FROM order_items), (SELECT COUNT(*) FROM payment_transactions), (SELECT COUNT(*) FROM marketing_spend)`)).toEqual([
      [2500, 120, 20521, 38560, 21893, 384],
    ]);
  });

  it('answers: revenue by product category for Q4 2024', async () => {
    expect(
      await rows(`SELECT p.category, ROUND(SUM(oi.quantity * oi.unit_price * (1 - oi.discount)), 2) AS revenue
        FROM order_items oi JOIN orders o ON o.order_id = oi.order_id JOIN products p ON p.product_id = oi.product_id
       WHERE o.ordered_at >= '2024-10-01' AND o.ordered_at < '2025-01-01' AND o.status IN ('completed', 'shipped')
       GROUP BY p.category ORDER BY revenue DESC`),
    ).toEqual([
      ['Electronics', 328448.12], ['Office', 128848.56], ['Outdoors', 114626.9], ['Home & Kitchen', 59517.93],
      ['Apparel', 49313.71], ['Beauty', 48342.76], ['Toys', 19595.18], ['Books', 19176.78],
    ]);
  });

  it('answers: failed transactions in the last hour (of the data)', async () => {
    expect(
      await rows(`SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM payment_transactions
       WHERE status = 'failed' AND created_at >= datetime((SELECT MAX(created_at) FROM payment_transactions), '-1 hour')`),
    ).toEqual([[29, '2025-12-31 23:00:43', '2025-12-31 23:43:27']]);
  });

  it('answers: customer acquisition cost by region', async () => {
    expect(
      await rows(`SELECT r.name, ROUND(s.spend / n.new_customers, 2) AS cac FROM regions r
        JOIN (SELECT region_id, SUM(amount) AS spend FROM marketing_spend GROUP BY region_id) s ON s.region_id = r.region_id
        JOIN (SELECT region_id, COUNT(*) AS new_customers FROM customers WHERE signup_date BETWEEN '2024-01-01' AND '2025-12-31' GROUP BY region_id) n
          ON n.region_id = r.region_id ORDER BY r.region_id`),
    ).toEqual([['West', 1110.92], ['Midwest', 1034.54], ['South', 805.39], ['Northeast', 1368.62]]);
  });

  it('answers: top 10 customers by revenue', async () => {
    const top = await rows('SELECT customer_id, revenue FROM customer_revenue ORDER BY revenue DESC, customer_id LIMIT 10');
    expect(top.map((r) => r[0])).toEqual([2246, 1238, 37, 304, 566, 698, 1934, 976, 690, 975]);
    expect(top[0]![1]).toBe(17008.38);
  });

  it('answers: customers from California', async () => {
    expect(await rows("SELECT COUNT(*) FROM customers WHERE state = 'CA'")).toEqual([[368]]);
  });
});
