/**
 * The tools the built-in demo environment defines, as the YAML a user would write: `sqlgate init` writes this
 * text into sqlgate.yaml, and the configuration-less demo reads the same text, so the example and the served
 * tools cannot drift apart.
 */
import { parse } from 'yaml';

/** The `tools:` block of the demo environment, indented for `environments.demo` in sqlgate.yaml. */
export const DEMO_TOOLS_YAML = `    tools:
      revenue_by_category:
        description: Revenue (completed and shipped orders, after discounts) by product category between two dates.
        parameters:
          from: { type: date, description: First day (YYYY-MM-DD) }
          to:   { type: date, description: Day after the last (YYYY-MM-DD) }
        sql: |
          SELECT p.category,
                 ROUND(SUM(oi.quantity * oi.unit_price * (1 - oi.discount)), 2) AS revenue,
                 COUNT(DISTINCT o.order_id) AS orders
            FROM order_items oi
            JOIN orders o ON o.order_id = oi.order_id
            JOIN products p ON p.product_id = oi.product_id
           WHERE o.ordered_at >= :from AND o.ordered_at < :to
             AND o.status IN ('completed', 'shipped')
           GROUP BY p.category
           ORDER BY revenue DESC
      analyze_trends:
        description: >-
          Daily totals of a numeric column of any table, days without rows counted as 0, with a 7-day moving
          average and a summary computed from the days: mean, median, p10/p90 bands, least-squares trend,
          volatility. Whole days: by default the 'days' days before the newest row's day (which may still be
          filling up); 'from' and 'to' choose others.
        parameters:
          table:        { type: identifier, catalog: table, description: "e.g. orders or payment_transactions" }
          date_column:  { type: identifier, catalog: column, column_type: date, table: table, description: "Its date or timestamp column, e.g. ordered_at" }
          value_column: { type: identifier, catalog: column, column_type: number, table: table, description: "Its numeric column, summed per day, e.g. total_amount" }
          days:         { type: integer, min: 2, max: 1000, default: 90, description: Days to cover when 'from' is not given }
          from:         { type: date, required: false, description: First day }
          to:           { type: date, required: false, description: "Day after the last (default: the newest row's day)" }
        sql:
          sqlite: |
            WITH RECURSIVE
              bounds(first_day, end_day) AS (
                SELECT COALESCE(:from, date(e, '-' || :days || ' days')), e
                  FROM (SELECT COALESCE(:to, date((SELECT MAX(:date_column) FROM :table))) AS e)
              ),
              calendar(day) AS (
                SELECT first_day FROM bounds WHERE first_day < end_day
                UNION ALL
                SELECT date(day, '+1 day') FROM calendar, bounds WHERE date(day, '+1 day') < bounds.end_day
              ),
              daily AS (
                SELECT date(:date_column) AS day, SUM(:value_column) AS total, COUNT(*) AS row_count
                  FROM :table
                 WHERE :date_column >= (SELECT first_day FROM bounds) AND :date_column < (SELECT end_day FROM bounds)
                 GROUP BY date(:date_column)
              )
            SELECT c.day, ROUND(COALESCE(d.total, 0), 2) AS total, COALESCE(d.row_count, 0) AS row_count,
                   ROUND(AVG(COALESCE(d.total, 0)) OVER (ORDER BY c.day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW), 2) AS moving_avg_7d
              FROM calendar c LEFT JOIN daily d ON d.day = c.day
             ORDER BY c.day
        trend: { date_column: day, value_column: total }
`;

/** The demo's `tools:` value, as read from YAML. */
export function demoToolsRaw(): Record<string, unknown> {
  return (parse(DEMO_TOOLS_YAML) as { tools: Record<string, unknown> }).tools;
}
