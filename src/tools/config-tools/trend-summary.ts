/**
 * A summary of a daily series, computed from the rows a tool returned: level (total, mean, median), percentile
 * bands (p10 and p90, and the days outside them), a least-squares trend, and volatility (the standard deviation of
 * the daily values and its ratio to the mean). Plain arithmetic, said as such: no forecasting, no "insights".
 */
import { z } from 'zod';
import type { JsonValue } from '../../db/serialize-value.js';
import { ConfigError } from '../../errors.js';

/** Which result columns hold the day and the value (a tool's `trend:` setting). */
export interface TrendColumns {
  readonly dateColumn: string;
  readonly valueColumn: string;
}

// Output schemas count against the tools/list budget: plain numbers, no descriptions beyond the names.
export const trendSummarySchema = z.object({
  days: z.number(),
  first_day: z.string(),
  last_day: z.string(),
  total: z.number(),
  mean: z.number(),
  median: z.number(),
  p10: z.number(),
  p90: z.number(),
  min: z.object({ day: z.string(), value: z.number() }),
  max: z.object({ day: z.string(), value: z.number() }),
  /** Least-squares slope, in value per day. */
  trend_per_day: z.number(),
  /** The slope over 30 days as a percentage of the mean; null when the mean is 0. */
  trend_pct_per_30_days: z.number().nullable(),
  /** Sample standard deviation of the daily values. */
  stddev: z.number(),
  /** stddev / mean as a percentage; null when the mean is 0. */
  coefficient_of_variation_pct: z.number().nullable(),
  days_above_p90: z.number(),
  days_below_p10: z.number(),
});

export type TrendSummary = z.output<typeof trendSummarySchema>;

const DAY_MS = 86_400_000;

/**
 * Summarises the rows' `valueColumn` by `dateColumn`, one value per day (see dailySeries). Rows whose value
 * is null or not a number are left out. Returns null when fewer than two days remain. Throws ConfigError when the columns are not in the result.
 */
export function summarizeTrend(
  columns: readonly { readonly name: string }[],
  rows: readonly (readonly JsonValue[])[],
  { dateColumn, valueColumn }: TrendColumns,
): TrendSummary | null {
  const dateIndex = columns.findIndex((c) => c.name === dateColumn);
  const valueIndex = columns.findIndex((c) => c.name === valueColumn);
  if (dateIndex === -1 || valueIndex === -1) {
    const missing = dateIndex === -1 ? `trend.date_column "${dateColumn}"` : `trend.value_column "${valueColumn}"`;
    throw new ConfigError(`This tool's ${missing} is not a column of its result (${columns.map((c) => c.name).join(', ')}).`, {
      hint: 'Ask the operator to fix the tool definition; check it with: sqlgate tools test NAME.',
    });
  }
  const points = dailySeries(rows.flatMap((row) => {
    const value = numberOf(row[valueIndex]);
    return value === undefined ? [] : [{ day: String(row[dateIndex]), value }];
  }));
  if (points.length < 2) return null;

  const values = points.map((p) => p.value);
  const sorted = [...values].sort((a, b) => a - b);
  const total = sum(values);
  const mean = total / values.length;
  const p10 = percentile(sorted, 0.1);
  const p90 = percentile(sorted, 0.9);
  const stddev = Math.sqrt(sum(values.map((v) => (v - mean) ** 2)) / (values.length - 1));
  const slope = leastSquaresSlope(points);
  const min = points.reduce((a, b) => (b.value < a.value ? b : a));
  const max = points.reduce((a, b) => (b.value > a.value ? b : a));
  return {
    days: points.length,
    first_day: points[0]!.day,
    last_day: points.at(-1)!.day,
    total: round(total),
    mean: round(mean),
    median: round(percentile(sorted, 0.5)),
    p10: round(p10),
    p90: round(p90),
    min: { day: min.day, value: min.value },
    max: { day: max.day, value: max.value },
    trend_per_day: round(slope),
    trend_pct_per_30_days: mean === 0 ? null : round((slope * 30 * 100) / Math.abs(mean), 1),
    stddev: round(stddev),
    coefficient_of_variation_pct: mean === 0 ? null : round((stddev * 100) / Math.abs(mean), 1),
    days_above_p90: values.filter((v) => v > p90).length,
    days_below_p10: values.filter((v) => v < p10).length,
  };
}

/** The summary as sentences for the model. */
export function renderTrendSummary(summary: TrendSummary, valueColumn: string): string {
  const pct = (value: number | null) => (value === null ? 'n/a' : `${value > 0 ? '+' : ''}${value}%`);
  const n = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const days = (count: number) => `${count} day${count === 1 ? '' : 's'}`;
  return [
    `Summary of ${valueColumn} over ${days(summary.days)} (${summary.first_day} to ${summary.last_day}), computed by sqlgate from these rows:`,
    `- level: total ${n(summary.total)}, mean ${n(summary.mean)} per day, median ${n(summary.median)}`,
    `- bands: p10 ${n(summary.p10)}, p90 ${n(summary.p90)}; ${days(summary.days_above_p90)} above p90, ${summary.days_below_p10} below p10`,
    `- range: lowest ${n(summary.min.value)} on ${summary.min.day}, highest ${n(summary.max.value)} on ${summary.max.day}`,
    `- trend (least-squares line): ${summary.trend_per_day > 0 ? '+' : ''}${n(summary.trend_per_day)} per day, ${pct(summary.trend_pct_per_30_days)} of the mean per 30 days`,
    `- volatility: standard deviation ${n(summary.stddev)} per day, ${summary.coefficient_of_variation_pct === null ? 'n/a' : `${summary.coefficient_of_variation_pct}%`} of the mean`,
  ].join('\n');
}

/** Linear interpolation between the closest ranks, as PERCENTILE_CONT does. */
function percentile(sorted: readonly number[], fraction: number): number {
  const position = (sorted.length - 1) * fraction;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

interface DayValue {
  readonly day: string;
  readonly value: number;
  /** Days since the first day, from the dates; the row number when a date cannot be read. */
  readonly x: number;
}

/**
 * One point per day, oldest first, whatever order the rows came in: values of the same day are added up (a row per
 * day and category makes one day). When any date cannot be read, the rows are taken in their order, a day apart.
 */
function dailySeries(points: readonly { day: string; value: number }[]): DayValue[] {
  // Only ISO dates (what every engine returns for a date or timestamp; Date.parse reads "week 1" as a year), by
  // their day in UTC: a date-only string is UTC to Date.parse, where a time without an offset would be local.
  const times = points.map((p) => (/^\d{4}-\d{2}-\d{2}/.test(p.day) ? Date.parse(p.day.slice(0, 10)) : Number.NaN));
  if (times.some(Number.isNaN)) return points.map((p, i) => ({ ...p, x: i }));
  const byDay = new Map<number, { day: string; value: number }>();
  points.forEach((p, i) => {
    const ms = times[i]!;
    const seen = byDay.get(ms);
    byDay.set(ms, { day: p.day, value: (seen?.value ?? 0) + p.value });
  });
  const ordered = [...byDay.entries()].sort(([a], [b]) => a - b);
  const firstMs = ordered[0]?.[0] ?? 0;
  return ordered.map(([ms, p]) => ({ ...p, x: (ms - firstMs) / DAY_MS }));
}

/** Slope of the least-squares line through (day number, value). */
function leastSquaresSlope(points: readonly DayValue[]): number {
  const xs = points.map((p) => p.x);
  const meanX = sum(xs) / xs.length;
  const meanY = sum(points.map((p) => p.value)) / points.length;
  const covariance = sum(xs.map((x, i) => (x - meanX) * (points[i]!.value - meanY)));
  const variance = sum(xs.map((x) => (x - meanX) ** 2));
  return variance === 0 ? 0 : covariance / variance;
}

/** A number, or a decimal that came back as text to keep its digits; anything else (null, '', true) is no value. */
function numberOf(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value)) return Number(value);
  return undefined;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
