/**
 * `sqlgate doctor` as a user runs it, in-process: real PostgreSQL with a superuser login and a least-privilege role
 * (made as docs/dialects/postgres.md says), the exit code, the text a person reads and the JSON a machine reads.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EXIT_CONFIG } from '../../src/cli/exit.js';
import { runCli } from '../../src/cli/run-cli.js';
import { createTestDatabase, MYSQL_ADMIN_URL, PG_ADMIN_URL, withMysql, withPgClient, type TestDatabase } from '../support/test-databases.js';

let database: TestDatabase;
let readerUrl: string;
let writerUrl: string;
let dir: string;
const role = `sqlgate_doc_${randomBytes(4).toString('hex')}`;
/** Reads, and may INSERT, UPDATE, DELETE on orders: what a writable environment needs, and nothing more. */
const writerRole = `sqlgate_docw_${randomBytes(4).toString('hex')}`;

function urlAs(user: string, password?: string): string {
  const url = new URL(database.url);
  url.username = user;
  if (password !== undefined) url.password = password;
  return url.toString();
}

beforeAll(async () => {
  database = await createTestDatabase('postgres', ['CREATE TABLE orders (id int PRIMARY KEY)']);
  await withPgClient(database.url, async (c) => {
    for (const login of [role, writerRole]) {
      await c.query(`CREATE ROLE ${login} LOGIN PASSWORD 'change-me'`);
      await c.query(`GRANT CONNECT ON DATABASE ${database.name} TO ${login}`);
      await c.query(`GRANT USAGE ON SCHEMA public TO ${login}`);
      await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${login}`);
    }
    await c.query(`GRANT INSERT, UPDATE, DELETE ON orders TO ${writerRole}`);
    // PostgreSQL 15 no longer grants CREATE on public to PUBLIC; say so for older servers too.
    await c.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  });
  readerUrl = urlAs(role, 'change-me');
  writerUrl = urlAs(writerRole, 'change-me');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-doctor-'));
});

afterAll(async () => {
  await database?.drop();
  await withPgClient(PG_ADMIN_URL, async (c) => {
    for (const login of [role, writerRole]) await c.query(`DROP ROLE IF EXISTS ${login}`);
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

async function doctor(environments: Record<string, unknown>, args: string[] = []) {
  const file = path.join(dir, `config-${randomBytes(3).toString('hex')}.yaml`);
  fs.writeFileSync(file, stringify({ log: { level: 'silent' }, environments }));
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: ['node', 'sqlgate', 'doctor', '--config', file, ...args],
    env: {},
    cwd: dir,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}

describe('sqlgate doctor', () => {
  it('fails a read-only environment whose login is a superuser, and names it', async () => {
    const { code, stdout } = await doctor({
      privileged: { database: database.url },
      reader: { database: readerUrl },
    });
    expect(code).toBe(1);
    expect(stdout).toContain('privileged: FAIL (PostgreSQL, read-only)');
    expect(stdout).toContain('login         postgres');
    expect(stdout).toContain('DANGER  role postgres is a superuser');
    expect(stdout).toContain(`reader: OK (PostgreSQL, read-only)`);
    expect(stdout).toContain(`login         ${role}`);
    expect(stdout).toContain('1 of 2 environments failed the check.');
    expect(stdout).not.toContain('change-me');
  });

  it('passes when every read-only environment has a least-privilege login; a writable one may write', async () => {
    const { code, stdout } = await doctor({
      reader: { database: readerUrl },
      migrations: { database: database.url, read_only: false },
    });
    expect(code).toBe(0);
    expect(stdout).toContain('migrations: OK (PostgreSQL, writable)');
    expect(stdout).toContain('write privileges are expected here');
    expect(stdout).toContain('All 2 environments passed.');
    // A superuser reaches the server's files, which writing does not need: still flagged, as a warning.
    expect(stdout).toContain('  WARNING role postgres is a superuser');
    expect(stdout).not.toContain('DANGER');
    expect(stdout).toContain('=> writable: write privileges are expected here, but the warnings above are powers it does not need to write: take them away (they do not fail the check).');
  });

  it('shows a writable environment\'s write privileges as expected information, not as dangers to revoke', async () => {
    const { code, stdout } = await doctor({ orders: { database: writerUrl, read_only: false } });
    expect(code).toBe(0);
    expect(stdout).toContain('orders: OK (PostgreSQL, writable)\n  connection    connected (');
    expect(stdout).toContain([
      `  login         ${writerRole}`,
      '  can write     yes (expected: the environment is writable)',
      '  server files  no',
      `  INFO    role ${writerRole} may INSERT, UPDATE, DELETE or TRUNCATE 1 table (public.orders): it can change their data; expected: the environment is writable.`,
      '  => writable: write privileges are expected here; the findings are for information.',
    ].join('\n'));
    expect(stdout).not.toMatch(/DANGER|WARNING|revoke/i);
  });

  it('keeps the same grants a danger, with the fix, in a read-only environment', async () => {
    const { code, stdout } = await doctor({ orders: { database: writerUrl } });
    expect(code).toBe(1);
    expect(stdout).toContain('orders: FAIL (PostgreSQL, read-only)');
    expect(stdout).toContain('  can write     yes\n');
    expect(stdout).toContain(`  DANGER  role ${writerRole} may INSERT, UPDATE, DELETE or TRUNCATE 1 table (public.orders): it can change their data; revoke those privileges and grant SELECT only (docs/dialects/postgres.md#least-privilege-login).`);
    expect(stdout).not.toContain('INFO');
    expect(stdout).toContain('=> read-only, but its login can write: only sqlgate\'s own checks stand in the way.');
  });

  it('--json ranks a writable environment\'s findings for its mode', async () => {
    const { code, stdout } = await doctor({ orders: { database: writerUrl, read_only: false } }, ['--json']);
    expect(code).toBe(0);
    const [environment] = JSON.parse(stdout).environments;
    expect(environment).toMatchObject({ readOnly: false, status: 'ok', canWrite: true, canReachServerFiles: false });
    expect(environment.findings).toEqual([{ severity: 'info', message: expect.stringContaining('expected: the environment is writable') }]);
  });

  it('--env checks one environment only', async () => {
    const { code, stdout } = await doctor({ privileged: { database: database.url }, reader: { database: readerUrl } }, ['--env', 'reader']);
    expect(code).toBe(0);
    expect(stdout).not.toContain('privileged');
  });

  it('--env with an unknown name is a configuration error naming the ones there are', async () => {
    const { code, stderr } = await doctor({ reader: { database: readerUrl } }, ['--env', 'prod']);
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toContain('There is no environment named "prod".');
    expect(stderr).toContain('reader');
  });

  it('an unreachable database fails, with the reason and without the password', async () => {
    const { code, stdout } = await doctor({ gone: { database: 'postgres://reader:topsecret@127.0.0.1:1/sales', connect_timeout_ms: 1000 } });
    expect(code).toBe(1);
    expect(stdout).toContain('gone: UNREACHABLE (PostgreSQL, read-only)');
    expect(stdout).toContain('down: The PostgreSQL server refused the connection');
    expect(stdout).not.toContain('topsecret');
  });

  it('a login the server refuses is REFUSED, not down: it names the user and what to check', async () => {
    // This server trusts 127.0.0.1 (no wrong password to give); an unknown role is refused the same way.
    const { code, stdout } = await doctor({ nobody: { database: urlAs('sqlgate_no_such_role', 'topsecret') } });
    expect(code).toBe(1);
    expect(stdout).toContain('nobody: REFUSED (PostgreSQL, read-only)');
    expect(stdout).toContain('  connection    refused: PostgreSQL refused the login of this environment: authentication failed.');
    expect(stdout).toContain('=> the database refused the login: authentication failed for user sqlgate_no_such_role. '
      + 'Check the user and password in the database URL (or the password_file).');
    expect(stdout).not.toContain('did not answer');
    expect(stdout).not.toContain('topsecret');
  });

  it('a database the server does not have is REFUSED, naming the database', async () => {
    const url = new URL(readerUrl);
    url.pathname = '/sqlgate_no_such_database';
    const { code, stdout } = await doctor({ lost: { database: url.toString() } }, []);
    expect(code).toBe(1);
    expect(stdout).toContain('lost: REFUSED (PostgreSQL, read-only)');
    expect(stdout).toContain(`=> the server refused the connection to database sqlgate_no_such_database: it does not exist, or user ${role} may not use it.`);
    const json = await doctor({ lost: { database: url.toString() } }, ['--json']);
    expect(JSON.parse(json.stdout).environments[0]).toMatchObject({
      status: 'refused',
      ok: false,
      connection: { connected: false, failure: 'database-refused', error: expect.stringContaining('does not exist') },
    });
  });

  it('--json gives the same verdicts for machines', async () => {
    const { code, stdout } = await doctor({ privileged: { database: database.url, strict_privileges: true }, reader: { database: readerUrl } }, ['--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report).toEqual({
      ok: false,
      environments: [
        {
          name: 'privileged',
          dialect: 'PostgreSQL',
          readOnly: true,
          strictPrivileges: true,
          demo: false,
          status: 'over-privileged',
          ok: false,
          connection: { connected: true, latencyMs: expect.any(Number), error: null, failure: null },
          error: null,
          login: 'postgres',
          canWrite: true,
          canReachServerFiles: true,
          findings: [{ severity: 'danger', message: expect.stringContaining('superuser') }],
        },
        {
          name: 'reader',
          dialect: 'PostgreSQL',
          readOnly: true,
          strictPrivileges: false,
          demo: false,
          status: 'ok',
          ok: true,
          connection: { connected: true, latencyMs: expect.any(Number), error: null, failure: null },
          error: null,
          login: role,
          canWrite: false,
          canReachServerFiles: false,
          findings: [{ severity: 'ok', message: expect.any(String) }],
        },
      ],
    });
  });

  it('--env needs only that environment\'s database secrets; checking all of them needs every one', async () => {
    const environments = {
      reader: { database: readerUrl },
      analytics: { database: 'postgres://reader:${UNSET_PW}@db.internal/sales', password_file: './secrets/missing' },
    };
    const one = await doctor(environments, ['--env', 'reader']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('reader: OK (PostgreSQL, read-only)');
    expect(one.stdout).toContain('All 1 environment passed.');
    expect(one.stdout).not.toContain('analytics');

    const all = await doctor(environments);
    expect(all.code).toBe(EXIT_CONFIG);
    expect(all.stderr).toBe('sqlgate: environments.analytics.database uses ${UNSET_PW}, but UNSET_PW is not set in the environment.\n'
      + 'Export UNSET_PW, or write ${UNSET_PW:-default} to give a default.\n');
  });

  it('the built-in demo is reported but never fails the check', async () => {
    const { code, stdout } = await doctor({ demo: { database: 'sqlite:./data/demo.sqlite', demo: true } });
    expect(code).toBe(0);
    expect(stdout).toContain('demo: OK (SQLite, read-only)');
    expect(stdout).toContain('not counted');
  });
});

describe('sqlgate doctor on MariaDB/MySQL', () => {
  let mysqlDatabase: TestDatabase;
  const user = `sqlgate_doc_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const admin = (sql: string) => withMysql(MYSQL_ADMIN_URL, (c) => c.query(sql));
  const urlWith = (secret: string) => {
    const url = new URL(mysqlDatabase.url);
    url.username = user;
    url.password = secret;
    return url.toString();
  };

  beforeAll(async () => {
    mysqlDatabase = await createTestDatabase('mysql', ['CREATE TABLE orders (id int PRIMARY KEY)']);
    await admin(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await admin(`GRANT SELECT ON ${mysqlDatabase.name}.* TO '${user}'@'%'`);
  });
  afterAll(async () => {
    await admin(`DROP USER IF EXISTS '${user}'@'%'`);
    await mysqlDatabase?.drop();
  });

  it('a wrong password is a refused login naming the user, not a database that did not answer', async () => {
    const { code, stdout } = await doctor({ shop: { database: urlWith('not-the-password') } });
    expect(code).toBe(1);
    expect(stdout).toMatch(/shop: REFUSED \((MariaDB|MySQL), read-only\)/);
    expect(stdout).toMatch(/ {2}connection {4}refused: The (MariaDB|MySQL) server refused the login: authentication failed\./);
    expect(stdout).toContain(`=> the database refused the login: authentication failed for user ${user}. `
      + 'Check the user and password in the database URL (or the password_file).');
    expect(stdout).not.toContain('did not answer');
    expect(stdout).not.toContain('not-the-password');
    const json = JSON.parse((await doctor({ shop: { database: urlWith('not-the-password') } }, ['--json'])).stdout);
    expect(json.environments[0]).toMatchObject({ status: 'refused', connection: { connected: false, failure: 'login-refused' } });
  });

  it('the right password is checked as usual', async () => {
    const { code, stdout } = await doctor({ shop: { database: urlWith(password) } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/shop: OK \((MariaDB|MySQL), read-only\)/);
  });

  it('a server that is down is still UNREACHABLE', async () => {
    const { code, stdout } = await doctor({ gone: { database: `mariadb://${user}:x@127.0.0.1:1/shop`, connect_timeout_ms: 1000 } });
    expect(code).toBe(1);
    expect(stdout).toContain('gone: UNREACHABLE (MariaDB, read-only)');
    expect(stdout).toContain('=> the database did not answer, so its login could not be checked.');
  });
});
