/**
 * A wrong tool definition stops the start with the key to fix: every check buildConfigTool makes when an
 * environment's tools are built (toolsForEnvironment, as app.ts calls it), on a real SQLite database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../../src/config/load.js';
import type { Environment } from '../../../src/environments/environment.js';
import { ConfigError } from '../../../src/errors.js';
import { toolsForEnvironment } from '../../../src/tools/environment-tools.js';
import type { ToolDefinition } from '../../../src/tools/tool.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
let base: Environment;

beforeAll(async () => {
  database = await createTestDatabase('sqlite', [
    'CREATE TABLE t (id integer PRIMARY KEY, amount integer NOT NULL, day text NOT NULL)',
    "INSERT INTO t VALUES (1, 10, '2025-01-01'), (2, 20, '2025-01-02'), (3, 30, '2025-01-03'), (4, 40, '2025-01-04'), (5, 50, '2025-01-05')",
  ]);
  base = await openEnvironment('base', database.url);
});
afterAll(async () => {
  await base?.dialect.close();
  await database?.drop();
});

/** Builds the tools of environment "e" on the test database, configured with `overrides` (read-only unless said). */
function build(overrides: Record<string, unknown>, name = 'e'): ToolDefinition[] {
  const config = parseEnvironmentConfig(name, { database: database.url, read_only: true, ...overrides }, process.cwd());
  return toolsForEnvironment({ ...base, name, config });
}

function buildError(overrides: Record<string, unknown>, name = 'e'): ConfigError {
  try {
    build(overrides, name);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the build to fail');
}

/** One tool named `t1` with the given definition. */
const oneTool = (tool: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ tools: { t1: { description: 'A tool.', ...tool } }, ...extra });

describe('building configured tools', () => {
  it('serves the built-ins that are not switched off, then the configured tools', () => {
    const names = build(oneTool({ sql: 'SELECT id FROM t' }, {})).map((t) => t.name);
    expect(names).toEqual(['list_tables', 'describe_table', 'execute_sql', 'get_table_sample', 't1']);
    const fewer = build({ tools: { execute_sql: false, get_table_sample: false, list_tables: true, t1: { description: 'x', sql: 'SELECT 1' } } });
    expect(fewer.map((t) => t.name)).toEqual(['list_tables', 'describe_table', 't1']);
  });

  it('refuses an environment left with no tool at all', () => {
    const error = buildError({ tools: { list_tables: false, describe_table: false, execute_sql: false, get_table_sample: false } });
    expect(error.message).toBe('environments.e.tools switches every built-in tool off and defines none: the environment would serve nothing.');
    expect(error.hint).toBe('Define a tool under tools:, or switch a built-in back on.');
    // One configured tool is enough.
    const only = build({ tools: { list_tables: false, describe_table: false, execute_sql: false, get_table_sample: false, t1: { description: 'x', sql: 'SELECT 1' } } });
    expect(only.map((t) => t.name)).toEqual(['t1']);
  });

  it('refuses SQL for other dialects only', () => {
    const error = buildError(oneTool({ sql: { postgres: 'SELECT 1' } }));
    expect(error.message).toBe('environments.e.tools.t1.sql has no SQL for SQLite (it has: postgres).');
    expect(error.hint).toBe('Add sql.sqlite, or give one sql: for every dialect.');
    expect(build(oneTool({ sql: { postgres: 'SELECT 1', sqlite: 'SELECT 2' } })).at(-1)!.name).toBe('t1');
  });

  it('refuses a placeholder that is not declared', () => {
    const one = buildError(oneTool({ parameters: { a: { type: 'integer', description: 'A' } }, sql: 'SELECT :a, :b FROM t' }));
    expect(one.message).toBe('environments.e.tools.t1.sql uses :b, which environments.e.tools.t1.parameters does not declare.');
    expect(one.hint).toMatch(/^Declare it under parameters/);
    const two = buildError(oneTool({ sql: 'SELECT :b, :c, :b FROM t' }));
    expect(two.message).toBe('environments.e.tools.t1.sql uses :b, :c, which environments.e.tools.t1.parameters does not declare.');
    expect(two.hint).toMatch(/^Declare them under parameters/);
  });

  it('refuses a declared parameter the SQL never uses (a placeholder in a comment or literal is not a use)', () => {
    const error = buildError(oneTool({
      parameters: { a: { type: 'integer', description: 'A' }, c: { type: 'string', description: 'C' } },
      sql: "SELECT :a, ':c' FROM t -- :c",
    }));
    expect(error.message).toBe('environments.e.tools.t1.parameters declares "c", which the sql never uses.');
    expect(error.hint).toBe('Write :c where the value belongs, or remove the parameter.');
  });

  it.each([
    [{ type: 'integer', default: 'ten', description: 'N' }, '("ten") is not a valid integer: Invalid input: expected number, received string.'],
    [{ type: 'integer', min: 1, max: 10, default: 11, description: 'N' }, '(11) is not a valid integer: Too big: expected number to be <=10.'],
    [{ type: 'date', default: '2025-13-01', description: 'D' }, '("2025-13-01") is not a valid date: is not a real date.'],
    [{ type: 'enum', values: ['a', 'b'], default: 'c', description: 'E' }, '("c") is not a valid enum: Invalid option: expected one of "a"|"b".'],
    [{ type: 'identifier', values: ['amount', 'id'], default: 'day', description: 'I' }, '("day") is not a valid identifier: Invalid option: expected one of "amount"|"id".'],
    [{ type: 'string', pattern: '[a-z]+', default: 'ABC', description: 'S' }, '("ABC") is not a valid string: must match [a-z]+.'],
  ])('refuses a default that does not fit its parameter (%o)', (parameter, problem) => {
    const error = buildError(oneTool({ parameters: { p: parameter }, sql: 'SELECT :p' }));
    expect(error.message).toBe(`environments.e.tools.t1.parameters.p.default ${problem}`);
  });

  it('refuses a pattern that is not a regular expression', () => {
    const error = buildError(oneTool({ parameters: { s: { type: 'string', pattern: '([a-z', description: 'S' } }, sql: 'SELECT :s' }));
    expect(error.message).toBe('environments.e.tools.t1.parameters.s.pattern is not a valid regular expression: Invalid regular expression: /^(?:([a-z)$/u: Unterminated character class.');
  });

  it('says which configured table does not exist when a column parameter names one', async () => {
    const [, , , , t1] = build(oneTool({
      parameters: { col: { type: 'identifier', catalog: 'column', table: 'tabel', description: 'C' } },
      sql: 'SELECT :col FROM t',
    }));
    const error = await t1!.run(t1!.inputSchema.parse({ col: 'amount' }), { environment: { ...base, name: 'e' }, signal: new AbortController().signal }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('environments.e.tools.t1.parameters.col.table names "tabel", which is neither a parameter of the tool nor a table here.');
  });

  it('refuses a default for a name the catalog must confirm', () => {
    const error = buildError(oneTool({
      parameters: { tbl: { type: 'identifier', catalog: 'table', default: 't', description: 'T' } },
      sql: 'SELECT COUNT(*) FROM :tbl',
    }));
    expect(error.message).toBe('environments.e.tools.t1.parameters.tbl.default: a name the catalog must confirm cannot have a default.');
  });

  it('refuses a column parameter whose table is a parameter that is not a table', () => {
    const error = buildError(oneTool({
      parameters: {
        n: { type: 'integer', description: 'N' },
        col: { type: 'identifier', catalog: 'column', table: 'n', description: 'C' },
      },
      sql: 'SELECT :col FROM t LIMIT :n',
    }));
    expect(error.message).toBe('environments.e.tools.t1.parameters.col.table names the parameter "n", which is not a table.');
    // A table named directly, or a table parameter, is fine.
    expect(build(oneTool({ parameters: { col: { type: 'identifier', catalog: 'column', table: 't', description: 'C' } }, sql: 'SELECT :col FROM t' })).at(-1)!.name).toBe('t1');
  });

  it.each([
    ['SELECT 1; SELECT 2', 'several statements in one request are refused; send one statement at a time'],
    ["SELECT load_extension('x')", 'load_extension() is refused: it loads native code into the database process'],
  ])('refuses SQL the statement gate refuses: %s', (sql, reason) => {
    const error = buildError(oneTool({ sql }));
    // The gate's own words follow, with its hint on what a read may be.
    expect(error.message.split('\n')[0]).toBe(`environments.e.tools.t1.sql is refused by the statement gate: ${reason}`);
    expect(error.hint).toBe('Fix the SQL, then check it with: sqlgate tools test t1 --env e');
  });

  it('refuses a write or a schema change in a read-only environment', () => {
    const write = buildError(oneTool({ parameters: { id: { type: 'integer', description: 'Id' } }, sql: 'DELETE FROM t WHERE id = :id' }));
    expect(write.message).toBe('environments.e.tools.t1.sql would change data, but environment "e" is read-only.');
    const ddl = buildError(oneTool({ sql: 'CREATE TABLE x (a integer)' }));
    expect(ddl.message).toBe('environments.e.tools.t1.sql would change the schema, but environment "e" is read-only.');
  });

  it('refuses a schema change where allow_ddl is off, and annotates it as destructive where it is on', () => {
    const error = buildError(oneTool({ sql: 'CREATE TABLE x (a integer)' }, { read_only: false }), 'w');
    expect(error.message).toBe('environments.w.tools.t1.sql changes the schema, which environment "w" does not allow (allow_ddl: false).');
    const [tool] = build(oneTool({ sql: 'CREATE TABLE x (a integer)' }, { read_only: false, allow_ddl: true }), 'w').slice(-1);
    expect(tool!.hints(base)).toMatchObject({ readOnlyHint: false, destructiveHint: true });
  });

  it("refuses max_rows above the environment's, and caps the rows at the tool's", async () => {
    const error = buildError(oneTool({ sql: 'SELECT id FROM t', max_rows: 500 }, { max_rows: 100 }));
    expect(error.message).toBe("environments.e.tools.t1.max_rows (500) is above the environment's max_rows (100).");
    expect(error.hint).toBe('Lower it to at most 100, or raise environments.e.max_rows.');
    const [tool] = build(oneTool({ sql: 'SELECT id FROM t ORDER BY id', max_rows: 2 }, { max_rows: 100 })).slice(-1);
    const { structured } = await tool!.run({}, { environment: base, signal: new AbortController().signal });
    expect(structured).toMatchObject({ rows: [[1], [2]], row_count: 2, truncated: true });
  });
});
