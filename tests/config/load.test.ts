import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function loadYaml(yaml: string, env: Record<string, string> = {}) {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), yaml);
  return loadConfig({ env, cwd: dir });
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('serves the demo when there is no configuration', () => {
    const dir = tempDir();
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config.source).toEqual({ kind: 'demo', file: path.join(dir, 'data', 'demo.sqlite') });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8008 });
    expect(config.environments).toHaveLength(1);
    expect(config.environments[0]).toMatchObject({ name: 'demo', readOnly: true, isDemo: true, maxRows: 1000, statementTimeoutMs: 30_000 });
    expect(config.environments[0]!.target).toEqual({ dialect: 'sqlite', file: path.join(dir, 'data', 'demo.sqlite') });
    expect(config.store).toEqual({ kind: 'sqlite', file: path.join(dir, 'data', 'sqlgate-state.sqlite') });
  });

  it('reads the documented example shape, with defaults and camelCase inside', () => {
    const config = loadYaml(
      `server: { host: 127.0.0.1, port: 8008 }
environments:
  demo:      { database: "sqlite:./data/demo.sqlite", read_only: true }
  analytics: { database: "postgres://reader@127.0.0.1:5432/sales", read_only: true, max_rows: 500 }
  shop:      { database: "mysql://app@127.0.0.1:3306/shop", read_only: false }
  legacy:    { database: "mariadb://app:pw@db.internal/shop" }
  finance:   { database: "sqlserver://claude_demo:\${MSSQL_PASSWORD}@sql.example.com:1433/DemoDB?encrypt=true", read_only: true }
  other:     { database: "mssql://u:p@sql.example.com/Other" }
`,
      { MSSQL_PASSWORD: 's3cr3t/p@ss' },
    );
    const byName = Object.fromEntries(config.environments.map((e) => [e.name, e]));
    expect(byName.analytics).toMatchObject({ maxRows: 500, readOnly: true, target: { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'reader', database: 'sales' } });
    expect(byName.shop).toMatchObject({ readOnly: false, target: { dialect: 'mysql', flavor: 'mysql', port: 3306 } });
    expect(byName.legacy!.target).toMatchObject({ dialect: 'mysql', flavor: 'mariadb', password: 'pw', port: 3306 });
    expect(byName.finance!.target).toMatchObject({ dialect: 'mssql', password: 's3cr3t/p@ss', database: 'DemoDB', params: { encrypt: 'true' } });
    expect(byName.finance!.maskedUrl).toBe('sqlserver://claude_demo:****@sql.example.com:1433/DemoDB?encrypt=true');
    expect(byName.other!.target).toMatchObject({ dialect: 'mssql', port: 1433 });
    expect(Object.isFrozen(config.environments[0])).toBe(true);
  });

  it('reads secrets from files and supports ${VAR:-default}', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'pw.txt'), 'from-file\n');
    fs.writeFileSync(
      path.join(dir, 'sqlgate.yaml'),
      'environments:\n  a:\n    database: "postgres://u@h/db"\n    password_file: ./pw.txt\n    max_rows: ${ROWS:-42}\n',
    );
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config.environments[0]!.target).toMatchObject({ password: 'from-file' });
    // ${VAR} expands inside strings; a number written through a default must still be a number.
    expect(config.environments[0]!.maxRows).toBe(42);
  });

  it('names a missing environment variable and how to fix it', () => {
    const error = configError(() => loadYaml('environments:\n  a: { database: "postgres://u:${DB_PASS}@h/db" }\n'));
    expect(error.message).toBe('environments.a.database uses ${DB_PASS}, but DB_PASS is not set in the environment.');
    expect(error.hint).toContain('Export DB_PASS');
  });

  it('names the key, the bad value and what is expected', () => {
    const error = configError(() => loadYaml('environments:\n  a: { database: "sqlite:./x.db", max_rows: lots }\n'));
    expect(error.message).toContain('environments.a.max_rows');
    expect(error.message).toContain('"lots"');
    expect(error.message).toMatch(/expected number/i);
  });

  it('masks passwords in messages about the database URL', () => {
    const error = configError(() => loadYaml('environments:\n  a: { database: "oracle://scott:tiger@h/db" }\n'));
    expect(error.message).toContain('oracle://scott:****@h/db');
    expect(error.message).not.toContain('tiger');
    expect(error.message).toContain('sqlite: postgres:');
  });

  it('refuses unknown keys, reserved and malformed environment names', () => {
    expect(configError(() => loadYaml('environments:\n  a: { database: "sqlite:./x.db", readonly: true }\n')).message).toContain('"readonly"');
    expect(configError(() => loadYaml('environments:\n  health: { database: "sqlite:./x.db" }\n')).message).toContain('reserved');
    expect(configError(() => loadYaml('environments:\n  Bad Name: { database: "sqlite:./x.db" }\n')).message).toContain('environments.Bad Name');
    expect(configError(() => loadYaml('environments: {}\n')).message).toContain('at least one environment');
  });

  it('reports YAML syntax errors with their position', () => {
    const error = configError(() => loadYaml('environments:\n  a: { database: "sqlite:x.db"\n'));
    expect(error.message).toMatch(/not valid YAML at line \d+/);
  });

  it('reports a missing explicit config file', () => {
    const error = configError(() => loadConfig({ configPath: '/nope/sqlgate.yaml', env: {}, cwd: tempDir() }));
    expect(error.message).toContain('/nope/sqlgate.yaml');
    expect(error.hint).toContain('sqlgate init');
  });

  it('honours SQLGATE_CONFIG and command-line overrides', () => {
    const dir = tempDir();
    const file = path.join(dir, 'custom.yaml');
    fs.writeFileSync(file, 'server: { port: 9000 }\nenvironments:\n  a: { database: "sqlite:./x.db" }\n');
    const config = loadConfig({ env: { SQLGATE_CONFIG: file }, cwd: dir, overrides: { port: 7000, host: '::1' } });
    expect(config.server).toMatchObject({ port: 7000, host: '::1' });
    expect(config.source).toEqual({ kind: 'file', path: file });
  });

  it('keeps the seed\'s MSSQL_* variables working for one SQL Server environment', () => {
    const config = loadConfig({
      env: {
        MSSQL_HOST: 'sql.example.com',
        MSSQL_USER: 'claude_demo',
        MSSQL_PASSWORD: 'p@ss:word',
        MSSQL_DATABASE: 'DemoDB',
        TrustServerCertificate: 'true',
        READ_ONLY_MODE: 'false',
        SERVER_HOST: '127.0.0.1',
        SERVER_PORT: '9090',
        LOG_LEVEL: 'DEBUG',
      },
      cwd: tempDir(),
    });
    expect(config.source).toEqual({ kind: 'legacy-env' });
    expect(config.server.port).toBe(9090);
    expect(config.log.level).toBe('debug');
    expect(config.environments[0]).toMatchObject({
      name: 'demodb',
      readOnly: false,
      target: { dialect: 'mssql', host: 'sql.example.com', user: 'claude_demo', password: 'p@ss:word', database: 'DemoDB', params: { encrypt: 'true', trustservercertificate: 'true' } },
    });
  });

  it('rejects a bad SERVER_PORT from the seed variables', () => {
    const error = configError(() => loadConfig({ env: { SERVER_PORT: 'eighty' }, cwd: tempDir() }));
    expect(error.message).toContain('server.port');
  });
});

describe('auth configuration', () => {
  it('reads durations, refuses an external_auth issuer on plain http to another host and external_auth without OAuth', () => {
    const parsed = loadYaml('auth:\n  access_token_ttl: 15m\n  refresh_token_ttl: 30d\nenvironments:\n  demo: { database: "sqlite:./x.db" }\n');
    expect(parsed.auth).toMatchObject({ mode: 'oauth', accessTokenTtl: 900, refreshTokenTtl: 2_592_000 });
    expect(configError(() => loadYaml('auth:\n  access_token_ttl: 2 weeks\nenvironments:\n  demo: { database: "sqlite:./x.db" }\n')).message)
      .toContain('a duration such as "90s", "15m", "1h" or "30d"');
    expect(configError(() => loadYaml('environments:\n  demo:\n    database: "sqlite:./x.db"\n    external_auth: { issuer: "http://idp.example.com" }\n')).message)
      .toContain('must be an https URL');
    expect(configError(() => loadYaml('auth: { mode: none }\nenvironments:\n  demo:\n    database: "sqlite:./x.db"\n    external_auth: { issuer: "https://idp.example.com" }\n')).message)
      .toContain('needs auth.mode: oauth');
  });
});
