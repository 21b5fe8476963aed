/**
 * The demo database is deterministic for a given clock: the same rows on every machine, so these answers are
 * exact when the clock is passed in. Each query is one of the questions the demo exists to answer, run through
 * execute_sql as a model would. The data ends when the demo is created, so the seed's "last hour" question also
 * works against the real clock (datetime('now')), which the last block checks with a demo made now.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoData } from '../../src/demo/demo-data.js';
import { describeDemo, describeDemoWindow } from '../../src/demo/describe-demo.js';
import { ensureDemoDatabase } from '../../src/demo/ensure-demo.js';
import type { Environment } from '../../src/environments/environment.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import { openEnvironment } from '../support/test-databases.js';

/** The clock the exact answers below were made with: 2026-12-07 11:31:00 UTC. */
const NOW_MS = Date.UTC(2026, 11, 7, 11, 31, 0);

let dir: string;
let env: Environment;

async function rowsIn(environment: Environment, query: string): Promise<unknown[][]> {
  const { structured } = await executeSqlTool.run(executeSqlTool.inputSchema.parse({ query }), { environment, signal: new AbortController().signal });
  return structured.rows as unknown[][];
}
const rows = (query: string) => rowsIn(env, query);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-demo-'));
  const file = path.join(dir, 'data', 'demo.sqlite');
  expect(await ensureDemoDatabase(file, { nowMs: NOW_MS })).toBe(true);
  env = await openEnvironment('demo', `sqlite:${file}`);
});
afterAll(async () => {
  await env?.dialect.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('demo database', () => {
  it('is generated identically every time for the same clock', () => {
    const digest = (nowMs: number) => createHash('sha256').update(JSON.stringify(generateDemoData({ nowMs }))).digest('hex');
    expect(digest(NOW_MS)).toBe(digest(NOW_MS));
    expect(digest(NOW_MS + 3_600_000)).not.toBe(digest(NOW_MS));
  });

  it('runs from 2024-01-01 to the moment it was made, with the incident in its last hour', async () => {
    expect(await rows('SELECT MIN(ordered_at), MAX(ordered_at) FROM orders')).toEqual([['2024-01-01 01:28:26', '2026-12-07 11:13:26']]);
    expect(await rows('SELECT MAX(created_at) FROM payment_transactions')).toEqual([['2026-12-07 11:16:35']]);
    expect(await rows('SELECT MIN(month), MAX(month) FROM marketing_spend')).toEqual([['2024-01-01', '2026-12-01']]);
    // December 2026 is spent only so far (6.5 of 31 days), like its orders; November in full.
    const [[december, november]] = (await rows(`SELECT (SELECT SUM(amount) FROM marketing_spend WHERE month = '2026-12-01'),
      (SELECT SUM(amount) FROM marketing_spend WHERE month = '2026-11-01')`)) as [[number, number]];
    expect(december / november).toBeGreaterThan(0.15);
    expect(december / november).toBeLessThan(0.27);
  });

  it('describes its data window to the model, read from the data', async () => {
    const description = await describeDemoWindow(env.dialect);
    expect(description).toContain('orders and payments from 2024-01-01 01:28:26 to 2026-12-07 11:16:35 UTC');
    expect(description).toContain('"the last hour" of the data is the hour before 2026-12-07 11:16:35');
    expect(await describeDemo('Demo sales database (SQLite)', env.dialect)).toBe(`Demo sales database (SQLite). ${description}`);
    expect(await describeDemo(undefined, env.dialect)).toBe(description);
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
      [3669, 120, 31469, 59179, 33599, 576],
    ]);
  });

  // The README's questions, written the way a model writes them on SQLite.
  it('answers: revenue by product category for Q4 2024', async () => {
    expect(
      await rows(`SELECT p.category, ROUND(SUM(oi.quantity * oi.unit_price * (1 - oi.discount)), 2) AS revenue
        FROM order_items oi JOIN orders o ON o.order_id = oi.order_id JOIN products p ON p.product_id = oi.product_id
       WHERE o.ordered_at >= '2024-10-01' AND o.ordered_at < '2025-01-01' AND o.status IN ('completed', 'shipped')
       GROUP BY p.category ORDER BY revenue DESC`),
    ).toEqual([
      ['Electronics', 344033.55], ['Office', 124633.22], ['Outdoors', 110051.98], ['Home & Kitchen', 62561.39],
      ['Apparel', 49556.05], ['Beauty', 46451.31], ['Toys', 21213.58], ['Books', 19467.27],
    ]);
  });

  it('answers: failed transactions in the last hour (of the data, at the fixed clock)', async () => {
    expect(
      await rows(`SELECT COUNT(*), COUNT(DISTINCT order_id), MIN(created_at), MAX(created_at), group_concat(DISTINCT failure_reason) FROM payment_transactions
       WHERE status = 'failed' AND created_at >= datetime('2026-12-07 11:31:00', '-1 hour')`),
    ).toEqual([[28, 14, '2026-12-07 10:52:51', '2026-12-07 11:16:35', 'processing_error']]);
  });

  it('answers: customer acquisition cost by region', async () => {
    expect(
      await rows(`SELECT r.name, ROUND(s.spend / n.new_customers, 2) AS cac FROM regions r
        JOIN (SELECT region_id, SUM(amount) AS spend FROM marketing_spend GROUP BY region_id) s ON s.region_id = r.region_id
        JOIN (SELECT region_id, COUNT(*) AS new_customers FROM customers GROUP BY region_id) n
          ON n.region_id = r.region_id ORDER BY r.region_id`),
    ).toEqual([['West', 898.06], ['Midwest', 833.71], ['South', 696.1], ['Northeast', 1053.59]]);
  });

  it('answers: top 10 customers by revenue', async () => {
    const top = await rows(`SELECT c.customer_id, c.first_name, c.last_name, ROUND(SUM(o.total_amount), 2) AS revenue
      FROM customers c JOIN orders o ON o.customer_id = c.customer_id WHERE o.status IN ('completed', 'shipped')
      GROUP BY c.customer_id ORDER BY revenue DESC LIMIT 10`);
    expect(top.map((r) => r[0])).toEqual([2390, 475, 1164, 2208, 2219, 2118, 3493, 2800, 1180, 122]);
    expect(top[0]).toEqual([2390, 'Jennifer', 'Wright', 14291]);
    // The view says the same.
    expect(await rows('SELECT customer_id, revenue FROM customer_revenue ORDER BY revenue DESC, customer_id LIMIT 1')).toEqual([[2390, 14291]]);
  });

  it('answers: customers from California', async () => {
    expect(await rows("SELECT COUNT(*) FROM customers WHERE state = 'CA'")).toEqual([[540]]);
  });
});

describe('a demo made now', () => {
  let nowDir: string;
  let nowEnv: Environment;
  beforeAll(async () => {
    nowDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-demo-now-'));
    const file = path.join(nowDir, 'demo.sqlite');
    expect(await ensureDemoDatabase(file)).toBe(true);
    nowEnv = await openEnvironment('demo', `sqlite:${file}`);
  });
  afterAll(async () => {
    await nowEnv?.dialect.close();
    fs.rmSync(nowDir, { recursive: true, force: true });
  });

  it("answers the seed's 'failed transactions in the last hour' literally, against the real clock", async () => {
    const [[count, orders, reasons]] = (await rowsIn(nowEnv, `SELECT COUNT(*), COUNT(DISTINCT order_id), group_concat(DISTINCT failure_reason)
      FROM payment_transactions WHERE status = 'failed' AND created_at >= datetime('now', '-1 hour')`)) as [[number, number, string]];
    // The incident: 14 orders, each with one to three failed payments, all processing errors.
    expect(orders).toBe(14);
    expect(count).toBeGreaterThanOrEqual(14);
    expect(count).toBeLessThanOrEqual(42);
    expect(reasons).toBe('processing_error');
  });

  it('still has all of Q4 2024', async () => {
    expect(await rows("SELECT MIN(ordered_at) < '2024-10-02', MAX(ordered_at) > '2024-12-31' FROM orders WHERE ordered_at >= '2024-10-01' AND ordered_at < '2025-01-01'")).toEqual([[1, 1]]);
  });
});
