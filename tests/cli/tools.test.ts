/**
 * `sqlgate tools list|test` as an operator runs them, in-process through runCli: on the built-in demo (its
 * database made first with a fixed clock, so the numbers are exact) and on a configuration of two environments.
 * What is printed, the exit code, and errors as one clear message with no stack.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EXIT_CONFIG, EXIT_FAILURE } from '../../src/cli/exit.js';
import { runCli } from '../../src/cli/run-cli.js';
import { demoToolsRaw } from '../../src/config/demo-tools.js';
import { ensureDemoDatabase } from '../../src/demo/ensure-demo.js';

const NOW_MS = Date.UTC(2026, 11, 7, 11, 31, 0);

/** The demo's tool definitions as configured: what the listing must show. */
const DEMO_TOOLS = demoToolsRaw() as Record<string, { description: string; parameters: Record<string, { description: string }> }>;

let demoDir: string;
let twoDir: string;

beforeAll(async () => {
  demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-cli-tools-demo-'));
  expect(await ensureDemoDatabase(path.join(demoDir, 'data', 'demo.sqlite'), { nowMs: NOW_MS })).toBe(true);

  twoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-cli-tools-two-'));
  for (const name of ['a', 'b']) {
    const db = new Database(path.join(twoDir, `${name}.sqlite`));
    db.exec('CREATE TABLE t (id integer PRIMARY KEY, amount integer NOT NULL)');
    db.exec('INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)');
    db.close();
  }
  fs.writeFileSync(path.join(twoDir, 'sqlgate.yaml'), stringify({
    log: { level: 'silent' },
    environments: {
      a: { database: 'sqlite:./a.sqlite' },
      b: {
        database: 'sqlite:./b.sqlite',
        tools: {
          execute_sql: false,
          pick: {
            description: 'Rows by id, at least some amount.',
            parameters: {
              ids: { type: 'list', items: 'integer', description: 'Ids' },
              min: { type: 'integer', default: 0, description: 'Smallest amount' },
            },
            sql: 'SELECT id, amount FROM t WHERE id IN (:ids) AND amount >= :min ORDER BY id',
          },
        },
      },
    },
  }));
});
afterAll(() => {
  for (const dir of [demoDir, twoDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function sqlgate(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: ['node', 'sqlgate', 'tools', ...args],
    env: {},
    cwd: os.tmpdir(),
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}

const Q4 = ['--param', 'from=2024-10-01', '--param', 'to=2025-01-01'];
const TRENDS = ['--param', 'table=orders', '--param', 'date_column=ordered_at', '--param', 'value_column=total_amount'];

describe('sqlgate tools list', () => {
  it("lists the demo's tools with their parameters", async () => {
    const { code, stdout, stderr } = await sqlgate(['list', '--dir', demoDir]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('demo:');
    // The wording is the demo configuration's own (src/config/demo-tools.ts).
    const revenue = DEMO_TOOLS.revenue_by_category!;
    const trends = DEMO_TOOLS.analyze_trends!;
    expect(lines).toContain(`  revenue_by_category  ${revenue.description}`);
    expect(lines).toContain(`      from (string): ${revenue.parameters.from!.description}`);
    expect(lines).toContain(`      to (string): ${revenue.parameters.to!.description}`);
    expect(lines).toContain(`  analyze_trends  ${trends.description.split('\n')[0]}`);
    expect(lines).toContain(`      table (string): ${trends.parameters.table!.description} (a table name)`);
    expect(lines).toContain(`      date_column (string): ${trends.parameters.date_column!.description} (a column of table)`);
    expect(lines).toContain(`      days (integer, optional): ${trends.parameters.days!.description}`);
    expect(lines).toContain(`      from (string, optional): ${trends.parameters.from!.description}`);
    expect(lines.indexOf('  revenue_by_category  ' + revenue.description)).toBeGreaterThan(lines.findIndex((l) => l.startsWith('  get_table_sample  ')));
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await sqlgate(['list', '--dir', demoDir, '--json']);
    expect(code).toBe(0);
    const listing = JSON.parse(stdout) as { environment: string; tools: { name: string; parameters: unknown[] }[] }[];
    expect(listing.map((e) => e.environment)).toEqual(['demo']);
    expect(listing[0]!.tools.map((t) => t.name)).toEqual(['list_tables', 'describe_table', 'execute_sql', 'get_table_sample', 'revenue_by_category', 'analyze_trends']);
    const revenue = DEMO_TOOLS.revenue_by_category!;
    expect(listing[0]!.tools.find((t) => t.name === 'revenue_by_category')!.parameters).toEqual([
      { name: 'from', type: 'string', required: true, description: revenue.parameters.from!.description },
      { name: 'to', type: 'string', required: true, description: revenue.parameters.to!.description },
    ]);
  });

  it('lists every environment of a configuration, or the one named', async () => {
    const all = JSON.parse((await sqlgate(['list', '--dir', twoDir, '--json'])).stdout) as { environment: string; tools: { name: string; parameters: { name: string; type: string; required: boolean }[] }[] }[];
    expect(all.map((e) => [e.environment, e.tools.map((t) => t.name)])).toEqual([
      ['a', ['list_tables', 'describe_table', 'execute_sql', 'get_table_sample']],
      ['b', ['list_tables', 'describe_table', 'get_table_sample', 'pick']],
    ]);
    expect(all[1]!.tools.at(-1)!.parameters.map((p) => [p.name, p.type, p.required])).toEqual([['ids', 'array', true], ['min', 'integer', false]]);
    const one = await sqlgate(['list', '--dir', twoDir, '--env', 'b']);
    expect(one.stdout.split('\n')[0]).toBe('b:');
    expect(one.stdout).not.toContain('a:');
  });

  it('stops on a wrong tool definition with its key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-cli-tools-bad-'));
    try {
      fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
        log: { level: 'silent' },
        environments: { x: { database: `sqlite:${path.join(twoDir, 'a.sqlite')}`, tools: { t1: { description: 'x', sql: 'SELECT :nope' } } } },
      }));
      const { code, stdout, stderr } = await sqlgate(['list', '--dir', dir]);
      expect(code).toBe(EXIT_CONFIG);
      expect(stdout).toBe('');
      expect(stderr.split('\n')[0]).toBe('sqlgate: environments.x.tools.t1.sql uses :nope, which environments.x.tools.t1.parameters does not declare.');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sqlgate tools test', () => {
  it('runs revenue_by_category on the demo and prints the rows', async () => {
    const { code, stdout, stderr } = await sqlgate(['test', 'revenue_by_category', '--dir', demoDir, ...Q4]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const electronics = stdout.split('\n').findIndex((l) => l.includes('Electronics'));
    expect(electronics).toBeGreaterThanOrEqual(0);
    expect(stdout.split('\n')[electronics]).toMatch(/Electronics.*344033\.55.*981/);
    expect(stdout.indexOf('Electronics')).toBeLessThan(stdout.indexOf('Office'));
    expect(stdout).toMatch(/Books.*19467\.27.*665/);
  });

  it('prints the structured result with --json', async () => {
    const { code, stdout } = await sqlgate(['test', 'revenue_by_category', '--dir', demoDir, ...Q4, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { columns: { name: string }[]; rows: unknown[][]; row_count: number; truncated: boolean };
    expect(result.columns.map((c) => c.name)).toEqual(['category', 'revenue', 'orders']);
    expect(result.rows[0]).toEqual(['Electronics', 344033.55, 981]);
    expect(result.row_count).toBe(8);
    expect(result.truncated).toBe(false);
  });

  it('reads an integer parameter, and prints the trend summary first', async () => {
    const { code, stdout } = await sqlgate(['test', 'analyze_trends', '--dir', demoDir, ...TRENDS, '--param', 'days=30']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Summary of total over 30 days \(2026-11-07 to 2026-12-06\), computed by sqlgate from these rows:\n/);
    const json = JSON.parse((await sqlgate(['test', 'analyze_trends', '--dir', demoDir, ...TRENDS, '--param', 'days=7', '--json'])).stdout) as { rows: unknown[]; summary: { days: number } };
    expect(json.rows).toHaveLength(7);
    expect(json.summary.days).toBe(7);
  });

  it('reads a list parameter split at commas, in the environment named with --env', async () => {
    const { code, stdout } = await sqlgate(['test', 'pick', '--dir', twoDir, '--env', 'b', '--param', 'ids=1,3', '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { rows: unknown[][] }).rows).toEqual([[1, 10], [3, 30]]);
    const min = await sqlgate(['test', 'pick', '--dir', twoDir, '--env', 'b', '--param', 'ids=1, 2,3', '--param', 'min=20', '--json']);
    expect((JSON.parse(min.stdout) as { rows: unknown[][] }).rows).toEqual([[2, 20], [3, 30]]);
  });

  describe('fails with exit 1, one clear message and no stack', () => {
    async function failure(args: string[]) {
      const result = await sqlgate(args);
      expect(result.code).toBe(EXIT_FAILURE);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr).not.toContain('unexpected error');
      return result.stderr;
    }

    it('for a tool the environment does not have', async () => {
      expect(await failure(['test', 'revenue', '--dir', demoDir])).toBe(
        'sqlgate: Environment "demo" has no tool named "revenue".\nIts tools: list_tables, describe_table, execute_sql, get_table_sample, revenue_by_category, analyze_trends.\n',
      );
      // A built-in switched off is not there either.
      expect(await failure(['test', 'execute_sql', '--dir', twoDir, '--env', 'b', '--param', 'query=SELECT 1'])).toBe(
        'sqlgate: Environment "b" has no tool named "execute_sql".\nIts tools: list_tables, describe_table, get_table_sample, pick.\n',
      );
    });

    it('for a parameter the tool does not have', async () => {
      expect(await failure(['test', 'revenue_by_category', '--dir', demoDir, ...Q4, '--param', 'since=2024-01-01'])).toBe(
        'sqlgate: revenue_by_category has no parameter "since".\nIts parameters: from, to.\n',
      );
      expect(await failure(['test', 'revenue_by_category', '--dir', demoDir, '--param', 'from'])).toBe('sqlgate: --param from: expected name=value.\n');
    });

    it('for a required parameter left out', async () => {
      expect(await failure(['test', 'revenue_by_category', '--dir', demoDir, '--param', 'from=2024-10-01'])).toBe(
        'sqlgate: The parameters do not fit revenue_by_category:\n- to: is required (give --param to=…)\nRun "sqlgate tools list" to see each parameter and its type.\n',
      );
    });

    it('for a value that does not fit its type', async () => {
      const text = await failure(['test', 'analyze_trends', '--dir', demoDir, ...TRENDS, '--param', 'days=abc']);
      expect(text).toBe('sqlgate: The parameters do not fit analyze_trends:\n- days: Invalid input: expected number, received string (got "abc")\nRun "sqlgate tools list" to see each parameter and its type.\n');
      const fraction = await failure(['test', 'analyze_trends', '--dir', demoDir, ...TRENDS, '--param', 'days=2.5']);
      expect(fraction).toBe('sqlgate: The parameters do not fit analyze_trends:\n- days: Invalid input: expected int, received number (got 2.5)\nRun "sqlgate tools list" to see each parameter and its type.\n');
      const date = await failure(['test', 'revenue_by_category', '--dir', demoDir, '--param', 'from=2024-10-01', '--param', 'to=yesterday']);
      expect(date).toMatch(/^sqlgate: The parameters do not fit revenue_by_category:\n- to: must be a date written YYYY-MM-DD \(got "yesterday"\)\n/);
      const list = await failure(['test', 'pick', '--dir', twoDir, '--env', 'b', '--param', 'ids=1,x']);
      // The item that is wrong, not "is required": the list was given.
      expect(list).toMatch(/^sqlgate: The parameters do not fit pick:\n- ids\.1: .* \(got \[1,"x"\]\)\n/);
    });

    it('for a table the catalog does not have', async () => {
      expect(await failure(['test', 'analyze_trends', '--dir', demoDir, '--param', 'table=order', '--param', 'date_column=ordered_at', '--param', 'value_column=total_amount'])).toBe(
        'sqlgate: Table "order" does not exist in any schema.\nClosest existing tables: orders, order_items.\n',
      );
    });

    it('without --env when the configuration has two environments', async () => {
      expect(await failure(['test', 'pick', '--dir', twoDir, '--param', 'ids=1'])).toBe(
        'sqlgate: Say which environment the tool is in: --env NAME.\nConfigured environments: a, b.\n',
      );
    });
  });
});
