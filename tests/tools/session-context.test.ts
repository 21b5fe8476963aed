/**
 * session_context on real databases, through the tools as clients call them: the caller (user, role, OAuth client)
 * reaches each statement, views that filter on it show every caller their own rows (execute_sql, get_table_sample,
 * a configured tool), a reused pooled connection never carries one caller's values into the next call, and no
 * statement can change them — refused in read-only and writable environments alike. PostgreSQL also runs a real
 * row-level-security policy, queried by a login that is neither superuser nor the table's owner.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../src/config/load.js';
import type { DialectName } from '../../src/db/dialect.js';
import { runQuery } from '../../src/db/run-query.js';
import type { Environment } from '../../src/environments/environment.js';
import type { Identity } from '../../src/environments/identity.js';
import { SqlgateError } from '../../src/errors.js';
import { createMssqlRules } from '../../src/guard/rules/mssql-rules.js';
import { createMysqlRules } from '../../src/guard/rules/mysql-rules.js';
import { createPostgresRules } from '../../src/guard/rules/postgres-rules.js';
import { createSqliteRules } from '../../src/guard/rules/sqlite-rules.js';
import { toolsForEnvironment } from '../../src/tools/environment-tools.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import { getTableSampleTool } from '../../src/tools/get-table-sample.js';
import { sessionContextFor } from '../../src/tools/session-context.js';
import type { ToolDefinition } from '../../src/tools/tool.js';
import { SESSION_CONTEXT_ATTACKS } from '../guard/attack-corpus.js';
import {
  createTestDatabase,
  GATE_SWITCHED_OFF_FOR_TESTS,
  openEnvironment,
  PG_ADMIN_URL,
  TEST_DIALECTS,
  withPgClient,
  type TestDatabase,
} from '../support/test-databases.js';

const GATE_REFUSALS = ['SG_READ_ONLY', 'SG_INVALID_INPUT'];

function caller(user: string, options: { canWrite?: boolean; clientId?: string } = {}): Identity {
  const canWrite = options.canWrite ?? false;
  return {
    user,
    ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
    via: 'oauth',
    environment: 'any',
    canWrite,
    scopes: canWrite ? ['sql:read', 'sql:write'] : ['sql:read'],
  };
}
const ALICE = caller('alice', { clientId: 'claude-desktop' });
const BOB = caller('bob');

async function execute(environment: Environment, query: string, identity?: Identity) {
  const output = await executeSqlTool.run(executeSqlTool.inputSchema.parse({ query }), { environment, signal: new AbortController().signal, identity });
  return output.structured.rows as unknown[][];
}

async function refusal(run: Promise<unknown>): Promise<SqlgateError | null> {
  return run.then(
    () => null,
    (err: unknown) => {
      if (!(err instanceof SqlgateError)) throw err;
      return err;
    },
  );
}

/** The caller's values as the statement sees them; '' (PostgreSQL's unset setting) reads as null. */
const READ_VALUES: Record<DialectName, string> = {
  postgres: "SELECT current_setting('sqlgate.user', true), current_setting('sqlgate.roles', true), current_setting('sqlgate.client', true)",
  mysql: 'SELECT @sqlgate_user, @sqlgate_roles, @sqlgate_client',
  sqlite: 'SELECT sqlgate_user(), sqlgate_roles(), sqlgate_client()',
  mssql:
    "SELECT CAST(SESSION_CONTEXT(N'user') AS nvarchar(128)), CAST(SESSION_CONTEXT(N'roles') AS nvarchar(128)), CAST(SESSION_CONTEXT(N'client') AS nvarchar(128))",
};

/** The server's id of the connection, to show that calls share one pooled connection (SQLite: one worker, pool.max 1). */
const CONNECTION_ID: Record<DialectName, string | null> = {
  postgres: 'SELECT pg_backend_pid()',
  mysql: 'SELECT CONNECTION_ID()',
  mssql: 'SELECT @@SPID',
  sqlite: null,
};

/** A table of orders per owner and the view docs/session-context.md suggests for each dialect. */
const SETUP: Record<DialectName, string[]> = {
  postgres: [
    'CREATE TABLE owned_orders (id integer PRIMARY KEY, owner varchar(50) NOT NULL, total integer NOT NULL)',
    "CREATE VIEW my_orders AS SELECT id, owner, total FROM owned_orders WHERE owner = current_setting('sqlgate.user', true)",
  ],
  mysql: [
    'CREATE TABLE owned_orders (id int PRIMARY KEY, owner varchar(50) NOT NULL, total int NOT NULL)',
    // A view cannot read a user variable itself; a stored function can.
    'CREATE FUNCTION sqlgate_user() RETURNS varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT DETERMINISTIC NO SQL RETURN @sqlgate_user',
    'CREATE SQL SECURITY DEFINER VIEW my_orders AS SELECT id, owner, total FROM owned_orders WHERE owner = sqlgate_user()',
  ],
  sqlite: [
    'CREATE TABLE owned_orders (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, total INTEGER NOT NULL)',
    'CREATE VIEW my_orders AS SELECT id, owner, total FROM owned_orders WHERE owner = sqlgate_user()',
  ],
  mssql: [
    'CREATE TABLE owned_orders (id int PRIMARY KEY, owner nvarchar(50) NOT NULL, total int NOT NULL)',
    "CREATE VIEW my_orders AS SELECT id, owner, total FROM owned_orders WHERE owner = CAST(SESSION_CONTEXT(N'user') AS nvarchar(50))",
  ],
};
const ORDERS = "INSERT INTO owned_orders (id, owner, total) VALUES (1, 'alice', 10), (2, 'bob', 20), (3, 'alice', 30)";

/** Statements that leave the values alone whatever they do (SQLite: SQL cannot define or replace a function). */
const WITHOUT_EFFECT: Record<DialectName, string[]> = {
  postgres: ['CREATE TABLE "sqlgate.user" (u text)'],
  mysql: ['CREATE TABLE sqlgate_user (u text)'],
  sqlite: ["SELECT sqlgate_user('bob')", 'CREATE TABLE sqlgate_user (u TEXT)', "CREATE VIEW sqlgate_roles AS SELECT 'write' AS r"],
  mssql: ['CREATE TABLE [user] (u nvarchar(10))'],
};

describe.each(TEST_DIALECTS)('session_context on %s', (dialect) => {
  let database: TestDatabase;
  let readOnly: Environment;
  let writable: Environment;
  let tools: Map<string, ToolDefinition>;

  const values = async (environment: Environment, identity?: Identity) =>
    (await execute(environment, READ_VALUES[dialect], identity))[0]!.map((v) => (v === '' ? null : v));
  const connectionId = async (environment: Environment, identity?: Identity) =>
    CONNECTION_ID[dialect] === null ? null : (await execute(environment, CONNECTION_ID[dialect]!, identity))[0]![0];

  beforeAll(async () => {
    database = await createTestDatabase(dialect, [...SETUP[dialect], ORDERS]);
    const common = { session_context: true, pool: { max: 1 } };
    readOnly = await openEnvironment('rls', database.url, {
      ...common,
      tools: { my_order_ids: { description: 'Ids of my orders', sql: 'SELECT id FROM my_orders ORDER BY id' } },
    });
    writable = await openEnvironment('rls_rw', database.url, { ...common, read_only: false, allow_ddl: true, destructive_statements: 'allow' });
    tools = new Map(toolsForEnvironment(readOnly).map((tool) => [tool.name, tool]));
  });
  afterAll(async () => {
    for (const environment of [readOnly, writable]) await environment?.dialect.close();
    await database?.drop();
  });

  it('passes user, role and client to each statement, and a reused connection forgets them between callers', async () => {
    const connection = await connectionId(readOnly, ALICE);
    expect(await values(readOnly, ALICE)).toEqual(['alice', 'read', 'claude-desktop']);
    expect(await values(readOnly, BOB)).toEqual(['bob', 'read', null]);
    expect(await values(readOnly)).toEqual(['anonymous', 'read', null]);
    // A session without context (catalog queries) on the same connection sees no caller.
    const bare = await runQuery(readOnly.dialect, { sql: READ_VALUES[dialect], params: [], readOnly: true, maxRows: 1, timeoutMs: 5_000, maxBinaryBytes: 0 });
    expect(bare.rows[0]!.map((v) => (v === '' ? null : v))).toEqual([null, null, null]);
    expect(await values(readOnly, ALICE)).toEqual(['alice', 'read', 'claude-desktop']);
    expect(await connectionId(readOnly, BOB)).toBe(connection);
  });

  it('names the role write for a caller who may write here, and for anyone where there is no sign-in', async () => {
    expect(await values(writable, caller('carol', { canWrite: true }))).toEqual(['carol', 'write', null]);
    expect(await values(writable, BOB)).toEqual(['bob', 'read', null]);
    expect(await values(writable)).toEqual(['anonymous', 'write', null]);
  });

  it('shows each caller their own rows through a view, in execute_sql, get_table_sample and a configured tool', async () => {
    expect(await execute(readOnly, 'SELECT id, owner FROM my_orders ORDER BY id', ALICE)).toEqual([[1, 'alice'], [3, 'alice']]);
    expect(await execute(readOnly, 'SELECT id, owner FROM my_orders ORDER BY id', BOB)).toEqual([[2, 'bob']]);
    expect(await execute(readOnly, 'SELECT id FROM my_orders')).toEqual([]);

    const sample = await getTableSampleTool.run(getTableSampleTool.inputSchema.parse({ table: 'my_orders' }), {
      environment: readOnly,
      signal: new AbortController().signal,
      identity: BOB,
    });
    expect((sample.structured as { rows: unknown[][] }).rows.map((row) => row[0])).toEqual([2]);

    const configured = tools.get('my_order_ids')!;
    const mine = await configured.run(configured.inputSchema.parse({}), { environment: readOnly, signal: new AbortController().signal, identity: ALICE });
    expect((mine.structured as { rows: unknown[][] }).rows).toEqual([[1], [3]]);
  });

  it(`refuses all ${SESSION_CONTEXT_ATTACKS[dialect].length} statements that would change the values, read-only and writable`, async () => {
    const gotThrough: string[] = [];
    for (const environment of [readOnly, writable]) {
      for (const query of SESSION_CONTEXT_ATTACKS[dialect]) {
        const error = await refusal(execute(environment, query, caller('alice', { canWrite: environment === writable })));
        if (!error || !GATE_REFUSALS.includes(error.code)) gotThrough.push(`${environment.name}: ${query} → ${error?.code ?? 'ran'}`);
      }
    }
    expect(gotThrough).toEqual([]);
    expect(await values(writable, ALICE)).toEqual(['alice', 'read', 'claude-desktop']);
  });

  it('keeps the values whatever a statement that runs does with their names', async () => {
    for (const query of WITHOUT_EFFECT[dialect]) {
      await refusal(execute(writable, query, caller('alice', { canWrite: true })));
      expect(await values(writable, ALICE), query).toEqual(['alice', 'read', 'claude-desktop']);
    }
  });

  it('refuses a caller whose name the database could not hold, before anything runs', async () => {
    const error = await refusal(execute(readOnly, READ_VALUES[dialect], caller('al\u0000ice')));
    expect(error?.code).toBe('SG_FORBIDDEN');
    expect(error?.message).toBe("The caller's user cannot be passed to the database: it holds a NUL character or is longer than 4000 characters.");
    expect((await refusal(execute(readOnly, READ_VALUES[dialect], caller('a'.repeat(4_001)))))?.code).toBe('SG_FORBIDDEN');
    expect(await values(readOnly, caller('a'.repeat(4_000))).then((v) => (v[0] as string).length)).toBe(4_000);
  });

  it('keeps any character of a name, quotes and backslashes included', async () => {
    const tricky = "o'brien\\'); --\u00e9\u{1F600}";
    expect(await values(readOnly, caller(tricky, { clientId: '"quoted"' }))).toEqual([tricky, 'read', '"quoted"']);
  });
});

describe('the statement gate on the session-context attacks', () => {
  // Also for SQL Server, whose real server is not always here: the gate alone, as every environment applies it.
  it.each(['postgres', 'mysql', 'mssql', 'sqlite'] as const)('refuses every one on %s', async (dialect) => {
    const rules = {
      postgres: () => createPostgresRules(),
      mysql: () => createMysqlRules({ flavor: 'mariadb' }),
      mssql: () => createMssqlRules(),
      sqlite: () => createSqliteRules(),
    }[dialect];
    const gate = await rules();
    const accepted = SESSION_CONTEXT_ATTACKS[dialect].filter((sql) => {
      try {
        gate.classify(sql, { allowedFunctions: [] });
        return true;
      } catch (err) {
        if (err instanceof SqlgateError && GATE_REFUSALS.includes(err.code)) return false;
        throw err;
      }
    });
    expect(accepted).toEqual([]);
    expect(gate.classify(READ_VALUES[dialect], { allowedFunctions: [] }).kind).toBe('read');
  });
});

describe('sessionContextFor', () => {
  const environment = (overrides: Record<string, unknown>): Environment =>
    ({ name: 'env', config: parseEnvironmentConfig('env', { database: 'sqlite:/tmp/none.db', ...overrides }, process.cwd()) }) as Environment;

  it('is off by default: nothing is passed', () => {
    expect(environment({}).config.sessionContext).toBe(false);
    expect(sessionContextFor(environment({}), ALICE)).toBeUndefined();
  });

  it("names the user, the caller's role in the environment and the OAuth client", () => {
    const on = environment({ session_context: true, read_only: false });
    expect(sessionContextFor(on, ALICE)).toEqual({ user: 'alice', roles: 'read', client: 'claude-desktop' });
    expect(sessionContextFor(on, caller('carol', { canWrite: true }))).toEqual({ user: 'carol', roles: 'write', client: null });
    expect(sessionContextFor(on, undefined)).toEqual({ user: 'anonymous', roles: 'write', client: null });
    expect(sessionContextFor(environment({ session_context: true }), undefined)).toEqual({ user: 'anonymous', roles: 'read', client: null });
  });
});

describe('row-level security on PostgreSQL, through execute_sql', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `sqlgate_rls_owner_${suffix}`;
  const reader = `sqlgate_rls_reader_${suffix}`;
  let database: TestDatabase;
  let orders: Environment;
  let ordersWritable: Environment;
  let withoutContext: Environment;
  let gateOff: Environment;

  const ids = async (environment: Environment, identity?: Identity) =>
    (await execute(environment, 'SELECT id, region FROM region_orders ORDER BY id', identity));

  beforeAll(async () => {
    await withPgClient(PG_ADMIN_URL, async (c) => {
      await c.query(`CREATE ROLE ${owner} NOLOGIN`);
      await c.query(`CREATE ROLE ${reader} LOGIN`);
    });
    database = await createTestDatabase('postgres', [
      'CREATE TABLE region_orders (id integer PRIMARY KEY, region text NOT NULL, total integer NOT NULL)',
      'CREATE TABLE user_regions (user_name text PRIMARY KEY, region text NOT NULL)',
      "INSERT INTO region_orders VALUES (1, 'north', 10), (2, 'south', 20), (3, 'north', 30), (4, 'east', 40)",
      "INSERT INTO user_regions VALUES ('alice', 'north'), ('bob', 'south')",
      `ALTER TABLE region_orders OWNER TO ${owner}`,
      `ALTER TABLE user_regions OWNER TO ${owner}`,
      'ALTER TABLE region_orders ENABLE ROW LEVEL SECURITY',
      "CREATE POLICY own_region ON region_orders USING (region = (SELECT region FROM user_regions WHERE user_name = current_setting('sqlgate.user', true)))",
      `GRANT SELECT, INSERT, UPDATE, DELETE ON region_orders TO ${reader}`,
      `GRANT SELECT ON user_regions TO ${reader}`,
    ]);
    const url = new URL(database.url);
    url.username = reader;
    const common = { pool: { max: 1 } };
    orders = await openEnvironment('orders', url.toString(), { ...common, session_context: true });
    ordersWritable = await openEnvironment('orders_rw', url.toString(), { ...common, session_context: true, read_only: false, destructive_statements: 'allow' });
    withoutContext = await openEnvironment('orders_plain', url.toString(), common);
    gateOff = await openEnvironment('orders_gate_off', url.toString(), { ...common, session_context: true }, GATE_SWITCHED_OFF_FOR_TESTS);
  });
  afterAll(async () => {
    for (const environment of [orders, ordersWritable, withoutContext, gateOff]) await environment?.dialect.close();
    await database?.drop();
    await withPgClient(PG_ADMIN_URL, async (c) => {
      await c.query(`DROP ROLE IF EXISTS ${reader}`);
      await c.query(`DROP ROLE IF EXISTS ${owner}`);
    });
  });

  it('is queried by a login the policy applies to: neither superuser nor owner, no BYPASSRLS', async () => {
    const [[isSuperuser, bypassesRls, ownsTable]] = (await execute(
      orders,
      "SELECT rolsuper, rolbypassrls, pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE relname = 'region_orders'), 'USAGE') FROM pg_roles WHERE rolname = current_user",
      ALICE,
    )) as [[boolean, boolean, boolean]];
    expect([isSuperuser, bypassesRls, ownsTable]).toEqual([false, false, false]);
  });

  it("shows alice her region's rows and bob his, one after the other on the same connection", async () => {
    expect(await ids(orders, ALICE)).toEqual([[1, 'north'], [3, 'north']]);
    expect(await ids(orders, BOB)).toEqual([[2, 'south']]);
    expect(await ids(orders, ALICE)).toEqual([[1, 'north'], [3, 'north']]);
    expect(await ids(orders)).toEqual([]);
    const sample = await getTableSampleTool.run(getTableSampleTool.inputSchema.parse({ table: 'region_orders' }), {
      environment: orders,
      signal: new AbortController().signal,
      identity: BOB,
    });
    expect((sample.structured as { rows: unknown[][] }).rows.map((row) => row[0])).toEqual([2]);
  });

  it('applies the policy to writes too: a caller changes only rows of their region', async () => {
    const writer = caller('bob', { canWrite: true });
    const output = await executeSqlTool.run(executeSqlTool.inputSchema.parse({ query: 'UPDATE region_orders SET total = total + 1 WHERE id > 0' }), {
      environment: ordersWritable,
      signal: new AbortController().signal,
      identity: writer,
    });
    expect(output.structured.rows_affected).toBe(1);
    expect(await ids(ordersWritable, ALICE)).toEqual([[1, 'north'], [3, 'north']]);
  });

  it('shows nothing without session_context: the policy fails closed', async () => {
    expect(await ids(withoutContext, ALICE)).toEqual([]);
  });

  it("refuses every statement that would change the values, and alice still sees only her region's rows", async () => {
    const gotThrough: string[] = [];
    for (const [environment, identity] of [[orders, ALICE], [ordersWritable, caller('alice', { canWrite: true })]] as const) {
      for (const query of SESSION_CONTEXT_ATTACKS.postgres) {
        const error = await refusal(execute(environment, query, identity));
        if (!error || !GATE_REFUSALS.includes(error.code)) gotThrough.push(`${environment.name}: ${query} → ${error?.code ?? 'ran'}`);
      }
    }
    expect(gotThrough).toEqual([]);
    expect(await ids(ordersWritable, ALICE)).toEqual([[1, 'north'], [3, 'north']]);
  });

  it('relies on the statement gate for it: PostgreSQL itself lets a statement change its own setting', async () => {
    // The gate switched off (tests only): set_config would take effect for the rest of the statement.
    const [[changed]] = (await execute(gateOff, "SELECT set_config('sqlgate.user', 'bob', true)", ALICE)) as [[string]];
    expect(changed).toBe('bob');
    // Transaction-local all the same: the next call is alice's again.
    expect(await ids(orders, ALICE)).toEqual([[1, 'north'], [3, 'north']]);
  });
});
