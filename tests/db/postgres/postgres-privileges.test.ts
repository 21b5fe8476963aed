/**
 * PostgreSQL privilege check against a real server: a superuser, a role set up exactly as docs/dialects/postgres.md's
 * least-privilege section says, and roles that each hold one thing too many. Every role is dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivilegeReport } from '../../../src/db/dialect.js';
import { postgresPrivilegeReport } from '../../../src/db/postgres/postgres-privileges.js';
import { createTestDatabase, openEnvironment, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
const roles: string[] = [];

const admin = (sql: string) => withPgClient(database.url, (c) => c.query(sql));

/** A new login role (trust auth here, so the password is only there because the docs set one). */
async function createRole(grants: (role: string) => string[]): Promise<string> {
  const role = `sqlgate_r_${randomBytes(4).toString('hex')}`;
  roles.push(role);
  await admin(`CREATE ROLE ${role} LOGIN PASSWORD 'change-me'`);
  for (const statement of grants(role)) await admin(statement);
  return role;
}

async function reportFor(role: string | null): Promise<PrivilegeReport> {
  const url = new URL(database.url);
  if (role !== null) url.username = role;
  const environment = await openEnvironment('privileges', url.toString());
  try {
    return await environment.dialect.privileges();
  } finally {
    await environment.dialect.close();
  }
}

/** The docs' least-privilege setup, word for word but for the names (no app_owner here: postgres owns the tables). */
const leastPrivilege = (role: string) => [
  `GRANT CONNECT ON DATABASE ${database.name} TO ${role}`,
  `GRANT USAGE ON SCHEMA public TO ${role}`,
  `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`,
  `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO ${role}`,
  'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
  `ALTER ROLE ${role} SET default_transaction_read_only = on`,
  `ALTER ROLE ${role} SET statement_timeout = '60s'`,
  `ALTER ROLE ${role} CONNECTION LIMIT 10`,
];

beforeAll(async () => {
  database = await createTestDatabase('postgres', [
    'CREATE TABLE orders (id int PRIMARY KEY, total numeric(12,2))',
    'CREATE TABLE customers (id int PRIMARY KEY, name text)',
    'CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100',
  ]);
});

afterAll(async () => {
  await database?.drop();
  // Roles are cluster-wide; default privileges and grants died with the database.
  await withPgClient(PG_ADMIN_URL, async (c) => {
    for (const role of roles) await c.query(`DROP ROLE IF EXISTS ${role}`);
  });
});

const dangers = (report: PrivilegeReport) => report.findings.filter((f) => f.severity === 'danger').map((f) => f.message);
const EXPECTED = '; expected: the environment is writable.';

describe('PostgreSQL privileges', () => {
  it('a superuser is a danger: it can write and reach server files', async () => {
    const report = await reportFor(null);
    expect(report.login).toBe('postgres');
    expect(report.canWrite).toBe(true);
    expect(report.canReachServerFiles).toBe(true);
    expect(dangers(report)).toEqual([expect.stringContaining('role postgres is a superuser')]);
    expect(dangers(report)[0]).toContain('docs/dialects/postgres.md#least-privilege-login');
    // Writable or not, a superuser reaches server files: still a warning, with a fix that keeps it writable.
    expect(report.findingsWhenWritable).toEqual([{ severity: 'warning', message: expect.stringContaining('role postgres is a superuser') }]);
    expect(report.findingsWhenWritable[0]!.message).toContain('a role that is not a superuser and holds only the write privileges it needs');
    expect(report.findingsWhenWritable[0]!.message).not.toContain('SELECT only');
  });

  it('the role of the docs\' least-privilege section has no danger and no warning', async () => {
    const role = await createRole(leastPrivilege);
    const report = await reportFor(role);
    expect(report).toEqual({
      login: role,
      canWrite: false,
      canReachServerFiles: false,
      findings: [{ severity: 'ok', message: expect.stringContaining(`role ${role} cannot write or reach server files`) }],
      findingsWhenWritable: [{ severity: 'ok', message: expect.stringContaining(`role ${role} cannot write or reach server files`) }],
    });
  });

  it('INSERT on one table is enough to write, and the table is named', async () => {
    const role = await createRole((r) => [...leastPrivilege(r), `GRANT INSERT ON orders TO ${r}`]);
    const report = await reportFor(role);
    expect(report.canWrite).toBe(true);
    expect(report.canReachServerFiles).toBe(false);
    expect(dangers(report)).toEqual([expect.stringMatching(/may INSERT, UPDATE, DELETE or TRUNCATE 1 table \(public\.orders\): it can change their data; revoke those privileges/)]);
    // In a writable environment that is the point: information, without the advice to revoke.
    expect(report.findingsWhenWritable).toEqual([
      { severity: 'info', message: `role ${role} may INSERT, UPDATE, DELETE or TRUNCATE 1 table (public.orders): it can change their data${EXPECTED}` },
    ]);
  });

  it('membership in pg_read_server_files reaches server files, also through another role', async () => {
    const group = await createRole(() => []);
    await admin(`GRANT pg_read_server_files TO ${group}`);
    const role = await createRole((r) => [...leastPrivilege(r), `GRANT ${group} TO ${r}`]);
    const report = await reportFor(role);
    expect(report.canReachServerFiles).toBe(true);
    expect(report.canWrite).toBe(false);
    expect(dangers(report)).toEqual([expect.stringContaining(`is a member of pg_read_server_files`)]);
    expect(report.findingsWhenWritable).toEqual([{ severity: 'warning', message: expect.stringContaining(`REVOKE pg_read_server_files FROM ${role}`) }]);
  });

  it('pg_write_all_data writes everything', async () => {
    const role = await createRole((r) => [...leastPrivilege(r), `GRANT pg_write_all_data TO ${r}`]);
    const report = await reportFor(role);
    expect(report.canWrite).toBe(true);
    expect(dangers(report)).toContainEqual(expect.stringContaining('pg_write_all_data'));
  });

  it('an owner can write its tables, even with its own privileges revoked', async () => {
    const role = await createRole((r) => [...leastPrivilege(r), `ALTER TABLE customers OWNER TO ${r}`, `REVOKE ALL ON customers FROM ${r}`]);
    const report = await reportFor(role);
    expect(report.canWrite).toBe(true);
    expect(dangers(report)).toEqual([expect.stringContaining('owns 1 table (public.customers)')]);
    expect(report.findingsWhenWritable).toEqual([{ severity: 'info', message: expect.stringMatching(/owns 1 table \(public\.customers\) .*change their data and schema.*; expected: the environment is writable\.$/) }]);
  });

  it('CREATE on a schema or on the database is a way to write', async () => {
    const role = await createRole((r) => [...leastPrivilege(r), `GRANT CREATE ON SCHEMA public TO ${r}`, `GRANT CREATE ON DATABASE ${database.name} TO ${r}`]);
    const report = await reportFor(role);
    expect(report.canWrite).toBe(true);
    expect(dangers(report)).toEqual([
      expect.stringContaining('may create objects in schema public'),
      expect.stringContaining(`may create schemas in database ${database.name}`),
    ]);
    expect(report.findingsWhenWritable.map((f) => [f.severity, f.message.endsWith(`: it can change the schema${EXPECTED}`)])).toEqual([['info', true], ['info', true]]);
  });

  it('CREATEDB, REPLICATION and BYPASSRLS are warnings; the login can still neither write nor reach files', async () => {
    const role = await createRole((r) => [...leastPrivilege(r), `ALTER ROLE ${r} CREATEDB REPLICATION BYPASSRLS`]);
    const report = await reportFor(role);
    expect(report.canWrite).toBe(false);
    expect(report.canReachServerFiles).toBe(false);
    expect(report.findings.map((f) => f.severity)).toEqual(['warning', 'warning', 'warning', 'ok']);
    expect(report.findings.map((f) => f.message).join('\n')).toMatch(/CREATEDB[\s\S]*REPLICATION[\s\S]*BYPASSRLS/);
    // Powers beyond writing are not expected in a writable environment either.
    expect(report.findingsWhenWritable).toEqual(report.findings);
  });
});

describe('PostgreSQL privilege report shaping', () => {
  const clean = {
    login: 'reader', database: 'sales', is_superuser: false, can_create_roles: false, can_create_databases: false,
    can_replicate: false, bypasses_rls: false, server_version: 150_004, can_create_schemas: false, server_roles: [],
    creatable_schemas: [], writable_count: 0n, writable_examples: [], owned_count: 0n, owned_examples: [],
  };

  it('CREATEROLE before PostgreSQL 16 is as good as any predefined role; from 16 on a warning', () => {
    const old = postgresPrivilegeReport({ ...clean, can_create_roles: true });
    expect(old.canWrite && old.canReachServerFiles).toBe(true);
    expect(old.findings[0]).toMatchObject({ severity: 'danger', message: expect.stringContaining('CREATEROLE') });
    const current = postgresPrivilegeReport({ ...clean, can_create_roles: true, server_version: 160_002 });
    expect(current.canWrite || current.canReachServerFiles).toBe(false);
    expect(current.findings[0]).toMatchObject({ severity: 'warning', message: expect.stringContaining('CREATEROLE') });
  });

  it('names three writable tables and counts the rest', () => {
    const report = postgresPrivilegeReport({ ...clean, writable_count: 5n, writable_examples: ['public.a', 'public.b', 'public.c'] });
    expect(report.findings[0]!.message).toContain('5 tables (public.a, public.b, public.c and 2 more)');
  });
});
