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
          Daily totals of a numeric column of any table with a 7-day moving average, and a summary computed from
          the days: mean, median, p10/p90 bands, least-squares trend, volatility. The last 'days' days of data
          unless 'from' is given.
        parameters:
          table:        { type: identifier, catalog: table, description: "e.g. orders or payment_transactions" }
          date_column:  { type: identifier, catalog: column, table: table, description: "Its date or timestamp column, e.g. ordered_at" }
          value_column: { type: identifier, catalog: column, table: table, description: "Its numeric column, summed per day, e.g. total_amount" }
          days:         { type: integer, min: 2, max: 1000, default: 90, description: Days back from the newest row }
          from:         { type: date, required: false, description: First day (instead of days) }
          to:           { type: date, required: false, description: "Day after the last; leave it out to go through the newest row" }
        sql:
          sqlite: |
            WITH daily AS (
              SELECT date(:date_column) AS day, SUM(:value_column) AS total, COUNT(*) AS row_count
                FROM :table
               WHERE :date_column >= COALESCE(:from, date((SELECT MAX(:date_column) FROM :table), '-' || (:days - 1) || ' days'))
                 AND (:to IS NULL OR :date_column < :to)
               GROUP BY date(:date_column)
            )
            SELECT day, ROUND(total, 2) AS total, row_count,
                   ROUND(AVG(total) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW), 2) AS moving_avg_7d
              FROM daily
             ORDER BY day
        trend: { date_column: day, value_column: total }
`;

/** The demo's `tools:` value, as read from YAML. */
export function demoToolsRaw(): Record<string, unknown> {
  return (parse(DEMO_TOOLS_YAML) as { tools: Record<string, unknown> }).tools;
}
