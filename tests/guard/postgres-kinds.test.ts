/**
 * How the PostgreSQL gate classifies what is not a plain read: the caller refuses `write` and `ddl` in read-only
 * environments and asks for confirmation of destructive statements in writable ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { StatementRules } from '../../src/guard/statement-gate.js';
import { createPostgresRules, type PostgresVerdict } from '../../src/guard/rules/postgres-rules.js';

/** [statement, kind, isDestructive, fragment of the reason]. */
const NOT_READS: Array<[string, 'write' | 'ddl', boolean, string]> = [
  // DML.
  ['INSERT INTO orders (id, total) VALUES (1, 9.5)', 'write', false, 'INSERT writes rows'],
  ['INSERT INTO orders DEFAULT VALUES RETURNING id', 'write', false, 'INSERT'],
  ['INSERT INTO orders SELECT * FROM staging ON CONFLICT (id) DO UPDATE SET total = EXCLUDED.total', 'write', false, 'INSERT'],
  ['INSERT INTO orders VALUES (1) ON CONFLICT ON CONSTRAINT orders_pkey DO NOTHING', 'write', false, 'INSERT'],
  ['INSERT INTO orders (id) OVERRIDING SYSTEM VALUE VALUES (nextval(\'orders_id_seq\'))', 'write', false, 'INSERT'],
  ['UPDATE orders SET total = 0', 'write', true, 'UPDATE writes rows'],
  ['UPDATE orders SET total = 0 WHERE id = 7', 'write', false, 'UPDATE writes rows'],
  ['UPDATE orders SET total = 0 WHERE true', 'write', true, 'UPDATE'],
  ['UPDATE orders SET total = 0 WHERE 1 = 1', 'write', true, 'UPDATE'],
  ['UPDATE orders o SET (total, note) = (SELECT 1, \'x\') FROM users u WHERE u.id = o.user_id', 'write', false, 'UPDATE'],
  ['UPDATE orders SET note = DEFAULT WHERE id = $1 RETURNING OLD.note, NEW.note', 'write', false, 'UPDATE'],
  ['DELETE FROM orders', 'write', true, 'DELETE writes rows'],
  ['DELETE FROM orders WHERE id = $1', 'write', false, 'DELETE writes rows'],
  ['DELETE FROM orders WHERE EXISTS (SELECT 1 FROM flags)', 'write', true, 'DELETE'],
  ['DELETE FROM orders o USING users u WHERE u.id = o.user_id AND u.banned', 'write', false, 'DELETE'],
  ['MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty WHEN NOT MATCHED THEN INSERT VALUES (d.item, d.qty) RETURNING merge_action()', 'write', false, 'MERGE writes rows'],
  ['MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN NOT MATCHED BY SOURCE THEN DELETE', 'write', true, 'MERGE'],
  // Reads that write.
  ['WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone', 'write', true, 'DELETE writes rows'],
  ['WITH moved AS (UPDATE orders SET total = 1 WHERE id = 2 RETURNING *) SELECT * FROM moved', 'write', false, 'UPDATE'],
  ['WITH x AS (INSERT INTO audit VALUES (1) RETURNING id) SELECT * FROM x', 'write', false, 'INSERT'],
  ['SELECT * FROM orders FOR UPDATE', 'write', false, 'SELECT … FOR UPDATE locks rows'],
  ['SELECT * FROM orders FOR NO KEY UPDATE SKIP LOCKED', 'write', false, 'FOR NO KEY UPDATE'],
  ['SELECT * FROM orders FOR SHARE NOWAIT', 'write', false, 'FOR SHARE'],
  ['SELECT * FROM orders FOR KEY SHARE OF orders', 'write', false, 'FOR KEY SHARE'],
  ['SELECT * FROM (SELECT * FROM orders FOR UPDATE) AS locked', 'write', false, 'FOR UPDATE'],
  ["SELECT nextval('orders_id_seq')", 'write', false, 'nextval() advances a sequence'],
  ["SELECT pg_catalog.setval('orders_id_seq', 1)", 'write', false, 'setval() changes a sequence'],
  ['SELECT txid_current()', 'write', false, 'assigns a transaction id'],
  ['SELECT pg_current_xact_id()', 'write', false, 'assigns a transaction id'],
  ['SELECT * INTO orders_copy FROM orders', 'ddl', false, 'SELECT … INTO creates a table'],
  ['EXPLAIN ANALYZE DELETE FROM orders', 'write', true, 'EXPLAIN ANALYZE runs its statement: DELETE writes rows'],
  ["EXPLAIN ANALYZE SELECT nextval('s')", 'write', false, 'nextval()'],
  // DDL and maintenance.
  ['CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text DEFAULT \'\')', 'ddl', false, 'CREATE TABLE changes the schema'],
  ["CREATE TABLE t (id int DEFAULT nextval('s'), CHECK (id > 0))", 'ddl', false, 'CREATE TABLE'],
  ['CREATE TABLE t AS SELECT * FROM orders', 'ddl', false, 'CREATE TABLE AS'],
  ['CREATE MATERIALIZED VIEW mv AS SELECT count(*) FROM orders', 'ddl', false, 'CREATE MATERIALIZED VIEW AS'],
  ['CREATE VIEW v AS SELECT id FROM orders', 'ddl', false, 'CREATE VIEW'],
  ['CREATE INDEX CONCURRENTLY orders_user ON orders (user_id, lower(note))', 'ddl', false, 'CREATE INDEX'],
  ['CREATE SCHEMA reporting CREATE TABLE r (id int)', 'ddl', false, 'CREATE SCHEMA'],
  ['CREATE SEQUENCE s', 'ddl', false, 'CREATE SEQUENCE'],
  ["CREATE TYPE mood AS ENUM ('sad', 'ok')", 'ddl', false, 'ENUM'],
  ['ALTER TABLE orders ADD COLUMN note text', 'ddl', false, 'ALTER TABLE'],
  ['ALTER TABLE orders DROP COLUMN note', 'ddl', true, 'ALTER TABLE'],
  ['ALTER TABLE orders RENAME TO old_orders', 'ddl', false, 'RENAME'],
  ["COMMENT ON TABLE orders IS 'all orders'", 'ddl', false, 'COMMENT'],
  ['GRANT SELECT ON orders TO analyst', 'ddl', false, 'GRANT'],
  ['REVOKE SELECT ON orders FROM analyst', 'ddl', false, 'REVOKE'],
  ['DROP TABLE orders', 'ddl', true, 'DROP TABLE'],
  ['DROP VIEW IF EXISTS v CASCADE', 'ddl', true, 'DROP VIEW'],
  ['DROP INDEX orders_user', 'ddl', true, 'DROP INDEX'],
  ['TRUNCATE orders', 'ddl', true, 'TRUNCATE'],
  ['VACUUM ANALYZE orders', 'ddl', false, 'VACUUM'],
  ['ANALYZE orders', 'ddl', false, 'ANALYZE'],
  ['CLUSTER orders USING orders_pkey', 'ddl', false, 'CLUSTER'],
  ['REINDEX TABLE orders', 'ddl', false, 'REINDEX'],
  ['REFRESH MATERIALIZED VIEW mv', 'ddl', false, 'REFRESH MATERIALIZED VIEW'],
  ['EXPLAIN CREATE TABLE t2 AS SELECT * FROM orders', 'ddl', false, 'CREATE TABLE AS'],
];

let rules: StatementRules;
const classify = (sql: string): PostgresVerdict => rules.classify(sql, { allowedFunctions: [] }) as PostgresVerdict;

beforeAll(async () => {
  rules = await createPostgresRules();
});

describe('postgres gate: writes and DDL are classified for the caller', () => {
  it.each(NOT_READS)('%s → %s', (sql, kind, isDestructive, reason) => {
    const verdict = classify(sql);
    expect({ kind: verdict.kind, isDestructive: verdict.isDestructive }).toEqual({ kind, isDestructive });
    expect(verdict.reason).toContain(reason);
  });

  it('classifies plain EXPLAIN of DML as a read: it only plans, and PostgreSQL allows it in a READ ONLY transaction', () => {
    expect(classify('EXPLAIN DELETE FROM orders')).toEqual({ kind: 'read', isDestructive: false });
    expect(classify('EXPLAIN (COSTS off) UPDATE orders SET total = 0')).toEqual({ kind: 'read', isDestructive: false });
  });

  it('treats any ANALYZE option of EXPLAIN as running the statement, even ANALYZE false', () => {
    expect(classify('EXPLAIN (ANALYZE false) DELETE FROM orders')).toMatchObject({ kind: 'write', isDestructive: true });
  });
});
