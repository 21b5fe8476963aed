/**
 * SQL Server privilege check. The row → report shaping, and what the query must say, run everywhere; the query
 * itself runs against a real server when SQLGATE_TEST_MSSQL_URL names one (an admin login: it creates databases and
 * logins, and drops them).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivilegeReport } from '../../../src/db/dialect.js';
import { FLAGS_THAT_SKIP_OBJECTS, MSSQL_PRIVILEGES_SQL, PRIVILEGE_FLAGS, mssqlPrivilegeReport } from '../../../src/db/mssql/mssql-privileges.js';
import { createTestDatabase, MSSQL_ADMIN_URL, openEnvironment, withMssql, type TestDatabase } from '../../support/test-databases.js';

/** A row of MSSQL_PRIVILEGES_SQL for a login set up as docs/dialects/mssql.md says. */
const READER = {
  login_name: 'sqlgate_reader', user_name: 'sqlgate_reader', database_name: 'Sales',
  is_sysadmin: 0, is_bulkadmin: 0, has_control_server: 0, has_bulk_operations: 0,
  is_db_owner: 0, is_db_datawriter: 0, is_db_ddladmin: 0,
  db_control: 0, db_alter: 0, db_insert: 0, db_update: 0, db_delete: 0,
  writable_count: 0, writable_1: null, writable_2: null, writable_3: null,
};

const severities = (report: PrivilegeReport) => report.findings.map((f) => f.severity);

describe('SQL Server privilege report shaping', () => {
  it('a db_datareader login with the docs\' DENYs is clean', () => {
    expect(mssqlPrivilegeReport(READER)).toEqual({
      login: 'sqlgate_reader',
      canWrite: false,
      canReachServerFiles: false,
      findings: [{ severity: 'ok', message: expect.stringContaining('login sqlgate_reader cannot write or reach server files') }],
      findingsWhenWritable: [{ severity: 'ok', message: expect.stringContaining('login sqlgate_reader cannot write or reach server files') }],
    });
  });

  it('sysadmin is one danger that says it all, whatever else is set', () => {
    const report = mssqlPrivilegeReport({ ...READER, login_name: 'sa', user_name: 'dbo', is_sysadmin: 1, is_db_owner: 1, db_insert: 1, has_control_server: 1 });
    expect(report.login).toBe('sa (database user dbo)');
    expect(report.canWrite && report.canReachServerFiles).toBe(true);
    expect(report.findings).toEqual([{ severity: 'danger', message: expect.stringContaining('is a member of sysadmin') }]);
    expect(report.findings[0]!.message).toContain('docs/dialects/mssql.md#least-privilege-login');
    expect(report.findingsWhenWritable).toEqual([{ severity: 'warning', message: expect.stringContaining('only in db_datareader and db_datawriter') }]);
  });

  it('CONTROL SERVER without sysadmin is the same danger', () => {
    const report = mssqlPrivilegeReport({ ...READER, has_control_server: 1 });
    expect(report.findings).toEqual([{ severity: 'danger', message: expect.stringContaining('has CONTROL SERVER') }]);
  });

  it('bulk operations reach server files without writing', () => {
    const report = mssqlPrivilegeReport({ ...READER, has_bulk_operations: 1, is_bulkadmin: 1 });
    expect(report.canReachServerFiles).toBe(true);
    expect(report.canWrite).toBe(false);
    expect(report.findings).toEqual([{ severity: 'danger', message: expect.stringContaining('OPENROWSET(BULK') }]);
    expect(report.findingsWhenWritable).toEqual([{ severity: 'warning', message: expect.stringContaining('OPENROWSET(BULK') }]);
  });

  it('writer, owner and DDL roles each write, and the database permissions they imply are not repeated', () => {
    const report = mssqlPrivilegeReport({ ...READER, is_db_owner: 1, is_db_datawriter: 1, db_control: 1, db_insert: 1, writable_count: 7 });
    expect(report.canWrite).toBe(true);
    expect(report.canReachServerFiles).toBe(false);
    expect(report.findings.map((f) => f.message)).toEqual([
      expect.stringContaining('member of db_owner in Sales'),
      expect.stringContaining('member of db_datawriter in Sales'),
    ]);
  });

  it('a granted database permission writes', () => {
    const report = mssqlPrivilegeReport({ ...READER, db_insert: 1, db_update: 1 });
    expect(report.canWrite).toBe(true);
    expect(report.findings).toEqual([{ severity: 'danger', message: expect.stringContaining('holds INSERT, UPDATE on database Sales: it can change data;') }]);
    expect(report.findingsWhenWritable).toEqual([{ severity: 'info', message: expect.stringMatching(/holds INSERT, UPDATE on database Sales: it can change data; expected: the environment is writable\.$/) }]);
  });

  it('says what the database permissions change: data, the schema, or both', () => {
    const changes = (row: Record<string, unknown>) => mssqlPrivilegeReport({ ...READER, ...row }).findings[0]!.message.match(/: it can change ([^;]+);/)?.[1];
    expect(changes({ db_alter: 1 })).toBe('the schema');
    expect(changes({ db_delete: 1 })).toBe('data');
    expect(changes({ db_alter: 1, db_insert: 1 })).toBe('data and schema');
    expect(changes({ db_control: 1 })).toBe('data and schema');
  });

  it('INSERT on single tables writes, naming a few', () => {
    const report = mssqlPrivilegeReport({ ...READER, writable_count: 4, writable_1: '[dbo].[a]', writable_2: '[dbo].[b]', writable_3: '[sales].[c]' });
    expect(severities(report)).toEqual(['danger']);
    expect(report.findings[0]!.message).toContain('4 tables or views ([dbo].[a], [dbo].[b], [sales].[c] and 1 more)');
  });

  it('reads bit values as tedious returns them (booleans) too', () => {
    const report = mssqlPrivilegeReport({ ...READER, is_db_datawriter: true });
    expect(report.canWrite).toBe(true);
  });
});

describe('SQL Server privilege query', () => {
  it('is one statement answering every column the report reads', () => {
    expect(MSSQL_PRIVILEGES_SQL).not.toContain(';');
    for (const column of Object.keys(READER)) expect(MSSQL_PRIVILEGES_SQL).toMatch(new RegExp(`AS ${column}\\b`));
  });

  it('checks the user objects in one pass: three HAS_PERMS_BY_NAME per object, numbered once, no OFFSET', () => {
    expect(MSSQL_PRIVILEGES_SQL.match(/FROM sys\.objects/g)).toHaveLength(1);
    expect(MSSQL_PRIVILEGES_SQL.match(/'OBJECT'/g)).toHaveLength(3);
    expect(MSSQL_PRIVILEGES_SQL).not.toMatch(/OFFSET|FETCH/);
    expect(MSSQL_PRIVILEGES_SQL).toContain('ROW_NUMBER() OVER (ORDER BY SCHEMA_NAME(o.schema_id), o.name) AS rn');
    expect(MSSQL_PRIVILEGES_SQL).toContain('SELECT COUNT(*) AS writable_count');
    for (const n of [1, 2, 3]) expect(MSSQL_PRIVILEGES_SQL).toContain(`MAX(CASE WHEN ranked.rn = ${n} THEN ranked.qualified_name END) AS writable_${n}`);
    // Each server and database function is called once, in `f`, and never again per object.
    for (const sql of Object.values(PRIVILEGE_FLAGS)) expect(MSSQL_PRIVILEGES_SQL.split(sql)).toHaveLength(2);
  });

  it('skips the object scan on exactly the flags after which the report passes over writable objects', () => {
    expect(MSSQL_PRIVILEGES_SQL).toMatch(/FROM sys\.objects o\s+WHERE COALESCE\(f\.is_sysadmin, 0\) <> 1\s+AND/);
    const gate = [...MSSQL_PRIVILEGES_SQL.matchAll(/COALESCE\(f\.(\w+), 0\) <> 1/g)].map((m) => m[1]);
    expect(gate).toEqual([...FLAGS_THAT_SKIP_OBJECTS]);
    for (const flag of Object.keys(PRIVILEGE_FLAGS)) {
      const report = mssqlPrivilegeReport({ ...READER, [flag]: 1, writable_count: 2, writable_1: '[dbo].[a]', writable_2: '[dbo].[b]' });
      const namesObjects = report.findings.some((f) => f.message.includes('may INSERT, UPDATE or DELETE 2 tables or views'));
      expect({ flag, namesObjects }).toEqual({ flag, namesObjects: !FLAGS_THAT_SKIP_OBJECTS.includes(flag) });
    }
  });
});

describe.skipIf(!MSSQL_ADMIN_URL)('SQL Server privileges against a real server', () => {
  let database: TestDatabase;
  const logins: string[] = [];

  async function createLogin(setup: (user: string) => string): Promise<string> {
    const login = `sqlgate_p_${randomBytes(4).toString('hex')}`;
    const password = `Pv-${randomBytes(12).toString('base64url')}1a!`;
    logins.push(login);
    await withMssql(MSSQL_ADMIN_URL!, (pool) => pool.request().batch(`CREATE LOGIN [${login}] WITH PASSWORD = '${password}', CHECK_POLICY = OFF`));
    await withMssql(database.url, (pool) => pool.request().batch(`CREATE USER [${login}] FOR LOGIN [${login}]; ${setup(login)}`));
    const url = new URL(database.url);
    url.username = login;
    url.password = password;
    return url.toString();
  }

  async function reportFor(url: string): Promise<PrivilegeReport> {
    const environment = await openEnvironment('privileges', url);
    try {
      return await environment.dialect.privileges();
    } finally {
      await environment.dialect.close();
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase('mssql', ['CREATE TABLE dbo.orders (id int PRIMARY KEY)', 'CREATE TABLE dbo.customers (id int PRIMARY KEY)']);
  });
  afterAll(async () => {
    await database?.drop();
    for (const login of logins) await withMssql(MSSQL_ADMIN_URL!, (pool) => pool.request().batch(`IF SUSER_ID('${login}') IS NOT NULL DROP LOGIN [${login}]`));
  });

  it('the admin login is a danger', async () => {
    const report = await reportFor(database.url);
    expect(report.canWrite).toBe(true);
    expect(severities(report)).toContain('danger');
  });

  it('a login set up as the docs say is clean', async () => {
    const url = await createLogin((user) => `ALTER ROLE db_datareader ADD MEMBER [${user}];
      DENY INSERT, UPDATE, DELETE, EXECUTE, ALTER TO [${user}];
      DENY CREATE TABLE, CREATE VIEW, CREATE PROCEDURE, CREATE FUNCTION, CREATE SCHEMA TO [${user}];`);
    const report = await reportFor(url);
    expect(report.canWrite).toBe(false);
    expect(report.canReachServerFiles).toBe(false);
    expect(severities(report)).toEqual(['ok']);
  });

  it('db_datawriter writes', async () => {
    const url = await createLogin((user) => `ALTER ROLE db_datareader ADD MEMBER [${user}]; ALTER ROLE db_datawriter ADD MEMBER [${user}];`);
    const report = await reportFor(url);
    expect(report.canWrite).toBe(true);
    expect(report.findings[0]!.message).toContain('db_datawriter');
  });

  it('INSERT on one table writes and names it', async () => {
    const url = await createLogin((user) => `ALTER ROLE db_datareader ADD MEMBER [${user}]; GRANT INSERT ON dbo.orders TO [${user}];`);
    const report = await reportFor(url);
    expect(report.canWrite).toBe(true);
    expect(report.findings[0]!.message).toContain('1 table or view ([dbo].[orders])');
  });
});
