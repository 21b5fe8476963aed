/**
 * The shape of `environments.<env>.tools` (src/config/tool-schema.ts), checked when the configuration loads:
 * each mistake is a ConfigError naming its key, through parseEnvironmentConfig and through loadConfig of a file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { demoToolsRaw } from '../../../src/config/demo-tools.js';
import { loadConfig, parseEnvironmentConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-tool-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const DATABASE = `sqlite:${path.join(dir, 'x.sqlite')}`;

function configError(tools: unknown): ConfigError {
  try {
    parseEnvironmentConfig('e', { database: DATABASE, tools }, dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

/** The lines of the error after "Invalid configuration:". */
const problems = (tools: unknown) => configError(tools).message.split('\n').slice(1);

describe('environments.<env>.tools', () => {
  it('reads switches and definitions apart, with defaults', () => {
    const config = parseEnvironmentConfig('e', {
      database: DATABASE,
      tools: {
        execute_sql: false,
        list_tables: true,
        top_ids: {
          description: 'Top ids.',
          parameters: {
            n: { type: 'integer', default: 5, description: 'How many' },
            note: { type: 'string', required: false, description: 'Anything' },
            ids: { type: 'list', items: 'integer', description: 'Ids' },
          },
          sql: 'SELECT id FROM t WHERE id IN (:ids) LIMIT :n -- :note',
          trend: { date_column: 'd', value_column: 'v' },
        },
      },
    }, dir);
    expect(config.tools.builtIns).toEqual({ list_tables: true, describe_table: true, execute_sql: false, get_table_sample: true });
    expect(config.tools.defined).toEqual([{
      name: 'top_ids',
      title: undefined,
      description: 'Top ids.',
      parameters: [
        { name: 'n', type: 'integer', description: 'How many', required: false, default: 5, min: undefined, max: undefined },
        { name: 'note', type: 'string', description: 'Anything', required: false, default: undefined, maxLength: 1000, pattern: undefined },
        { name: 'ids', type: 'list', description: 'Ids', required: true, default: undefined, items: 'integer', maxItems: 100 },
      ],
      sql: { all: 'SELECT id FROM t WHERE id IN (:ids) LIMIT :n -- :note' },
      maxRows: undefined,
      trend: { dateColumn: 'd', valueColumn: 'v' },
    }]);
  });

  it('accepts the demo tools as written for sqlgate init', () => {
    const config = parseEnvironmentConfig('demo', { database: DATABASE, demo: true, tools: demoToolsRaw() }, dir);
    expect(config.tools.defined.map((t) => t.name)).toEqual(['revenue_by_category', 'analyze_trends']);
    expect(Object.keys(config.tools.defined[1]!.sql)).toEqual(['sqlite']);
  });

  it('refuses true/false for a name that is not a built-in, suggesting the closest built-in', () => {
    expect(problems({ foo: false })).toEqual([
      '- environments.e.tools.foo: is not a built-in tool: true/false only switches a built-in (list_tables, describe_table, execute_sql, get_table_sample); to define "foo", give it description, parameters and sql (got false)',
    ]);
    expect(problems({ execute_sq: false })).toEqual([
      '- environments.e.tools.execute_sq: is not a built-in tool: did you mean "execute_sql"? true/false only switches a built-in (list_tables, describe_table, execute_sql, get_table_sample); to define "execute_sq", give it description, parameters and sql (got false)',
    ]);
  });

  it("refuses a definition under a built-in's name", () => {
    expect(problems({ execute_sql: { description: 'Mine.', sql: 'SELECT 1' } })).toEqual([
      '- environments.e.tools.execute_sql: is a built-in tool: switch it with execute_sql: false, or give your tool another name (got a mapping)',
    ]);
  });

  it.each(['Revenue', 'my-tool', '1st', 'a'.repeat(65)])('refuses the tool name %s', (name) => {
    expect(problems({ [name]: { description: 'x', sql: 'SELECT 1' } })).toEqual([
      `- environments.e.tools.${name}: a tool name is lower-case letters, digits and "_", starting with a letter, at most 64 characters (got a mapping)`,
    ]);
  });

  it('refuses an identifier with neither values nor catalog, or with both', () => {
    const tool = (p: Record<string, unknown>) => ({ t1: { description: 'x', parameters: { col: { type: 'identifier', description: 'C', ...p } }, sql: 'SELECT :col' } });
    const expected = ['- environments.e.tools.t1.parameters.col: needs either values: [names the caller may pick] or catalog: table | column (names the catalog confirms) (got a mapping)'];
    expect(problems(tool({}))).toEqual(expected);
    expect(problems(tool({ values: ['a'], catalog: 'table' }))).toEqual(expected);
  });

  it('refuses catalog: column without its table, and table: without catalog: column', () => {
    const tool = (p: Record<string, unknown>) => ({ t1: { description: 'x', parameters: { col: { type: 'identifier', description: 'C', ...p } }, sql: 'SELECT :col' } });
    expect(problems(tool({ catalog: 'column' }))).toEqual([
      '- environments.e.tools.t1.parameters.col.table: is needed with catalog: column (the table parameter or table name whose columns may be picked) (missing)',
    ]);
    expect(problems(tool({ catalog: 'table', table: 'orders' }))).toEqual([
      '- environments.e.tools.t1.parameters.col.table: only goes with catalog: column (got "orders")',
    ]);
  });

  it('refuses an identifier that may be left out, and column_type off a column', () => {
    const tool = (p: Record<string, unknown>) => ({ t1: { description: 'x', parameters: { col: { type: 'identifier', description: 'C', ...p } }, sql: 'SELECT :col' } });
    expect(problems(tool({ catalog: 'table', required: false }))).toEqual([
      '- environments.e.tools.t1.parameters.col.required: cannot be false for an identifier: the SQL needs a name (give values: and a default instead) (got false)',
    ]);
    expect(problems(tool({ catalog: 'table', column_type: 'number' }))).toEqual([
      '- environments.e.tools.t1.parameters.col.column_type: only goes with catalog: column (got "number")',
    ]);
  });

  it('names the key of each mistake inside a definition', () => {
    expect(problems({
      t1: { parameters: { From: { type: 'date', description: 'x' } }, sql: 'SELECT 1' },
      t2: { description: 'x', sql: { oracle: 'SELECT 1' } },
      t3: { description: 'x', sql: 'SELECT :n', parameters: { n: { type: 'integer', description: 'N', mni: 1 } } },
      t4: { description: 'x', sql: 'SELECT 1', max_rows: 0 },
      t5: null,
    })).toEqual([
      '- environments.e.tools.t1.description: is required; it must be text',
      '- environments.e.tools.t1.parameters.From: the name "From" must be lower-case letters, digits and "_", starting with a letter (written :name in the SQL)',
      '- unknown key "oracle" in environments.e.tools.t2.sql (the keys there are postgres, mysql, sqlite, mssql)',
      '- environments.e.tools.t2.sql: name the SQL for at least one dialect: postgres, mysql, sqlite or mssql (got a mapping)',
      '- unknown key "mni" in environments.e.tools.t3.parameters.n — did you mean "min"?',
      '… and 2 more',
    ]);
    expect(problems({ t4: { description: 'x', sql: 'SELECT 1', max_rows: 0 }, t5: null, t6: { description: ' ', sql: '  ' } })).toEqual([
      '- environments.e.tools.t4.max_rows: must be a whole number from 1 to 100000 (got 0)',
      '- environments.e.tools.t5: must be true or false, or a mapping of keys to values (got an empty value)',
      '- environments.e.tools.t6.description: must say what the tool answers (the model chooses tools by it) (got " ")',
      '- environments.e.tools.t6.sql: must not be empty (got "  ")',
    ]);
  });

  it('lists the parameter types when type: names none, and suggests the nearest key', () => {
    expect(problems({ t1: { description: 'x', sql: 'SELECT :n', parameters: { n: { type: 'integr', description: 'N' } } } })).toEqual([
      '- environments.e.tools.t1.parameters.n.type: must be one of string, integer, number, boolean, date, timestamp, enum, list, identifier (got "integr")',
    ]);
    expect(problems({ t1: { descripton: 'x', description: 'y', sql: 'SELECT 1' } })).toEqual([
      '- unknown key "descripton" in environments.e.tools.t1 — did you mean "description"?',
    ]);
  });

  it('names the key of a mistake in a configuration file', () => {
    const file = path.join(dir, 'sqlgate.yaml');
    fs.writeFileSync(file, stringify({ environments: { reports: { database: DATABASE, tools: { foo: true } } } }));
    expect(() => loadConfig({ configPath: file, env: {}, cwd: dir, environmentsToOpen: [] })).toThrow(
      'Invalid configuration:\n- environments.reports.tools.foo: is not a built-in tool: ',
    );
  });
});
