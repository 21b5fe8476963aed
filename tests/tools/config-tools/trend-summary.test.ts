/**
 * The trend summary's arithmetic on a series small enough to compute by hand: five usable days with gaps between
 * them (so the slope must come from the dates, not the row order), one null and one non-numeric value.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { renderTrendSummary, summarizeTrend } from '../../../src/tools/config-tools/trend-summary.js';

const COLUMNS = [{ name: 'day' }, { name: 'total' }, { name: 'row_count' }];
const TREND = { dateColumn: 'day', valueColumn: 'total' };

// Day numbers from the first day: 0, 1, 3, 7, 9 (01-03 is null and 01-06 not a number: both left out).
const ROWS = [
  ['2025-01-01', 10, 1],
  ['2025-01-02', '20', 2], // numeric text, as DECIMAL columns come back
  ['2025-01-03', null, 0],
  ['2025-01-04', 30, 3],
  ['2025-01-06', 'n/a', 1],
  ['2025-01-08', '40.00', 4],
  ['2025-01-10', 100, 5],
];

describe('summarizeTrend', () => {
  it('computes level, bands, least-squares trend over the real dates, and volatility', () => {
    // values 10 20 30 40 100: total 200, mean 40, median 30.
    // p10 at rank 0.4: 10 + 0.4 × 10 = 14; p90 at rank 3.6: 40 + 0.6 × 60 = 76 (linear interpolation).
    // sample stddev: sqrt((900 + 400 + 100 + 0 + 3600) / 4) = sqrt(1250) = 35.3553…; / mean = 88.39 %.
    // slope: x 0 1 3 7 9 (mean 4), y − 40 = −30 −20 −10 0 60: Σdx·dy = 490, Σdx² = 60 → 8.1667 per day;
    // × 30 / 40 = 612.5 % per 30 days. (By row order alone it would be 20 per day.)
    expect(summarizeTrend(COLUMNS, ROWS, TREND)).toEqual({
      days: 5,
      first_day: '2025-01-01',
      last_day: '2025-01-10',
      total: 200,
      mean: 40,
      median: 30,
      p10: 14,
      p90: 76,
      min: { day: '2025-01-01', value: 10 },
      max: { day: '2025-01-10', value: 100 },
      trend_per_day: 8.17,
      trend_pct_per_30_days: 612.5,
      stddev: 35.36,
      coefficient_of_variation_pct: 88.4,
      days_above_p90: 1,
      days_below_p10: 1,
    });
  });

  it('interpolates the median between the two middle values of an even count, and reads decimals given as text', () => {
    const summary = summarizeTrend(COLUMNS, [
      ['2025-02-01', '2.0', 1],
      ['2025-02-02', '6.000', 1],
      ['2025-02-03', '1.00', 1],
      ['2025-02-04', '3', 1],
    ], TREND)!;
    // sorted 1 2 3 6: median at rank 1.5 = 2.5; p10 at rank 0.3 = 1 + 0.3 × 1 = 1.3; p90 at rank 2.7 = 3 + 0.7 × 3 = 5.1.
    // x 0 1 2 3 (mean 1.5), y − 3 = −1 3 −2 0: Σdx·dy = 1.5 − 1.5 − 1 + 0 = −1; Σdx² = 5 → −0.2 per day.
    expect(summary).toMatchObject({ days: 4, total: 12, mean: 3, median: 2.5, p10: 1.3, p90: 5.1, trend_per_day: -0.2 });
    expect(summary.min).toEqual({ day: '2025-02-03', value: 1 });
    expect(summary.max).toEqual({ day: '2025-02-02', value: 6 });
  });

  it('reports a flat series as no trend and no volatility, and a zero mean as n/a percentages', () => {
    const flat = summarizeTrend(COLUMNS, [['2025-01-01', 5, 1], ['2025-01-05', 5, 1], ['2025-01-06', 5, 1]], TREND)!;
    expect(flat).toMatchObject({ trend_per_day: 0, trend_pct_per_30_days: 0, stddev: 0, coefficient_of_variation_pct: 0, days_above_p90: 0, days_below_p10: 0 });
    const zero = summarizeTrend(COLUMNS, [['2025-01-01', -3, 1], ['2025-01-02', 3, 1]], TREND)!;
    expect(zero).toMatchObject({ mean: 0, trend_per_day: 6, trend_pct_per_30_days: null, coefficient_of_variation_pct: null });
  });

  it('orders the days by date and adds up the rows of one day, whatever the rows\' order', () => {
    const summary = summarizeTrend(COLUMNS, [
      ['2025-03-03', 5, 1],
      ['2025-03-01', 1, 1],
      ['2025-03-03', 1, 1],
      ['2025-03-02', 3, 1],
    ], TREND)!;
    // Days 1, 3, 6: slope 2.5 per day; first and last are the oldest and newest days.
    expect(summary).toMatchObject({ days: 3, first_day: '2025-03-01', last_day: '2025-03-03', total: 10, trend_per_day: 2.5, max: { day: '2025-03-03', value: 6 } });
  });

  it('takes the rows in their order, a day apart, when a date cannot be read', () => {
    const summary = summarizeTrend(COLUMNS, [['week 1', 10, 1], ['2025-01-09', 20, 1], ['week 3', 30, 1]], TREND)!;
    expect(summary).toMatchObject({ days: 3, first_day: 'week 1', last_day: 'week 3', trend_per_day: 10 });
  });

  it('returns null when fewer than two days have a number', () => {
    expect(summarizeTrend(COLUMNS, [], TREND)).toBeNull();
    expect(summarizeTrend(COLUMNS, [['2025-01-01', 10, 1]], TREND)).toBeNull();
    expect(summarizeTrend(COLUMNS, [['2025-01-01', 10, 1], ['2025-01-02', null, 0], ['2025-01-03', 'x', 0]], TREND)).toBeNull();
  });

  it('names the trend key that is not a column of the result', () => {
    const columns = [{ name: 'day' }, { name: 'amount' }];
    expect(() => summarizeTrend(columns, [], TREND)).toThrow(ConfigError);
    expect(() => summarizeTrend(columns, [], TREND)).toThrow('This tool\'s trend.value_column "total" is not a column of its result (day, amount).');
    expect(() => summarizeTrend(columns, [], { dateColumn: 'date', valueColumn: 'amount' })).toThrow('This tool\'s trend.date_column "date" is not a column of its result (day, amount).');
  });
});

describe('renderTrendSummary', () => {
  it('says the numbers in sentences', () => {
    expect(renderTrendSummary(summarizeTrend(COLUMNS, ROWS, TREND)!, 'total')).toBe([
      'Summary of total over 5 days (2025-01-01 to 2025-01-10), computed by sqlgate from these rows:',
      '- level: total 200, mean 40 per day, median 30',
      '- bands: p10 14, p90 76; 1 day above p90, 1 below p10',
      '- range: lowest 10 on 2025-01-01, highest 100 on 2025-01-10',
      '- trend (least-squares line): +8.17 per day, +612.5% of the mean per 30 days',
      '- volatility: standard deviation 35.36 per day, 88.4% of the mean',
    ].join('\n'));
  });
});
