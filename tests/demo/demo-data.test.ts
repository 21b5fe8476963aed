/**
 * The demo's "failed transactions in the last hour" are the payment incident's alone, whenever the demo is made:
 * an ordinary order of the 20 minutes before the incident used to fail now and then too (made at 21:36 UTC on
 * 2026-12-07, the answer had 15 orders instead of the incident's 14).
 */
import { describe, expect, it } from 'vitest';
import { demoWindow, generateDemoData } from '../../src/demo/demo-data.js';

function failuresInLastHour(nowMs: number) {
  const { endMs } = demoWindow(nowMs);
  const payments = generateDemoData({ nowMs }).find((t) => t.name === 'payment_transactions')!;
  const column = (name: string) => payments.columns.indexOf(name);
  const since = new Date(endMs - 3_600_000).toISOString().replace('T', ' ').slice(0, 19);
  const failed = payments.rows.filter((row) => row[column('status')] === 'failed' && String(row[column('created_at')]) >= since);
  return { orders: new Set(failed.map((row) => row[column('order_id')])).size, reasons: [...new Set(failed.map((row) => row[column('failure_reason')]))] };
}

describe('the last hour of the demo data', () => {
  it('holds the incident\'s failed payments and no others, whenever it is made', () => {
    for (const nowMs of [Date.UTC(2026, 11, 7, 21, 36, 0), Date.UTC(2026, 11, 7, 21, 41, 30), Date.UTC(2026, 11, 7, 11, 31, 0)]) {
      expect(failuresInLastHour(nowMs), new Date(nowMs).toISOString()).toEqual({ orders: 14, reasons: ['processing_error'] });
    }
  });
});
