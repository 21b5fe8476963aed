/**
 * Read-only holds on real databases, logged in as the most privileged user (PostgreSQL superuser, MariaDB root,
 * a writable SQLite file), and each layer holds on its own:
 * - full defence: every attack is refused, every legitimate read passes;
 * - statement gate switched off: the engine still refuses every write;
 * - engine backstop switched off (a writable session): the gate still refuses every attack.
 * Afterwards every table, view, setting and file is exactly as before.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect, DialectName } from '../../src/db/dialect.js';
import type { Environment } from '../../src/environments/environment.js';
import { SqlgateError } from '../../src/errors.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import { fixtureStatements } from '../support/fixture/index.js';
import {
  createTestDatabase,
  GATE_SWITCHED_OFF_FOR_TESTS,
  openEnvironment,
  withMysql,
  withPgClient,
  type TestDatabase,
} from '../support/test-databases.js';
import { ATTACK_FILES, CORPUS } from './attack-corpus.js';

const GATE_REFUSALS = ['SG_READ_ONLY', 'SG_INVALID_INPUT'];

async function run(environment: Environment, query: string): Promise<{ error?: SqlgateError }> {
  try {
    await executeSqlTool.run(executeSqlTool.inputSchema.parse({ query }), { environment, signal: new AbortController().signal });
    return {};
  } catch (err) {
    if (!(err instanceof SqlgateError)) throw err;
    return { error: err };
  }
}

/** A dialect whose sessions are always writable: the engine backstop switched off, for this test only. */
function withBackstopOff(dialect: Dialect): Dialect {
  return new Proxy(dialect, {
    get(target, property, receiver) {
      if (property === 'session') return (options: Parameters<Dialect['session']>[0]) => target.session({ ...options, readOnly: false });
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Everything an attack could change, read through an administrator connection. */
async function snapshot(dialect: DialectName, db: TestDatabase): Promise<string> {
  switch (dialect) {
    case 'postgres':
      return withPgClient(db.url, async (c) => {
        const parts: unknown[] = [];
        const relations = await c.query(
          "SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY relname",
        );
        parts.push(relations.rows);
        for (const { relname, relkind } of relations.rows) {
          if (relkind === 'r' || relkind === 'v') parts.push((await c.query(`SELECT * FROM "${relname}" ORDER BY 1`)).rows);
        }
        parts.push((await c.query("SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace")).rows);
        parts.push((await c.query('SELECT setdatabase, setrole, setconfig FROM pg_db_role_setting ORDER BY 1, 2')).rows);
        parts.push((await c.query('SELECT COUNT(*) FROM pg_largeobject_metadata')).rows);
        parts.push((await c.query("SELECT obj_description('customers'::regclass)")).rows);
        parts.push((await c.query("SELECT relacl FROM pg_class WHERE relname = 'customers'")).rows);
        parts.push((await c.query("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'")).rows);
        return JSON.stringify(parts);
      });
    case 'mysql':
      return withMysql(db.url, async (c) => {
        const parts: unknown[] = [];
        const [tables] = await c.query('SELECT TABLE_NAME AS t, TABLE_TYPE AS k FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1');
        parts.push(tables);
        for (const { t } of tables as { t: string }[]) parts.push((await c.query(`SELECT * FROM \`${t}\` ORDER BY 1`))[0]);
        parts.push((await c.query('SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()'))[0]);
        parts.push((await c.query('SELECT @@GLOBAL.max_connections AS m'))[0]);
        parts.push((await c.query("SELECT COUNT(*) AS n FROM mysql.user WHERE User = 'evil'"))[0]);
        parts.push((await c.query("SELECT IS_FREE_LOCK('x') AS free"))[0]);
        return JSON.stringify(parts);
      });
    case 'sqlite': {
      const file = db.url.slice('sqlite:'.length);
      const handle = new Database(file, { readonly: true });
      try {
        const parts: unknown[] = [handle.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all()];
        for (const { name } of handle.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name").all() as { name: string }[]) {
          parts.push(handle.prepare(`SELECT * FROM "${name}" ORDER BY 1`).all());
        }
        parts.push(handle.pragma('user_version'), handle.pragma('journal_mode'));
        return JSON.stringify(parts);
      } finally {
        handle.close();
      }
    }
    default:
      throw new Error(`no snapshot for ${dialect}`);
  }
}

describe.each(['postgres', 'mysql', 'sqlite'] as const)('read-only on %s with a privileged login', (dialect) => {
  const corpus = CORPUS[dialect];
  let db: TestDatabase;
  let before: string;
  let full: Environment;
  let gateOff: Environment;
  let backstopOff: Environment;

  beforeAll(async () => {
    for (const file of ATTACK_FILES) fs.rmSync(file, { force: true });
    db = await createTestDatabase(dialect, fixtureStatements(dialect));
    before = await snapshot(dialect, db);
    full = await openEnvironment('full', db.url, { read_only: true, statement_timeout_ms: 5_000 });
    gateOff = await openEnvironment('gate_off', db.url, { read_only: true, statement_timeout_ms: 5_000 }, GATE_SWITCHED_OFF_FOR_TESTS);
    const writable = await openEnvironment('backstop_off', db.url, { read_only: false, statement_timeout_ms: 5_000 });
    backstopOff = { ...writable, config: { ...writable.config, readOnly: true }, dialect: withBackstopOff(writable.dialect) };
  });
  afterAll(async () => {
    for (const env of [full, gateOff, backstopOff]) await env?.dialect.close();
    await db?.drop();
  });

  it(`refuses all ${corpus.writes.length + corpus.escapes.length} attacks with every layer on`, async () => {
    const gotThrough: string[] = [];
    for (const query of [...corpus.writes, ...corpus.escapes]) {
      const { error } = await run(full, query);
      if (!error || !GATE_REFUSALS.includes(error.code)) gotThrough.push(`${query} → ${error?.code ?? 'ran'}`);
    }
    expect(gotThrough).toEqual([]);
  });

  it(`runs all ${corpus.reads.length} legitimate reads with every layer on`, async () => {
    const refused: string[] = [];
    for (const query of corpus.reads) {
      const { error } = await run(full, query);
      if (error) refused.push(`${query} → ${error.code}: ${error.message}`);
    }
    expect(refused).toEqual([]);
  });

  it('still refuses every write in the engine with the statement gate switched off', async () => {
    const gotThrough: string[] = [];
    for (const query of corpus.writes) {
      const { error } = await run(gateOff, query);
      if (!error) gotThrough.push(query);
    }
    expect(gotThrough).toEqual([]);
    const insert = await run(gateOff, corpus.writes[0]!);
    expect(insert.error?.code).toBe('SG_READ_ONLY');
  });

  it('still refuses every attack in the gate with the engine backstop switched off', async () => {
    const gotThrough: string[] = [];
    for (const query of [...corpus.writes, ...corpus.escapes]) {
      const { error } = await run(backstopOff, query);
      if (!error || !GATE_REFUSALS.includes(error.code)) gotThrough.push(`${query} → ${error?.code ?? 'ran'}`);
    }
    expect(gotThrough).toEqual([]);
  });

  it('left every table, view, setting and file unchanged', async () => {
    expect(await snapshot(dialect, db)).toBe(before);
    expect(ATTACK_FILES.filter((file) => fs.existsSync(file))).toEqual([]);
  });
});
