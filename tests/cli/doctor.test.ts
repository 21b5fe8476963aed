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
import { createTestDatabase, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../support/test-databases.js';

let database: TestDatabase;
let readerUrl: string;
let dir: string;
const role = `sqlgate_doc_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  database = await createTestDatabase('postgres', ['CREATE TABLE orders (id int PRIMARY KEY)']);
  await withPgClient(database.url, async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'change-me'`);
    await c.query(`GRANT CONNECT ON DATABASE ${database.name} TO ${role}`);
    await c.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
  });
  const url = new URL(database.url);
  url.username = role;
  url.password = 'change-me';
  readerUrl = url.toString();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-doctor-'));
});

afterAll(async () => {
  await database?.drop();
  await withPgClient(PG_ADMIN_URL, (c) => c.query(`DROP ROLE IF EXISTS ${role}`));
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
          connection: { connected: true, latencyMs: expect.any(Number), error: null },
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
          connection: { connected: true, latencyMs: expect.any(Number), error: null },
          error: null,
          login: role,
          canWrite: false,
          canReachServerFiles: false,
          findings: [{ severity: 'ok', message: expect.any(String) }],
        },
      ],
    });
  });

  it('the built-in demo is reported but never fails the check', async () => {
    const { code, stdout } = await doctor({ demo: { database: 'sqlite:./data/demo.sqlite', demo: true } });
    expect(code).toBe(0);
    expect(stdout).toContain('demo: OK (SQLite, read-only)');
    expect(stdout).toContain('not counted');
  });
});
