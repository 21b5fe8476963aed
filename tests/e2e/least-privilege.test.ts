/**
 * Least privilege at start, against real PostgreSQL: a read-only environment served by a superuser login starts with
 * a loud warning, or with strict_privileges: true does not start at all; a least-privilege login starts quietly,
 * and a database that is down at start is not checked and does not stop the server. Every environment's database,
 * writable ones too, is reached at start, so a refused login is said at once.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createSqlgate } from '../../src/app.js';
import { EXIT_CONFIG } from '../../src/cli/exit.js';
import { runCli } from '../../src/cli/run-cli.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createTestDatabase, MYSQL_ADMIN_URL, PG_ADMIN_URL, withMysql, withPgClient, type TestDatabase } from '../support/test-databases.js';

let database: TestDatabase;
let readerUrl: string;
let dir: string;
const role = `sqlgate_start_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  database = await createTestDatabase('postgres', ['CREATE TABLE orders (id int PRIMARY KEY)']);
  await withPgClient(database.url, async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN`);
    await c.query(`GRANT CONNECT ON DATABASE ${database.name} TO ${role}`);
    await c.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
  });
  const url = new URL(database.url);
  url.username = role;
  readerUrl = url.toString();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-start-'));
});

afterAll(async () => {
  await database?.drop();
  await withPgClient(PG_ADMIN_URL, (c) => c.query(`DROP ROLE IF EXISTS ${role}`));
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeConfig(environments: Record<string, unknown>): string {
  const file = path.join(dir, `config-${randomBytes(3).toString('hex')}.yaml`);
  fs.writeFileSync(file, stringify({ environments }));
  return file;
}

/** Builds the server as `serve` does, with the log captured; resolves with the log records and the outcome. */
async function start(environments: Record<string, unknown>) {
  const config = loadConfig({ configPath: writeConfig(environments), env: {}, cwd: dir });
  const records: Record<string, any>[] = [];
  const logger = createLogger('info', { write: (line: string) => void records.push(JSON.parse(line)) });
  try {
    const sqlgate = await createSqlgate(config, logger);
    await sqlgate.close();
    return { records, error: null };
  } catch (err) {
    return { records, error: err };
  }
}

describe('least privilege at start', () => {
  it('a superuser login on a read-only environment starts with a loud warning naming the environment and the finding', async () => {
    const { records, error } = await start({ analytics: { database: database.url } });
    expect(error).toBeNull();
    const warnings = records.filter((r) => r.level === 40 && /LEAST PRIVILEGE/.test(r.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ environment: 'analytics', login: 'postgres', canWrite: true, canReachServerFiles: true });
    expect(warnings[0]!.msg).toContain('read-only environment "analytics" is served by login postgres');
    expect(warnings[0]!.msg).toContain('is a superuser');
  });

  it('with strict_privileges: true it refuses to start, naming the environment, the finding and the fix', async () => {
    const { error } = await start({ analytics: { database: database.url, strict_privileges: true }, reader: { database: readerUrl } });
    expect(error).toBeInstanceOf(ConfigError);
    const { message, hint } = error as ConfigError;
    expect(message).toContain('Refusing to start (strict_privileges: true)');
    expect(message).toContain('read-only environment "analytics" is served by login postgres, which can write and reach the server\'s files');
    expect(message).toContain('docs/dialects/postgres.md#least-privilege-login');
    expect(message).not.toContain('"reader"');
    expect(hint).toContain('sqlgate doctor');
    expect(hint).toContain('strict_privileges: false');
  });

  it('`sqlgate serve` exits with the configuration code and says why', async () => {
    let stderr = '';
    const code = await runCli({
      argv: ['node', 'sqlgate', 'serve', '--config', writeConfig({ analytics: { database: database.url, strict_privileges: true } }), '--port', '0'],
      env: {},
      cwd: dir,
      stdout: () => undefined,
      stderr: (t) => void (stderr += t),
    });
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr).toContain('Refusing to start (strict_privileges: true)');
    expect(stderr).toContain('role postgres is a superuser');
  });

  it('a least-privilege login starts without a warning, strict or not; a writable environment is not checked', async () => {
    const { records, error } = await start({
      reader: { database: readerUrl, strict_privileges: true },
      writer: { database: database.url, read_only: false },
    });
    expect(error).toBeNull();
    expect(records.filter((r) => r.level >= 40)).toEqual([]);
  });

  it('a database that is down at start is not checked and does not stop the server, even when strict', async () => {
    const { records, error } = await start({
      gone: { database: 'postgres://reader:topsecret@127.0.0.1:1/sales', connect_timeout_ms: 1000, strict_privileges: true },
    });
    expect(error).toBeNull();
    const line = records.find((r) => r.environment === 'gone' && /unreachable at start/.test(r.msg));
    expect(line).toMatchObject({ level: 40, strictPrivileges: true });
    expect(line!.msg).toContain('privileges were not checked');
    expect(line).toMatchObject({ failure: 'unreachable' });
    expect(line!.msg).toContain('check that the database is up and reachable from here');
    expect(JSON.stringify(records)).not.toContain('topsecret');
  });

  it('says at start that a writable MariaDB environment refuses its login (wrong password), without the password', async () => {
    const user = `sqlgate_w_${randomBytes(4).toString('hex')}`;
    await withMysql(MYSQL_ADMIN_URL, (c) => c.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'right-password-1'`));
    try {
      const url = new URL(MYSQL_ADMIN_URL.replace(/^mysql:/, 'mariadb:'));
      url.username = user;
      url.password = 'wrong-password-xyzzy';
      const { records, error } = await start({ shop: { database: url.toString(), read_only: false, connect_timeout_ms: 2000 } });
      expect(error).toBeNull();
      const line = records.find((r) => r.environment === 'shop' && /unreachable at start/.test(r.msg));
      expect(line).toMatchObject({ level: 40 });
      expect(line).toMatchObject({ failure: 'login-refused' });
      expect(line!.msg).toContain('environment "shop"');
      expect(line!.msg).toContain('the server refused the login: check the user and password in its database URL (or password_file)');
      expect(JSON.stringify(records)).not.toContain('wrong-password-xyzzy');
    } finally {
      await withMysql(MYSQL_ADMIN_URL, (c) => c.query(`DROP USER IF EXISTS '${user}'@'%'`));
    }
  });
});
