/**
 * The function allow-list of the PostgreSQL gate: allowed_functions for user-defined functions, name resolution
 * (pg_catalog vs. other schemas), and the consistency of the lists themselves.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ReadOnlyError } from '../../src/errors.js';
import type { StatementRules } from '../../src/guard/statement-gate.js';
import { postgresFunctions } from '../../src/guard/rules/postgres-functions.js';
import { createPostgresRules } from '../../src/guard/rules/postgres-rules.js';

let rules: StatementRules;
const classify = (sql: string, allowedFunctions: string[] = []) => rules.classify(sql, { allowedFunctions });

beforeAll(async () => {
  rules = await createPostgresRules();
});

describe('postgres gate: allowed_functions', () => {
  it('refuses a user-defined function until the operator allows it, bare or schema-qualified', () => {
    expect(() => classify('SELECT churn_score(id) FROM users')).toThrow(ReadOnlyError);
    expect(classify('SELECT churn_score(id) FROM users', ['churn_score']).kind).toBe('read');
    expect(classify('SELECT analytics.churn_score(id) FROM users', ['churn_score']).kind).toBe('read');
    expect(classify('SELECT analytics.churn_score(id) FROM users', ['analytics.churn_score']).kind).toBe('read');
    expect(classify('SELECT Analytics.Churn_Score(id) FROM users', ['ANALYTICS.CHURN_SCORE']).kind).toBe('read');
  });

  it('holds a schema-qualified entry to its schema, and tells an unqualified caller how to call it', () => {
    expect(() => classify('SELECT other.churn_score(id) FROM users', ['analytics.churn_score'])).toThrow('not known');
    const act = () => classify('SELECT churn_score(id) FROM users', ['analytics.churn_score']);
    expect(act).toThrow(ReadOnlyError);
    try {
      act();
    } catch (err) {
      expect((err as ReadOnlyError).hint).toContain('analytics.churn_score(…)');
    }
  });

  it('checks allowed functions wherever they appear, also in DML and DDL', () => {
    expect(classify('INSERT INTO scores SELECT churn_score(id) FROM users', ['churn_score']).kind).toBe('write');
    expect(classify('CREATE INDEX ON users (churn_score(id))', ['churn_score']).kind).toBe('ddl');
    expect(() => classify('CREATE INDEX ON users (churn_score(id))')).toThrow('no built-in function churn_score() that the gate knows');
  });

  it('allows a shadowing function only by its schema-qualified name', () => {
    expect(() => classify("SELECT public.lower('X')")).toThrow('is not the built-in lower()');
    expect(classify("SELECT public.lower('X')", ['public.lower']).kind).toBe('read');
    expect(classify("SELECT pg_catalog.lower('X')").kind).toBe('read');
  });

  it('never lets allowed_functions open the refused functions, in any schema', () => {
    for (const [sql, entry] of [
      ["SELECT pg_read_file('/etc/passwd')", 'pg_read_file'],
      ["SELECT public.pg_read_file('/etc/passwd')", 'public.pg_read_file'],
      ["SELECT ext.dblink('host=x', 'y')", 'ext.dblink'],
      ['SELECT pg_sleep(1)', 'pg_sleep'],
      ["SELECT currval('s')", 'currval'],
    ] as const) {
      expect(() => classify(sql, [entry])).toThrow(/refused: it .*\./);
    }
  });

  it('allows other TABLESAMPLE methods only through allowed_functions', () => {
    expect(() => classify('SELECT * FROM t TABLESAMPLE system_time(100)')).toThrow('TABLESAMPLE method system_time');
    expect(classify('SELECT * FROM t TABLESAMPLE system_rows(10)', ['system_rows']).kind).toBe('read');
  });

  it('accepts symbol operators and OPERATOR(pg_catalog.…), whatever the operator', () => {
    expect(classify('SELECT a OPERATOR(pg_catalog.||) b, a <-> b, a |&> b FROM t').kind).toBe('read');
    expect(() => classify('SELECT a OPERATOR(myops.===) b FROM t')).toThrow('OPERATOR(myops.===) is refused');
  });
});

describe('postgres function lists', () => {
  const isRefused = (name: string) =>
    postgresFunctions.refused.has(name) || postgresFunctions.refusedPrefixes.some(([prefix]) => name.startsWith(prefix));

  it('never lists a function as both safe and refused or writing', () => {
    const conflicts = [...postgresFunctions.safe].filter((name) => isRefused(name) || postgresFunctions.writes.has(name));
    expect(conflicts).toEqual([]);
  });

  it('lists names as the parser produces them: lower-case, unqualified', () => {
    const all = [...postgresFunctions.safe, ...postgresFunctions.writes.keys(), ...postgresFunctions.refused.keys()];
    expect(all.filter((name) => !/^[a-z_][a-z0-9_]*$/.test(name))).toEqual([]);
  });

  it.each(['count', 'percentile_cont', 'row_number', 'jsonb_path_query', 'date_trunc', 'gen_random_uuid', 'version', 'pg_size_pretty', 'has_table_privilege'])(
    'knows %s as safe',
    (name) => expect(postgresFunctions.safe.has(name)).toBe(true),
  );
});
