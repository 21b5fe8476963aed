/**
 * SQL written for another dialect, through every gate: the error names this dialect and what to write instead, and
 * only the wording changes. Functions the gate refuses for their side effects keep that refusal, words inside
 * literals and comments advise nothing, and allowed_functions still decides what an operator allows.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError, ReadOnlyError, type SqlgateError } from '../../src/errors.js';
import { createMssqlRules } from '../../src/guard/rules/mssql-rules.js';
import { createMysqlRules } from '../../src/guard/rules/mysql-rules.js';
import { createPostgresRules } from '../../src/guard/rules/postgres-rules.js';
import { createSqliteRules } from '../../src/guard/rules/sqlite-rules.js';
import type { StatementRules } from '../../src/guard/statement-gate.js';

const GATES: Record<string, StatementRules> = {
  SQLite: await createSqliteRules(),
  PostgreSQL: await createPostgresRules(),
  MySQL: await createMysqlRules(),
  MariaDB: await createMysqlRules({ flavor: 'mariadb' }),
  'SQL Server': await createMssqlRules(),
};
const NONE = { allowedFunctions: [] };
const READ = { kind: 'read', isDestructive: false };

function errorOf(gate: string, sql: string, allowedFunctions: string[] = []): SqlgateError {
  try {
    GATES[gate]!.classify(sql, { allowedFunctions });
  } catch (err) {
    if (err instanceof InvalidInputError || err instanceof ReadOnlyError) return err;
    throw err;
  }
  throw new Error(`expected ${gate} to refuse ${sql}`);
}

/** [dialect, statement, what the error must say]: another dialect's function, refused with its equivalent. */
const FUNCTIONS: Array<[string, string, string[]]> = [
  ['SQLite', "SELECT date_trunc('month', ordered_at) FROM orders", ['SQLite has no function date_trunc()', "strftime('%Y-%m-01', col)", "date(col, 'start of month')"]],
  ['SQLite', 'SELECT NOW()', ['SQLite has no function NOW()', "datetime('now')", 'CURRENT_TIMESTAMP']],
  ['SQLite', 'SELECT getdate(), sysdate() FROM t', ['SQLite has no function getdate()', "datetime('now')"]],
  ['SQLite', 'SELECT year(ordered_at), month(ordered_at) FROM orders', ["strftime('%Y', col)", "CAST(strftime('%m', col) AS INTEGER)"]],
  ['SQLite', "SELECT date_format(d, '%Y-%m') FROM t", ['SQLite has no function date_format()', 'strftime(format, col)']],
  ['SQLite', "SELECT to_char(d, 'YYYY') FROM t", ['SQLite has no function to_char()', 'strftime']],
  ['SQLite', 'SELECT dateadd(day, 1, d) FROM t', ['SQLite has no function dateadd()', "datetime(col, '+1 day')"]],
  ['SQLite', 'SELECT date_sub(d, 1) FROM t', ["datetime('now', '-1 hour')"]],
  ['SQLite', "SELECT listagg(name, ', ') FROM t", ['SQLite has no function listagg()', 'group_concat(x']],
  ['SQLite', 'SELECT isnull(a, 0) FROM t', ['SQLite has no function isnull()', 'ifnull(a, b) or coalesce(a, b)']],
  ['SQLite', 'SELECT nvl(a, 0) FROM t', ['ifnull(a, b)']],
  ['SQLite', 'SELECT len(name) FROM t', ['SQLite has no function len()', 'length(x)']],
  ['SQLite', "SELECT charindex('a', name), locate('a', name) FROM t", ['SQLite has no function charindex()', 'instr(string, substring)']],
  ['SQLite', "SELECT strpos(name, 'a') FROM t", ['instr(string, substring)']],
  ['SQLite', 'SELECT left(name, 3) FROM t', ['SQLite has no function left()', 'substr(x, 1, n)']],
  ['SQLite', 'SELECT right(name, 3) FROM t', ['substr(x, -n)']],
  ['SQLite', 'SELECT greatest(a, b), least(a, b) FROM t', ['SQLite has no function greatest()', 'max(a, b, …)']],
  ['SQLite', 'SELECT datediff(a, b) FROM t', ['SQLite has no function datediff()', 'julianday(b) - julianday(a)']],
  ['SQLite', 'SELECT stddev(total) FROM orders', ['SQLite has no function stddev()', 'not built in', 'sqrt(avg(x * x) - avg(x) * avg(x))']],
  ['PostgreSQL', "SELECT date_format(ordered_at, '%Y-%m') FROM orders", ['PostgreSQL has no function date_format()', "to_char(col, 'YYYY-MM-DD HH24:MI')"]],
  ['PostgreSQL', "SELECT strftime('%Y', d) FROM t", ['PostgreSQL has no function strftime()', 'to_char(']],
  ['PostgreSQL', 'SELECT ifnull(a, 0), isnull(a, 0), nvl(a, 0) FROM t', ['PostgreSQL has no function ifnull()', 'coalesce(a, b)']],
  ['PostgreSQL', 'SELECT isnull(a, 0) FROM t', ['PostgreSQL has no function isnull()', 'coalesce(a, b)']],
  ['PostgreSQL', 'SELECT datediff(a, b) FROM t', ['PostgreSQL has no function datediff()', 'date_b - date_a', 'extract(epoch FROM b - a)']],
  ['PostgreSQL', 'SELECT dateadd(day, 1, d) FROM t', ['PostgreSQL has no function dateadd()', "col + INTERVAL '1 day'"]],
  ['PostgreSQL', 'SELECT getdate()', ['PostgreSQL has no function getdate()', 'now() or current_timestamp']],
  ['PostgreSQL', "SELECT group_concat(name) FROM t", ['PostgreSQL has no function group_concat()', "string_agg(x::text, ', ' ORDER BY x)"]],
  ['PostgreSQL', 'SELECT len(name) FROM t', ['PostgreSQL has no function len()', 'length(x)']],
  ['PostgreSQL', 'SELECT year(d), month(d) FROM t', ['PostgreSQL has no function year()', 'extract(year FROM col)']],
  ['MySQL', "SELECT date_trunc('month', ordered_at) FROM orders", ['MySQL has no function date_trunc()', "DATE_FORMAT(col, '%Y-%m-01')"]],
  ['MySQL', "SELECT strftime('%Y', d) FROM t", ['MySQL has no function strftime()', 'DATE_FORMAT(']],
  ['MySQL', "SELECT string_agg(name, ', ') FROM t", ['MySQL has no function string_agg()', "GROUP_CONCAT(x ORDER BY x SEPARATOR ', ')"]],
  ['MySQL', 'SELECT getdate()', ['MySQL has no function getdate()', 'NOW() or CURRENT_TIMESTAMP']],
  ['MySQL', 'SELECT dateadd(day, 1, d) FROM t', ['MySQL has no function dateadd()', 'DATE_ADD(col, INTERVAL 1 DAY)']],
  ['MySQL', 'SELECT len(name) FROM t', ['MySQL has no function len()', 'CHAR_LENGTH(x)']],
  ['MariaDB', "SELECT date_trunc('month', d) FROM t", ['MariaDB has no function date_trunc()', 'DATE_FORMAT(']],
  ['SQL Server', 'SELECT now()', ['SQL Server has no function now()', 'GETDATE() or SYSDATETIME()']],
  ['SQL Server', "SELECT date_trunc('month', d) FROM t", ['SQL Server has no function date_trunc()', 'DATEADD(month, DATEDIFF(month, 0, col), 0)', 'DATEFROMPARTS(', 'SQL Server 2022']],
  ['SQL Server', 'SELECT ifnull(a, 0) FROM t', ['SQL Server has no function ifnull()', 'ISNULL(a, b) or COALESCE(a, b)']],
  ['SQL Server', 'SELECT group_concat(name) FROM t', ['SQL Server has no function group_concat()', "STRING_AGG(x, ', ')"]],
  ['SQL Server', 'SELECT length(name), substr(name, 1, 2) FROM t', ['SQL Server has no function length()', 'LEN(x)']],
  ['SQL Server', 'SELECT substr(name, 1, 2) FROM t', ['SUBSTRING(x, start, length)']],
  ['SQL Server', "SELECT instr(name, 'a') FROM t", ['CHARINDEX(substring, string)']],
  ['SQL Server', "SELECT date_format(d, '%Y') FROM t", ['SQL Server has no function date_format()', "FORMAT(col, 'yyyy-MM-dd HH:mm')"]],
];

/** [dialect, statement, what the error must say]: another dialect's syntax, which the dialect's parser rejects. */
const SYNTAX: Array<[string, string, string[]]> = [
  ['SQLite', "SELECT * FROM customers WHERE city ILIKE 'san%'", ['(SQLite syntax)', 'SQLite has no ILIKE', "use LIKE, which already ignores case for ASCII letters in SQLite"]],
  ['SQLite', 'SELECT EXTRACT(YEAR FROM ordered_at) FROM orders', ['SQLite has no EXTRACT(field FROM …)', "strftime('%Y', col)"]],
  ['SQLite', "SELECT * FROM orders WHERE ordered_at >= NOW() - INTERVAL '1 hour'", ['SQLite has no INTERVAL arithmetic', "datetime('now', '-1 hour')", 'SQLite has no function NOW()']],
  ['SQLite', 'SELECT TOP 5 * FROM orders', ['SQLite has no SELECT TOP n', 'LIMIT 5']],
  ['SQLite', 'SELECT * FROM orders OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY', ['SQLite has no OFFSET … FETCH', 'LIMIT n OFFSET m']],
  ['SQLite', 'SELECT a FROM t WHERE a = 1 # a comment', ['could not parse the SQLite statement', 'SQLite has no # comments', '-- or are written /* … */']],
  ['PostgreSQL', 'SELECT `name` FROM customers', ['Could not parse the PostgreSQL statement', 'PostgreSQL has no `backtick` quoting', 'double quotes']],
  ['PostgreSQL', 'SELECT [name] FROM customers', ['PostgreSQL has no [bracket] quoting', 'double quotes']],
  ['PostgreSQL', 'SELECT TOP 5 * FROM orders', ['PostgreSQL has no SELECT TOP n', 'LIMIT 5']],
  ['PostgreSQL', 'SELECT DATE_SUB(NOW(), INTERVAL 1 HOUR)', ['PostgreSQL has no INTERVAL 1 HOUR', "now() - INTERVAL '1 hour'", 'PostgreSQL has no function DATE_SUB()']],
  ['PostgreSQL', 'SELECT * FROM orders LIMIT 10, 20', ['LIMIT #,# syntax is not supported', 'LIMIT 20 OFFSET 10']],
  ['MySQL', "SELECT * FROM t WHERE name ILIKE 'x%'", ['(MySQL syntax)', 'MySQL has no ILIKE', "LOWER(x) LIKE LOWER('…')"]],
  ['MySQL', 'SELECT TOP 5 * FROM orders', ['MySQL has no SELECT TOP n', 'LIMIT 5']],
  ['MySQL', 'SELECT [name] FROM customers', ['could not parse the MySQL statement', 'MySQL has no [bracket] quoting', 'backticks']],
  ['MySQL', "SELECT * FROM orders WHERE ordered_at > NOW() - INTERVAL '1 hour'", ["MySQL has no INTERVAL '1 hour'", 'NOW() - INTERVAL 1 HOUR']],
  ['MySQL', 'SELECT * FROM orders FETCH FIRST 5 ROWS ONLY', ['MySQL has no OFFSET … FETCH', 'LIMIT n OFFSET m']],
  ['MariaDB', "SELECT * FROM t WHERE name ILIKE 'x%'", ['(MariaDB syntax)', 'MariaDB has no ILIKE']],
  ['SQL Server', "SELECT * FROM t WHERE name ILIKE 'x%'", ['(SQL Server syntax)', 'SQL Server has no ILIKE']],
  ['SQL Server', 'SELECT EXTRACT(YEAR FROM d) FROM t', ['SQL Server has no EXTRACT(field FROM …)', 'DATEPART(year, col)']],
  ['SQL Server', "SELECT * FROM t WHERE d > GETDATE() - INTERVAL '1 hour'", ['SQL Server has no INTERVAL arithmetic', 'DATEADD(hour, -1, SYSDATETIME())']],
  ['SQL Server', 'SELECT `name` FROM t', ['could not parse the SQL Server statement', 'SQL Server has no `backtick` quoting', '[brackets]']],
];

describe('another dialect\'s function', () => {
  it.each(FUNCTIONS)('%s: %s', (gate, sql, says) => {
    const error = errorOf(gate, sql);
    expect(error).toBeInstanceOf(InvalidInputError);
    for (const text of says) expect(error.message).toContain(text);
    expect(error.message).not.toContain('side effects');
    if (gate === 'SQLite') expect(error.publicText).not.toContain('allowed_functions');
  });

  it('is still allowed when the environment lists a function of that name (the operator decides)', () => {
    expect(GATES.PostgreSQL!.classify('SELECT ifnull(a, 0) FROM t', { allowedFunctions: ['ifnull'] })).toEqual(READ);
    expect(GATES.MySQL!.classify("SELECT date_trunc('month', d) FROM t", { allowedFunctions: ['date_trunc'] })).toEqual(READ);
    expect(GATES.SQLite!.classify('SELECT now()', { allowedFunctions: ['now'] })).toEqual(READ);
  });

  it('is no advice when schema-qualified: that is a function of the database', () => {
    for (const [gate, sql] of [['MySQL', 'SELECT otherdb.date_trunc(d) FROM t'], ['PostgreSQL', 'SELECT public.ifnull(a, 0) FROM t'], ['SQL Server', 'SELECT dbo.now()']]) {
      const error = errorOf(gate!, sql!);
      expect(error, sql).toBeInstanceOf(ReadOnlyError);
      expect(error.message, sql).toContain('not known to be free of side effects');
      expect(error.message, sql).not.toContain(': use');
    }
  });
});

describe('another dialect\'s syntax', () => {
  it.each(SYNTAX)('%s: %s', (gate, sql, says) => {
    const error = errorOf(gate, sql);
    expect(error).toBeInstanceOf(InvalidInputError);
    for (const text of says) expect(error.message).toContain(text);
  });

  it.each([
    ['SQLite', "SELECT 'ILIKE TOP 5', \"ILIKE\" FROM t /* INTERVAL '1 hour' EXTRACT(YEAR FROM x) */ WHERE"],
    ['SQLite', "SELECT 'date_trunc(x)', `now` FROM t -- NOW() ::\nWHERE"],
    ['PostgreSQL', "SELECT $$ TOP 5 `a` $$, 'a ILIKE b', E'x' -- `x` [y]\n FROM"],
    ['PostgreSQL', "SELECT $tag$ INTERVAL 1 HOUR $tag$ /* LIMIT 1, 2 /* nested */ getdate() */ FROM"],
    ['MySQL', "SELECT '[a] ILIKE', `TOP`, \"INTERVAL '1 hour'\" FROM t # TOP 5\nWHERE"],
    ['SQL Server', "SELECT 'LIMIT 10 ILIKE', [ILIKE] FROM t -- EXTRACT(YEAR FROM d)\nWHERE"],
  ])('%s: words inside literals, quoted names and comments advise nothing: %s', (gate, sql) => {
    const error = errorOf(gate, sql);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).not.toContain(' has no ');
  });

  it.each([
    ['SQLite', "SELECT 'TOP 5', \"INTERVAL\" FROM t WHERE a ILIKE 'x'", 'SQLite has no ILIKE'],
    ['PostgreSQL', 'SELECT $$ TOP 5 $$, $q$ `a` $q$ FROM t LIMIT 10, 20', 'PostgreSQL has no LIMIT offset, count'],
    ['SQL Server', "SELECT '`a`' FROM t WHERE a ILIKE 'x' -- EXTRACT(YEAR FROM d)", 'SQL Server has no ILIKE'],
  ])('%s: advises on the code around literals and comments, and only on it: %s', (gate, sql, advice) => {
    const { message } = errorOf(gate, sql);
    expect(message).toContain(advice);
    expect(message.split(' has no ')).toHaveLength(2);
  });

  it('names the dialect even when it finds nothing to advise', () => {
    expect(errorOf('SQLite', 'SELEC 1').message).toMatch(/^could not parse the statement at line 1, column \d+ \(SQLite syntax\): expected /);
    expect(errorOf('SQL Server', 'SELECT FROM t').message).toContain('(SQL Server syntax)');
    expect(errorOf('PostgreSQL', 'SELEC 1').message).toBe('Could not parse the PostgreSQL statement: syntax error at or near "SELEC" (at character 1).');
  });
});

describe('what advice never changes', () => {
  it.each([
    ['SQLite', "SELECT load_extension('/tmp/evil.so')", 'load_extension() is refused: it loads native code into the database process'],
    ['SQLite', "SELECT now(), load_extension('/tmp/evil.so')", 'load_extension() is refused'],
    ['PostgreSQL', "SELECT pg_read_file('/etc/passwd')", 'Function pg_read_file() is refused: it reads or writes files on the database server.'],
    ['MySQL', "SELECT LOAD_FILE('/etc/passwd')", 'LOAD_FILE() is refused: LOAD_FILE reads a file on the database server'],
    ['SQL Server', "SELECT xp_cmdshell('dir')", 'xp_cmdshell() is refused: extended stored procedures (xp_…) reach the operating system'],
  ])('%s keeps the side-effect refusal of %s', (gate, sql, message) => {
    const error = errorOf(gate, sql);
    expect(error).toBeInstanceOf(ReadOnlyError);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain(' has no ');
  });

  it('leaves both readings open for an unknown name where the database may define functions', () => {
    const mysql = errorOf('MySQL', 'SELECT my_udf(a) FROM t');
    expect(mysql).toBeInstanceOf(ReadOnlyError);
    expect(mysql.message).toBe('MySQL has no built-in function my_udf() that the gate knows. If it is defined in this database, it is not known to be free of side effects; ask the operator to allow it in allowed_functions if it only reads.');
    const typo = errorOf('PostgreSQL', 'SELECT lenght(name) FROM t');
    expect(typo).toBeInstanceOf(ReadOnlyError);
    expect(typo.message).toMatch(/^PostgreSQL has no built-in function lenght\(\) that the gate knows\. .* Similar PostgreSQL built-ins: .*length\(\)/);
    expect(errorOf('SQL Server', 'SELECT dbo.fn(a) FROM t').message).toMatch(/^SQL Server has no built-in function dbo\.fn\(\) that the gate knows\. [^]*allowed_functions if it only reads\.$/);
  });

  it('refuses the same statements as before: advice is wording, every statement above is still refused', () => {
    for (const [gate, sql] of [...FUNCTIONS, ...SYNTAX]) expect(() => GATES[gate]!.classify(sql, NONE), `${gate}: ${sql}`).toThrow();
  });
});
