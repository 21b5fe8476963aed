/**
 * The plan readers turn each engine's own plan into the same steps: PostgreSQL's EXPLAIN (FORMAT JSON), MySQL's and
 * MariaDB's EXPLAIN FORMAT=JSON (nested differently) and SQLite's EXPLAIN QUERY PLAN rows. The samples are what the
 * servers answered (PostgreSQL 15, MariaDB 10.11, SQLite 3.54) or, for MySQL 8, its documented shape.
 */
import { describe, expect, it } from 'vitest';
import { mysqlPlanner } from '../../src/db/mysql/mysql-plan.js';
import { postgresPlanner } from '../../src/db/postgres/postgres-plan.js';
import { flattenPlan, renderPlanLine, type QueryPlan } from '../../src/db/query-plan.js';
import { sqlitePlanner } from '../../src/db/sqlite/sqlite-plan.js';

const lines = (plan: QueryPlan) => flattenPlan(plan.nodes).map(({ depth, node }) => renderPlanLine(depth, node));

describe('PostgreSQL plans', () => {
  const plan = [{
    Plan: {
      'Node Type': 'Sort', 'Startup Cost': 478.54, 'Total Cost': 478.56, 'Plan Rows': 5, 'Sort Key': ['region'],
      Plans: [{
        'Node Type': 'Aggregate', Strategy: 'Hashed', 'Total Cost': 478.49, 'Plan Rows': 5, 'Group Key': ['region'],
        Plans: [{ 'Node Type': 'Index Scan', 'Index Name': 'sales_pkey', 'Relation Name': 'sales', Alias: 's', 'Total Cost': 402.61, 'Plan Rows': 10109, 'Index Cond': '(id <= 10000)', Filter: "(region <> 'x'::text)" }],
      }],
    },
  }];

  it('read from JSON text or parsed JSON alike, one step per node, children below their parent', () => {
    for (const value of [JSON.stringify(plan), plan]) {
      expect(lines(postgresPlanner.read([[value as never]]))).toEqual([
        'Sort (sort: region) — rows ≈ 5, cost 478.56',
        '  → Aggregate (strategy Hashed; group: region) — rows ≈ 5, cost 478.49',
        "    → Index Scan on sales s (using sales_pkey; index: (id <= 10000); filter: (region <> 'x'::text)) — rows ≈ 10109, cost 402.61",
      ]);
    }
  });

  it('asks for the plan without ANALYZE: nothing runs', () => {
    expect(postgresPlanner.statementFor('SELECT 1')).toBe('EXPLAIN (FORMAT JSON) SELECT 1');
  });
});

describe('MySQL and MariaDB plans', () => {
  it('read MariaDB\'s nesting (filesort, temporary_table, nested_loop, block-nl-join)', () => {
    const mariadb = { query_block: { select_id: 1, filesort: { sort_key: 'count(0) desc', temporary_table: { nested_loop: [
      { table: { table_name: 'c', access_type: 'ALL', key: 'TABLE_SCHEMA', rows: 12, attached_condition: "c.TABLE_SCHEMA = 'mysql'" } },
      { 'block-nl-join': { table: { table_name: 't', access_type: 'ALL', rows: 40 }, buffer_type: 'flat', join_type: 'BNL', attached_condition: 't.TABLE_NAME = c.TABLE_NAME' } },
    ] } } } };
    expect(lines(mysqlPlanner.read([[JSON.stringify(mariadb)]]))).toEqual([
      'query block #1',
      '  → filesort (sort: count(0) desc)',
      '    → temporary table',
      "      → ALL on c (key TABLE_SCHEMA; condition: c.TABLE_SCHEMA = 'mysql') — rows ≈ 12",
      '      → block nl join (join BNL; condition: t.TABLE_NAME = c.TABLE_NAME)',
      '        → ALL on t — rows ≈ 40',
    ]);
  });

  it('read MySQL 8\'s nesting (cost_info, ordering and grouping operations)', () => {
    const mysql = { query_block: { select_id: 1, cost_info: { query_cost: '3.50' }, ordering_operation: { using_filesort: true, grouping_operation: { using_temporary_table: true, nested_loop: [
      { table: { table_name: 'o', access_type: 'ALL', rows_examined_per_scan: 5, rows_produced_per_join: 5, cost_info: { read_cost: '0.25', prefix_cost: '0.75' } } },
      { table: { table_name: 'c', access_type: 'eq_ref', key: 'PRIMARY', rows_examined_per_scan: 1, rows_produced_per_join: 5, cost_info: { prefix_cost: '2.50' } } },
    ] } } } };
    expect(lines(mysqlPlanner.read([[mysql as never]]))).toEqual([
      'query block #1 — cost 3.50',
      '  → ordering operation (filesort)',
      '    → grouping operation (temporary table)',
      '      → ALL on o — rows ≈ 5, cost 0.75',
      '      → eq_ref on c (key PRIMARY) — rows ≈ 5, cost 2.50',
    ]);
  });
});

describe('SQLite plans', () => {
  it('read the rows as a tree by parent, SCAN and SEARCH naming their table', () => {
    const rows = [[3, 0, 0, 'SCAN o'], [5, 0, 0, 'SEARCH c USING INTEGER PRIMARY KEY (rowid=?)'], [11, 0, 0, 'USE TEMP B-TREE FOR GROUP BY'], [13, 11, 0, 'SCAN x']];
    expect(lines(sqlitePlanner.read(rows))).toEqual([
      'SCAN on o',
      'SEARCH on c (USING INTEGER PRIMARY KEY (rowid=?))',
      'USE TEMP B-TREE FOR GROUP BY',
      '  → SCAN on x',
    ]);
  });

  it('places each step once even when the rows point in a circle', () => {
    expect(lines(sqlitePlanner.read([[1, 2, 0, 'SCAN a'], [2, 1, 0, 'SCAN b'], [3, 0, 0, 'SCAN c']]))).toEqual(['SCAN on c']);
  });
});
