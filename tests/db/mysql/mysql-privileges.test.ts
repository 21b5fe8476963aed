/**
 * MySQL/MariaDB privilege check against a real server: root, a user set up as docs/dialects/mysql.md's least-privilege
 * section says, and users that each hold one thing too many, directly or through a role. Every user and role is
 * dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivilegeReport } from '../../../src/db/dialect.js';
import { parseMysqlGrant } from '../../../src/db/mysql/mysql-grants.js';
import { mysqlPrivilegeReport } from '../../../src/db/mysql/mysql-privileges.js';
import { createTestDatabase, MYSQL_ADMIN_URL, openEnvironment, withMysql, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
const accounts: string[] = [];

const admin = (sql: string) => withMysql(MYSQL_ADMIN_URL, (c) => c.query(sql));

interface TestUser {
  readonly name: string;
  readonly password: string;
}

/** A new user with a password, as the docs create it (host '%': the tests connect over 127.0.0.1). */
async function createUser(grants: (account: string) => string[]): Promise<TestUser> {
  const name = `sqlgate_u_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const account = `'${name}'@'%'`;
  accounts.push(`USER ${account}`);
  await admin(`CREATE USER ${account} IDENTIFIED BY '${password}'`);
  for (const statement of grants(account)) await admin(statement);
  return { name, password };
}

async function createRole(grants: (role: string) => string[]): Promise<string> {
  const role = `sqlgate_role_${randomBytes(4).toString('hex')}`;
  accounts.push(`ROLE ${role}`);
  await admin(`CREATE ROLE ${role}`);
  for (const statement of grants(role)) await admin(statement);
  return role;
}

/** The docs' setup: SELECT on the one database, nothing else. */
const selectOnly = (account: string) => [`GRANT SELECT ON ${database.name}.* TO ${account}`];

async function reportFor(user: TestUser | null): Promise<PrivilegeReport> {
  const url = new URL(database.url);
  if (user !== null) {
    url.username = user.name;
    url.password = user.password;
  }
  const environment = await openEnvironment('privileges', url.toString());
  try {
    return await environment.dialect.privileges();
  } finally {
    await environment.dialect.close();
  }
}

beforeAll(async () => {
  database = await createTestDatabase('mysql', [
    'CREATE TABLE orders (id int PRIMARY KEY, total decimal(12,2))',
    'CREATE TABLE customers (id int PRIMARY KEY, name varchar(100))',
  ]);
});

afterAll(async () => {
  for (const account of accounts) await admin(`DROP ${account.replace(/^(USER|ROLE) /, '$1 IF EXISTS ')}`);
  await database?.drop();
});

const dangers = (report: PrivilegeReport) => report.findings.filter((f) => f.severity === 'danger').map((f) => f.message);
const EXPECTED = '; expected: the environment is writable.';

describe('MySQL/MariaDB privileges', () => {
  it('root has ALL PRIVILEGES on *.*: a danger that writes and reaches server files', async () => {
    const report = await reportFor(null);
    expect(report.login).toMatch(/^root@/);
    expect(report.canWrite).toBe(true);
    expect(report.canReachServerFiles).toBe(true);
    expect(dangers(report)).toContainEqual(expect.stringContaining('has ALL PRIVILEGES on *.*'));
    expect(dangers(report)[0]).toContain('(FILE)');
    expect(dangers(report)[0]).toContain('docs/dialects/mysql.md#least-privilege-login');
    // FILE is not needed to write: root stays a warning in a writable environment, with a fix that keeps it writable.
    const onStar = report.findingsWhenWritable.find((f) => f.message.includes('has ALL PRIVILEGES on *.*'));
    expect(onStar).toEqual({ severity: 'warning', message: expect.stringContaining('grant only the privileges it needs, on its own database') });
    expect(report.findingsWhenWritable.map((f) => f.severity)).not.toContain('danger');
  });

  it('a SELECT-only user made as the docs say is clean, and no password hash leaks', async () => {
    const user = await createUser(selectOnly);
    const report = await reportFor(user);
    expect(report).toEqual({
      login: `${user.name}@%`,
      canWrite: false,
      canReachServerFiles: false,
      findings: [{ severity: 'ok', message: expect.stringContaining('cannot write or reach server files') }],
      findingsWhenWritable: [{ severity: 'ok', message: expect.stringContaining('cannot write or reach server files') }],
    });
  });

  it('FILE reaches server files', async () => {
    const user = await createUser((a) => [...selectOnly(a), `GRANT FILE ON *.* TO ${a}`]);
    const report = await reportFor(user);
    expect(report.canReachServerFiles).toBe(true);
    expect(report.canWrite).toBe(false);
    expect(dangers(report)).toEqual([expect.stringContaining(`REVOKE FILE ON *.* FROM ${user.name}@%`)]);
    expect(JSON.stringify(report)).not.toMatch(/IDENTIFIED|PASSWORD|\*[0-9A-F]{40}/);
  });

  it('INSERT on one table writes, and names the table', async () => {
    const user = await createUser((a) => [...selectOnly(a), `GRANT INSERT, UPDATE ON ${database.name}.orders TO ${a}`]);
    const report = await reportFor(user);
    expect(report.canWrite).toBe(true);
    expect(dangers(report)).toEqual([expect.stringContaining(`may INSERT, UPDATE on ${database.name}.orders: it can change data; revoke them`)]);
    expect(report.findingsWhenWritable).toEqual([
      { severity: 'info', message: `user ${user.name}@% may INSERT, UPDATE on ${database.name}.orders: it can change data${EXPECTED}` },
    ]);
  });

  it('CREATE and ALTER without a data privilege change the schema only, and the finding says so', async () => {
    const user = await createUser((a) => [...selectOnly(a), `GRANT CREATE, ALTER ON ${database.name}.* TO ${a}`]);
    const report = await reportFor(user);
    expect(report.canWrite).toBe(true);
    expect(dangers(report)).toEqual([expect.stringContaining(`may CREATE, ALTER on ${database.name}.*: it can change the schema;`)]);
  });

  it('a role that is granted but not active still counts, with its nested roles; the role is not left switched on', async () => {
    const inner = await createRole((r) => [`GRANT DELETE ON ${database.name}.* TO ${r}`]);
    const outer = await createRole((r) => [`GRANT FILE ON *.* TO ${r}`, `GRANT ${inner} TO ${r}`]);
    const user = await createUser((a) => [...selectOnly(a), `GRANT ${outer} TO ${a}`]);
    const url = new URL(database.url);
    url.username = user.name;
    url.password = user.password;
    const environment = await openEnvironment('roles', url.toString(), { pool: { max: 1 } });
    try {
      const report = await environment.dialect.privileges();
      expect(report.canWrite && report.canReachServerFiles).toBe(true);
      expect(dangers(report)).toEqual([
        expect.stringContaining(`(through role ${outer}) has FILE`),
        expect.stringContaining(`(through role ${inner}) may DELETE on ${database.name}.*`),
      ]);
      expect(report.findingsWhenWritable).toEqual([
        { severity: 'warning', message: expect.stringContaining(`(through role ${outer}) has FILE`) },
        { severity: 'info', message: expect.stringContaining(`(through role ${inner}) may DELETE on ${database.name}.*: it can change data${EXPECTED}`) },
      ]);
      // The one pooled connection ran SET ROLE; the next session on it must not have the role on.
      const session = await environment.dialect.session({ readOnly: true, timeoutMs: 5_000 });
      const cursor = session.execute('SELECT CURRENT_ROLE()', []);
      const batch = await cursor.read(1);
      await cursor.close();
      await session.finish('rollback');
      expect(batch.rows[0]![0]).toBeNull();
    } finally {
      await environment.dialect.close();
    }
  });

  it('PROCESS and SHUTDOWN are warnings: the login can still neither write nor reach files', async () => {
    const user = await createUser((a) => [...selectOnly(a), `GRANT PROCESS, SHUTDOWN ON *.* TO ${a}`]);
    const report = await reportFor(user);
    expect(report.canWrite || report.canReachServerFiles).toBe(false);
    expect(report.findings.map((f) => f.severity)).toEqual(['warning', 'warning', 'ok']);
    expect(report.findings.slice(0, 2).map((f) => f.message.match(/has (\w+):/)?.[1]).sort()).toEqual(['PROCESS', 'SHUTDOWN']);
  });
});

describe('SHOW GRANTS lines', () => {
  it('reads privileges, column lists, objects and grantees, and never the password', () => {
    expect(parseMysqlGrant("GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*2B602296A79E0A8784ACC5C88D92E46588CCA3C3'")).toEqual({
      kind: 'privileges', privileges: ['USAGE'], object: '*.*', scope: 'global', grantee: 'u@%', isGrantable: false,
    });
    expect(parseMysqlGrant('GRANT SELECT (`a`, `b`), INSERT (`c`) ON `shop`.`orders` TO `u`@`10.0.0.%` WITH GRANT OPTION')).toEqual({
      kind: 'privileges', privileges: ['SELECT', 'INSERT'], object: 'shop.orders', scope: 'table', grantee: 'u@10.0.0.%', isGrantable: true,
    });
    expect(parseMysqlGrant('GRANT `reporting`,`audit` TO `u`@`%` WITH ADMIN OPTION')).toEqual({ kind: 'roles', roles: ['reporting', 'audit'], grantee: 'u@%' });
    expect(parseMysqlGrant('GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `u`@`%`')).toMatchObject({ scope: 'routine' });
    expect(parseMysqlGrant('SET DEFAULT ROLE `r` FOR `u`@`%`')).toBeNull();
  });

  it('a name with a space, a comma or " ON " in backticks does not split the line', () => {
    expect(parseMysqlGrant('GRANT DELETE ON `my db`.`a, b ON c` TO `u`@`%`')).toMatchObject({ privileges: ['DELETE'], object: 'my db.a, b ON c' });
  });

  it('a grant to PUBLIC (MariaDB 10.11 lists it in the account\'s SHOW GRANTS) counts for the account', () => {
    const report = mysqlPrivilegeReport('u@%', ['GRANT USAGE ON *.* TO `u`@`%`', 'GRANT INSERT ON `shop`.`t` TO PUBLIC']);
    expect(report.canWrite).toBe(true);
    expect(report.findings[0]!.message).toContain('user u@% (through role PUBLIC) may INSERT on shop.t');
  });

  it('says what the write privileges change: data, the schema, or both', () => {
    const changes = (privileges: string) =>
      mysqlPrivilegeReport('u@%', [`GRANT ${privileges} ON \`shop\`.* TO \`u\`@\`%\``]).findings[0]!.message.match(/: it can change ([^;]+);/)?.[1];
    expect(changes('SELECT, INSERT, UPDATE, DELETE')).toBe('data');
    expect(changes('CREATE, ALTER, INDEX, CREATE VIEW')).toBe('the schema');
    expect(changes('INSERT, CREATE')).toBe('data and schema');
    // DROP drops tables with their rows, and TRUNCATE TABLE needs it.
    expect(changes('DROP')).toBe('data and schema');
  });

  it('a MySQL 8 dynamic privilege is an administrative warning', () => {
    const report = mysqlPrivilegeReport('u@%', ['GRANT SELECT ON `shop`.* TO `u`@`%`', 'GRANT SYSTEM_VARIABLES_ADMIN ON *.* TO `u`@`%`']);
    expect(report.canWrite || report.canReachServerFiles).toBe(false);
    expect(report.findings[0]).toMatchObject({ severity: 'warning', message: expect.stringContaining('SYSTEM_VARIABLES_ADMIN: an administrative privilege') });
  });
});
