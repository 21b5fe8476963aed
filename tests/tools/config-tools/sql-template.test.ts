/**
 * The placeholder scanner and renderer of configured tools: `:name` found only where the engine would read SQL
 * (not in literals, quoted names or comments, read the way each engine reads them), and rendered with each real
 * dialect's own markers and quoting (the dialects are built, not opened: rendering needs no connection).
 */
import { describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../../src/config/load.js';
import type { Dialect, DialectName } from '../../../src/db/dialect.js';
import { createDialect } from '../../../src/db/registry.js';
import { parseSqlTemplate, renderSqlTemplate, type BoundPart } from '../../../src/tools/config-tools/sql-template.js';

const URLS: Record<DialectName, string> = {
  postgres: 'postgres://u@127.0.0.1:5432/db',
  mysql: 'mysql://u@127.0.0.1:3306/db',
  sqlite: 'sqlite:/tmp/sqlgate-never-opened.sqlite',
  mssql: 'mssql://u:p@127.0.0.1:1433/db',
};
const ALL: DialectName[] = ['postgres', 'mysql', 'sqlite', 'mssql'];

function dialectOf(name: DialectName): Promise<Dialect> {
  return createDialect(parseEnvironmentConfig(name, { database: URLS[name] }, process.cwd()));
}

const found = (sql: string, dialect: DialectName) => parseSqlTemplate(sql, dialect).parameters;

describe('parseSqlTemplate', () => {
  it.each(ALL)('finds the placeholders in order of first use, each once, and keeps the text around them (%s)', (dialect) => {
    const template = parseSqlTemplate('SELECT :b, :a_1 FROM t WHERE x = :b AND y IN (:a_1)', dialect);
    expect(template.parameters).toEqual(['b', 'a_1']);
    expect(template.parts).toEqual([
      'SELECT ', { parameter: 'b' }, ', ', { parameter: 'a_1' }, ' FROM t WHERE x = ', { parameter: 'b' }, ' AND y IN (', { parameter: 'a_1' }, ')',
    ]);
  });

  it.each(ALL)("skips single-quoted literals, with '' escapes (%s)", (dialect) => {
    expect(found("SELECT ':no', 'it''s :no2', '' FROM t WHERE a = :yes AND b = 'x:no3'", dialect)).toEqual(['yes']);
  });

  it.each(ALL)('skips double-quoted names and comments (%s)', (dialect) => {
    expect(found('SELECT "col:no" FROM t -- where :no2\nWHERE a = :yes /* and :no3 */ AND b = :yes2', dialect)).toEqual(['yes', 'yes2']);
  });

  it('skips back-ticked names on MySQL and SQLite, and [bracketed] names on SQLite and SQL Server', () => {
    expect(found('SELECT `a:no` FROM t WHERE x = :yes', 'mysql')).toEqual(['yes']);
    expect(found('SELECT `a:no` FROM t WHERE x = :yes', 'sqlite')).toEqual(['yes']);
    expect(found('SELECT [a:no] FROM t WHERE x = :yes', 'sqlite')).toEqual(['yes']);
    expect(found('SELECT [a:no] FROM t WHERE x = :yes', 'mssql')).toEqual(['yes']);
    // PostgreSQL has neither: a[1:n] is an array slice whose upper bound is a parameter.
    expect(found('SELECT a[1:n] FROM t', 'postgres')).toEqual(['n']);
  });

  it('reads block comments as nested on PostgreSQL and SQL Server, and as ending at the first */ elsewhere', () => {
    const sql = 'SELECT /* outer /* inner */ :in_comment */ :yes';
    expect(found(sql, 'postgres')).toEqual(['yes']);
    expect(found(sql, 'mssql')).toEqual(['yes']);
    expect(found(sql, 'mysql')).toEqual(['in_comment', 'yes']);
    expect(found(sql, 'sqlite')).toEqual(['in_comment', 'yes']);
  });

  it('reads -- as a comment on MySQL only before white space, as MySQL does', () => {
    expect(found('SELECT 5--:a', 'mysql')).toEqual(['a']);
    expect(found('SELECT 5 -- :no\nFROM t WHERE a = :yes', 'mysql')).toEqual(['yes']);
    expect(found('SELECT 5--:no\nFROM t WHERE a = :yes', 'postgres')).toEqual(['yes']);
  });

  it('skips # comments on MySQL only', () => {
    expect(found('SELECT 1 # :no\nFROM t WHERE a = :yes', 'mysql')).toEqual(['yes']);
    expect(found('SELECT :a #:b', 'postgres')).toEqual(['a', 'b']);
  });

  it('skips $$ and $tag$ strings on PostgreSQL, but not $1 markers', () => {
    expect(found('SELECT $$ :no $$, $fn$ it\'s :no2 $fn$, :yes', 'postgres')).toEqual(['yes']);
    expect(found('SELECT $body$ $$ :no $$ $body$ || :yes', 'postgres')).toEqual(['yes']);
    expect(found('SELECT $1, :yes, $2', 'postgres')).toEqual(['yes']);
    expect(found('SELECT a$b, :yes', 'postgres')).toEqual(['yes']);
    // Elsewhere $$ is not a quote.
    expect(found('SELECT $$ :a $$', 'mysql')).toEqual(['a']);
  });

  it("reads backslash escapes in E'…' on PostgreSQL only", () => {
    expect(found(String.raw`SELECT E'it\'s :no', e'\\', :yes`, 'postgres')).toEqual(['yes']);
    // Without the E, a backslash is an ordinary character: the literal ends at the second quote.
    expect(found(String.raw`SELECT 'a\', :yes`, 'postgres')).toEqual(['yes']);
    // A word ending in e before a quote is not an E'…' prefix.
    expect(found(String.raw`SELECT some'a\', :yes`, 'postgres')).toEqual(['yes']);
  });

  it('reads backslash escapes in MySQL literals', () => {
    expect(found(String.raw`SELECT 'it\'s :no', "say \":no2\"", :yes`, 'mysql')).toEqual(['yes']);
    // The same text on SQLite: the first literal ends after the backslash, so :no is SQL there.
    expect(found(String.raw`SELECT 'it\'s :no', :yes`, 'sqlite')).toEqual(['no']);
  });

  it('does not take :: casts or := assignments for placeholders', () => {
    const template = parseSqlTemplate('SELECT :v::text, x::int, y :: date FROM t', 'postgres');
    expect(template.parameters).toEqual(['v']);
    expect(template.parts).toEqual(['SELECT ', { parameter: 'v' }, '::text, x::int, y :: date FROM t']);
    expect(found('SELECT @n := @n + 1, @m:=2, :yes FROM t', 'mysql')).toEqual(['yes']);
    expect(found('SELECT f(a := 1, b:=2, c => :yes)', 'postgres')).toEqual(['yes']);
  });

  it.each(ALL)('finds a placeholder written right before an operator (%s)', (dialect) => {
    expect(found('SELECT * FROM t WHERE :id=id OR :n<>n OR :m=:k', dialect)).toEqual(['id', 'n', 'm', 'k']);
  });

  it('leaves a colon before a digit or a space alone', () => {
    expect(found("SELECT '10:30', a[1:2], x : y, :ok", 'postgres')).toEqual(['ok']);
  });
});

describe('renderSqlTemplate', () => {
  const value = (v: unknown): BoundPart => ({ kind: 'value', value: v });

  it.each([
    ['postgres', 'SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3 AND d IN ($4, $5, $6) ORDER BY "total"'],
    ['mysql', 'SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d IN (?, ?, ?) ORDER BY `total`'],
    ['sqlite', 'SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d IN (?, ?, ?) ORDER BY "total"'],
    ['mssql', 'SELECT * FROM t WHERE a = @p1 AND b = @p2 AND c = @p3 AND d IN (@p4, @p5, @p6) ORDER BY [total]'],
  ] as const)('uses %s markers, one per occurrence and per list item, and writes identifiers in', async (name, expected) => {
    const dialect = await dialectOf(name);
    const template = parseSqlTemplate('SELECT * FROM t WHERE a = :x AND b = :y AND c = :x AND d IN (:ids) ORDER BY :sort', name);
    const bound = new Map<string, BoundPart>([
      ['x', value('one')],
      ['y', value(null)],
      ['ids', { kind: 'list', values: [3, 1, 2] }],
      ['sort', { kind: 'identifier', sql: dialect.quoteIdentifier('total') }],
    ]);
    const rendered = renderSqlTemplate(template, bound, (position) => dialect.placeholder(position));
    expect(rendered).toEqual({ sql: expected, params: ['one', null, 'one', 3, 1, 2] });
  });

  it('writes a value containing SQL only as a bound parameter', () => {
    const template = parseSqlTemplate('SELECT * FROM t WHERE name = :name', 'postgres');
    const attack = "x'; DROP TABLE t; --";
    expect(renderSqlTemplate(template, new Map([['name', value(attack)]]), (p) => `$${p}`)).toEqual({
      sql: 'SELECT * FROM t WHERE name = $1',
      params: [attack],
    });
  });

  it('refuses to render a placeholder that has no bound part', () => {
    const template = parseSqlTemplate('SELECT :a, :b', 'sqlite');
    expect(() => renderSqlTemplate(template, new Map([['a', value(1)]]), () => '?')).toThrow('no value bound for :b');
  });
});
