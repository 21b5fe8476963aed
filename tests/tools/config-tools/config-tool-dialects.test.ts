/**
 * Configured tools on real PostgreSQL and MariaDB: per-dialect SQL, list, date, enum-identifier and repeated
 * parameters bound by the driver, NULL for a parameter left out, writes that commit in a writable environment and
 * are refused at build in a read-only one, and SQL the statement gate refuses stopping the build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../../src/config/load.js';
import type { Environment } from '../../../src/environments/environment.js';
import { ConfigError } from '../../../src/errors.js';
import { toolsForEnvironment } from '../../../src/tools/environment-tools.js';
import type { ToolDefinition } from '../../../src/tools/tool.js';
import { createTestDatabase, openEnvironment, withMysql, withPgClient, type TestDatabase } from '../../support/test-databases.js';

type ServerDialect = 'postgres' | 'mysql';

const SETUP: Record<ServerDialect, string[]> = {
  postgres: [
    'CREATE TABLE sales (id integer PRIMARY KEY, region varchar(20) NOT NULL, amount integer NOT NULL, sold_on date NOT NULL)',
    'CREATE TABLE notes (id serial PRIMARY KEY, body varchar(200) NOT NULL)',
  ],
  mysql: [
    'CREATE TABLE sales (id int PRIMARY KEY, region varchar(20) NOT NULL, amount int NOT NULL, sold_on date NOT NULL)',
    'CREATE TABLE notes (id int AUTO_INCREMENT PRIMARY KEY, body varchar(200) NOT NULL)',
  ],
};
const SALES = "INSERT INTO sales VALUES (1, 'north', 120, '2025-01-01'), (2, 'south', 300, '2025-01-02'), (3, 'north', 50, '2025-01-03'), (4, 'east', 75, '2025-01-05'), (5, 'north', 200, '2025-01-06')";

/** One tool, two dialects: PostgreSQL needs the types of markers it cannot infer (`$n IS NULL`) spelled out. */
const SALES_TOOL = {
  description: 'Sales among some ids since a day, optionally of one region and before a day.',
  parameters: {
    ids: { type: 'list', items: 'integer', description: 'Sale ids' },
    since: { type: 'date', description: 'First day' },
    region: { type: 'string', default: 'any', description: 'A region, or any' },
    until: { type: 'date', required: false, description: 'Day after the last' },
    sort: { type: 'identifier', values: ['amount', 'id'], default: 'amount', description: 'Column to sort by, descending' },
  },
  sql: {
    postgres: `SELECT id, region, amount FROM sales
      WHERE id IN (:ids) AND sold_on >= :since AND (:region::text = 'any' OR region = :region)
        AND (:until::date IS NULL OR sold_on < :until)
      ORDER BY :sort DESC, id`,
    mysql: `SELECT id, region, amount FROM sales
      WHERE id IN (:ids) AND sold_on >= :since AND (:region = 'any' OR region = :region)
        AND (:until IS NULL OR sold_on < :until)
      ORDER BY :sort DESC, id`,
  },
};

const TOOLS = {
  sales: SALES_TOOL,
  is_missing: {
    description: 'Whether a value was given.',
    parameters: { maybe: { type: 'string', required: false, description: 'Anything' } },
    sql: { postgres: 'SELECT CAST(:maybe AS text) IS NULL AS is_null', mysql: 'SELECT :maybe IS NULL AS is_null' },
  },
};

const ADD_NOTE = {
  description: 'Adds a note.',
  parameters: { body: { type: 'string', max_length: 200, description: 'The text' } },
  sql: 'INSERT INTO notes (body) VALUES (:body)',
};

describe.each(['postgres', 'mysql'] as const)('configured tools on %s', (dialect) => {
  let database: TestDatabase;
  let env: Environment;
  let tools: Map<string, ToolDefinition>;
  const opened: Environment[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect, [...SETUP[dialect], SALES]);
    env = await openEnvironment('reports', database.url, { tools: TOOLS });
    opened.push(env);
    tools = new Map(toolsForEnvironment(env).map((t) => [t.name, t]));
  });
  afterAll(async () => {
    for (const e of opened) await e.dialect.close();
    await database?.drop();
  });

  async function call(environment: Environment, tool: ToolDefinition, input: Record<string, unknown>) {
    const output = await tool.run(tool.inputSchema.parse(input), { environment, signal: new AbortController().signal });
    return { structured: output.structured as { columns: { name: string }[]; rows: unknown[][]; rows_affected: number | null } };
  }
  const sales = (input: Record<string, unknown>) => call(env, tools.get('sales')!, input);

  /** The same database as another environment's configuration, built as app.ts builds it. */
  function buildIn(name: string, overrides: Record<string, unknown>): ToolDefinition[] {
    const config = parseEnvironmentConfig(name, { database: database.url, read_only: true, ...overrides }, process.cwd());
    return toolsForEnvironment({ ...env, name, config });
  }
  function buildError(name: string, overrides: Record<string, unknown>): ConfigError {
    try {
      buildIn(name, overrides);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return err as ConfigError;
    }
    throw new Error('expected the build to fail');
  }

  async function directRows(query: string): Promise<unknown[][]> {
    if (dialect === 'postgres') return withPgClient(database.url, async (c) => (await c.query({ text: query, rowMode: 'array' })).rows);
    return withMysql(database.url, async (c) => (await c.query({ sql: query, rowsAsArray: true }))[0] as unknown[][]);
  }

  it('binds a list, a date and a value used twice, and writes the chosen column in ORDER BY', async () => {
    const north = await sales({ ids: [1, 2, 3, 4, 5], since: '2025-01-02', region: 'north', sort: 'amount' });
    expect(north.structured.columns.map((c) => c.name)).toEqual(['id', 'region', 'amount']);
    expect(north.structured.rows).toEqual([[5, 'north', 200], [3, 'north', 50]]);
    const byId = await sales({ ids: [1, 2, 4], since: '2025-01-01', region: 'any', sort: 'id' });
    expect(byId.structured.rows).toEqual([[4, 'east', 75], [2, 'south', 300], [1, 'north', 120]]);
    const oneId = await sales({ ids: [2], since: '2025-01-01' });
    expect(oneId.structured.rows).toEqual([[2, 'south', 300]]);
  });

  it('binds a parameter left out as NULL, and a given one as its value', async () => {
    const all = await sales({ ids: [1, 2, 3, 4, 5], since: '2025-01-01' });
    expect(all.structured.rows.map((r) => r[0])).toEqual([2, 5, 1, 4, 3]);
    const before = await sales({ ids: [1, 2, 3, 4, 5], since: '2025-01-01', until: '2025-01-03' });
    expect(before.structured.rows.map((r) => r[0])).toEqual([2, 1]);
    const yes = dialect === 'postgres' ? true : 1;
    const no = dialect === 'postgres' ? false : 0;
    expect((await call(env, tools.get('is_missing')!, {})).structured.rows).toEqual([[yes]]);
    expect((await call(env, tools.get('is_missing')!, { maybe: 'x' })).structured.rows).toEqual([[no]]);
  });

  it('accepts only the listed names for an identifier, and only whole dates and integers', () => {
    const schema = tools.get('sales')!.inputSchema;
    expect(schema.safeParse({ ids: [1], since: '2025-01-01', sort: 'region' }).success).toBe(false);
    expect(schema.safeParse({ ids: [1], since: '2025-01-01', sort: 'amount; DROP TABLE sales' }).success).toBe(false);
    expect(schema.safeParse({ ids: [1.5], since: '2025-01-01' }).success).toBe(false);
    expect(schema.safeParse({ ids: [], since: '2025-01-01' }).success).toBe(false);
    expect(schema.safeParse({ ids: [1], since: '2025-1-1' }).success).toBe(false);
    expect(schema.safeParse({ ids: [1], since: '2025-01-01', extra: 1 }).success).toBe(false);
  });

  it('is annotated as a read', () => {
    expect(tools.get('sales')!.hints(env)).toMatchObject({ title: 'Sales', readOnlyHint: true, destructiveHint: false, idempotentHint: true });
  });

  it('refuses at build a tool that has SQL only for another dialect', () => {
    const error = buildError('reports', { tools: { only_sqlite: { description: 'x', sql: { sqlite: 'SELECT 1', mssql: 'SELECT 1' } } } });
    // The mysql dialect names the server it found: MariaDB here, MySQL elsewhere.
    const name = dialect === 'postgres' ? 'PostgreSQL' : env.dialect.displayName;
    expect(['PostgreSQL', 'MySQL', 'MariaDB']).toContain(name);
    expect(error.message).toBe(`environments.reports.tools.only_sqlite.sql has no SQL for ${name} (it has: sqlite, mssql).`);
    expect(error.hint).toBe(`Add sql.${dialect}, or give one sql: for every dialect.`);
  });

  it('commits a write in a writable environment, annotated as destructive', async () => {
    const rw = await openEnvironment('rw', database.url, { read_only: false, tools: { add_note: ADD_NOTE } });
    opened.push(rw);
    const addNote = toolsForEnvironment(rw).find((t) => t.name === 'add_note')!;
    expect(addNote.hints(rw)).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });
    const { structured } = await call(rw, addNote, { body: "it's a note'); DROP TABLE notes; --" });
    expect(structured.rows_affected).toBe(1);
    expect(await directRows('SELECT body FROM notes ORDER BY id')).toEqual([["it's a note'); DROP TABLE notes; --"]]);
  });

  it('runs each call through the same policy as execute_sql: scopes, and bulk deletes only when the user confirms', async () => {
    const rw = await openEnvironment('rw2', database.url, {
      read_only: false,
      tools: { add_note: ADD_NOTE, clear_notes: { description: 'Deletes every note.', sql: 'DELETE FROM notes' } },
    });
    opened.push(rw);
    const built = new Map(toolsForEnvironment(rw).map((t) => [t.name, t]));
    const before = await directRows('SELECT COUNT(*) FROM notes');
    const readOnlyCaller = { user: 'alice', via: 'oauth' as const, environment: 'rw2', canWrite: false, scopes: ['sql:read'] };
    const addNote = built.get('add_note')!;
    await expect(addNote.run({ body: 'x' }, { environment: rw, signal: new AbortController().signal, identity: readOnlyCaller })).rejects.toThrow(
      'alice may only read in "rw2" with this authorization; the statement would change data.',
    );
    const clear = built.get('clear_notes')!;
    await expect(clear.run({}, { environment: rw, signal: new AbortController().signal })).rejects.toThrow(
      // Without a way to ask (no confirm), refused; the rest of the wording is statement-policy's.
      /^This statement would destroy data in bulk \(DELETE or UPDATE without WHERE, DROP, TRUNCATE\) and /,
    );
    const questions: string[] = [];
    const declined = clear.run({}, { environment: rw, signal: new AbortController().signal, confirm: async (q) => (questions.push(q), false) });
    await expect(declined).rejects.toThrow('The user declined to run this statement; nothing was changed.');
    expect(questions[0]).toContain('DELETE FROM notes');
    expect(await directRows('SELECT COUNT(*) FROM notes')).toEqual(before);
  });

  it('refuses at build a write in a read-only environment', () => {
    const error = buildError('ro', { tools: { add_note: ADD_NOTE } });
    expect(error.message).toBe('environments.ro.tools.add_note.sql would change data, but environment "ro" is read-only.');
  });

  it('refuses at build SQL the statement gate refuses', () => {
    const readFile = dialect === 'postgres' ? "SELECT pg_read_file('x') AS f" : "SELECT LOAD_FILE('x') AS f";
    const fn = dialect === 'postgres' ? 'pg_read_file' : 'load_file';
    const error = buildError('reports', { tools: { read_file: { description: 'x', sql: readFile } } });
    expect(error.message).toMatch(/^environments\.reports\.tools\.read_file\.sql is refused by the statement gate: /);
    expect(error.message.toLowerCase()).toContain(fn);
    expect(error.hint).toBe('Fix the SQL, then check it with: sqlgate tools test read_file --env reports');
  });
});
