import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, parseEnvironmentConfig } from '../../src/config/load.js';
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
    expect(error.message).toBe('Invalid configuration:\n- environments.a.max_rows: must be a whole number from 1 to 100000 (got "lots")');
    expect(error.hint).toMatch(/^Fix .*sqlgate\.yaml; "sqlgate init" writes a commented example\.$/);
  });

  it('masks passwords in messages about the database URL', () => {
    const error = configError(() => loadYaml('environments:\n  a: { database: "oracle://scott:tiger@h/db" }\n'));
    expect(error.message).toContain('oracle://scott:****@h/db');
    expect(error.message).not.toContain('tiger');
    expect(error.message).toContain('sqlite: postgres:');
  });

  it('refuses unknown keys, reserved and malformed environment names', () => {
    expect(configError(() => loadYaml('environments:\n  a: { database: "sqlite:./x.db", readonly: true }\n')).message)
      .toBe('Invalid configuration:\n- unknown key "readonly" in environments.a — did you mean "read_only"?');
    expect(configError(() => loadYaml('environments:\n  health: { database: "sqlite:./x.db" }\n')).message).toContain('reserved');
    expect(configError(() => loadYaml('environments:\n  Bad Name: { database: "sqlite:./x.db" }\n')).message).toContain('environments.Bad Name');
    expect(configError(() => loadYaml('environments: {}\n')).message).toContain('at least one environment');
  });

  it('reports YAML syntax errors with their position', () => {
    const error = configError(() => loadYaml('environments:\n  a: { database: "sqlite:x.db"\n'));
    expect(error.message).toMatch(/not valid YAML at line 3, column 1: /);
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

/** Two environments; the second's password is a variable only the server sets, as in issue 8. */
const TWO_ENVIRONMENTS = `environments:
  demo: { database: "sqlite:./demo.sqlite" }
  analytics: { database: "postgres://reader:\${UNSET_PW}@db.internal/sales", read_only: false }
`;

function loadOpening(yaml: string, environmentsToOpen: 'all' | readonly string[], env: Record<string, string> = {}) {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), yaml);
  return loadConfig({ env, cwd: dir, environmentsToOpen });
}

describe('loading only the databases a command opens', () => {
  it('opens every environment by default, and an unset variable in any of them stops it, naming the key and the variable', () => {
    for (const load of [() => loadYaml(TWO_ENVIRONMENTS), () => loadOpening(TWO_ENVIRONMENTS, 'all')]) {
      const error = configError(load);
      expect(error.message).toBe('environments.analytics.database uses ${UNSET_PW}, but UNSET_PW is not set in the environment.');
      expect(error.hint).toBe('Export UNSET_PW, or write ${UNSET_PW:-default} to give a default.');
    }
    const config = loadYaml(TWO_ENVIRONMENTS, { UNSET_PW: 'pw' });
    expect(config.environments.map((e) => e.name)).toEqual(['demo', 'analytics']);
    expect(config.configuredEnvironments).toEqual([{ name: 'demo', readOnly: true }, { name: 'analytics', readOnly: false }]);
  });

  it('loads only the environment stdio or doctor --env opens, and still lists every environment', () => {
    const config = loadOpening(TWO_ENVIRONMENTS, ['demo']);
    expect(config.environments.map((e) => e.name)).toEqual(['demo']);
    expect(config.environments[0]!.target).toMatchObject({ dialect: 'sqlite' });
    expect(config.configuredEnvironments).toEqual([{ name: 'demo', readOnly: true }, { name: 'analytics', readOnly: false }]);
    expect(Object.isFrozen(config.configuredEnvironments[1])).toBe(true);
    // The opened environment's own secrets are still required.
    expect(configError(() => loadOpening(TWO_ENVIRONMENTS, ['analytics'])).message)
      .toBe('environments.analytics.database uses ${UNSET_PW}, but UNSET_PW is not set in the environment.');
  });

  it('opens none for the admin commands, and reads no secret file of an environment it does not open', () => {
    const yaml = `${TWO_ENVIRONMENTS}  warehouse: { database_file: ./secrets/missing-url, password_file: ./secrets/missing-password }
  reports: { database: "postgres://reports@db.internal/sales", password_file: ./secrets/missing-password }
`;
    const config = loadOpening(yaml, []);
    expect(config.environments).toEqual([]);
    expect(config.configuredEnvironments.map((e) => e.name)).toEqual(['demo', 'analytics', 'warehouse', 'reports']);
    expect(configError(() => loadOpening(yaml, ['warehouse'])).message).toMatch(/^environments\.warehouse\.database_file: cannot read .*missing-url \(ENOENT\)\.$/);
    expect(configError(() => loadOpening(yaml, ['demo', 'reports'])).message).toMatch(/^environments\.reports\.password_file: cannot read .*missing-password \(ENOENT\)\.$/);
  });

  it('still validates everything but the database secrets of the environments it does not open', () => {
    const badSetting = `${TWO_ENVIRONMENTS.replace('read_only: false', 'read_only: false, max_rows: ten')}`;
    expect(configError(() => loadOpening(badSetting, [])).message)
      .toBe('Invalid configuration:\n- environments.analytics.max_rows: must be a whole number from 1 to 100000 (got "ten")');
    const unsetSetting = TWO_ENVIRONMENTS.replace('read_only: false', 'read_only: false, max_rows: "${ROWS}"');
    expect(configError(() => loadOpening(unsetSetting, [])).message)
      .toBe('environments.analytics.max_rows uses ${ROWS}, but ROWS is not set in the environment.');
    const noDatabase = 'environments:\n  demo: { database: "sqlite:./demo.sqlite" }\n  analytics: { read_only: false }\n';
    expect(configError(() => loadOpening(noDatabase, [])).message)
      .toBe('Invalid configuration:\n- environments.analytics.database: is required; it must be text');
  });

  it('refuses to open an environment that is not configured, naming the ones there are', () => {
    const error = configError(() => loadOpening(TWO_ENVIRONMENTS, ['prod']));
    expect(error.message).toBe('There is no environment named "prod".');
    expect(error.hint).toBe('Configured environments: demo, analytics.');
    expect(configError(() => loadOpening(TWO_ENVIRONMENTS, ['demo', 'constructor', 'x'])).message)
      .toBe('There is no environment named "constructor", "x".');
  });
});

describe('${VAR} expansion', () => {
  it('expands an empty variable to the empty string: VAR= is set', () => {
    const config = loadYaml(
      'environments:\n  a: { database: "postgres://u:${PW}@h/db", description: "x${EMPTY}y" }\n',
      { PW: '', EMPTY: '' },
    );
    expect(config.environments[0]!.description).toBe('xy');
    expect(config.environments[0]!.target).toMatchObject({ dialect: 'postgres', user: 'u', password: '' });
    // The schema then judges the empty value, naming the key.
    expect(configError(() => loadYaml('environments:\n  a: { database: "${DB}" }\n', { DB: '' })).message)
      .toBe('Invalid configuration:\n- environments.a.database: must not be empty (got "")');
  });

  it('takes the default of ${VAR:-default} when the variable is unset or empty, as the shell does', () => {
    const yaml = 'environments:\n  a: { database: "sqlite:./x.db", max_rows: "${ROWS:-42}" }\n';
    expect(loadYaml(yaml).environments[0]!.maxRows).toBe(42);
    expect(loadYaml(yaml, { ROWS: '' }).environments[0]!.maxRows).toBe(42);
    expect(loadYaml(yaml, { ROWS: '7' }).environments[0]!.maxRows).toBe(7);
  });
});

describe('configuration error messages', () => {
  const demo = (settings: string) => `environments:\n  demo: { database: "sqlite:./x.db", ${settings} }\n`;
  const message = (yaml: string) => configError(() => loadYaml(yaml)).message;

  it('suggests the nearest valid key for an unknown one, or lists the keys there are', () => {
    expect(message(demo('max_row: 10'))).toBe('Invalid configuration:\n- unknown key "max_row" in environments.demo — did you mean "max_rows"?');
    expect(message(`enviroment: {}\n${demo('max_rows: 10')}`))
      .toBe('Invalid configuration:\n- unknown key "enviroment" at the top level — did you mean "environments"?');
    expect(message(`server: { colour: blue }\n${demo('max_rows: 10')}`))
      .toBe('Invalid configuration:\n- unknown key "colour" in server (the keys there are host, port, allowed_origins, allowed_hosts, max_body_bytes, insecure_no_auth, shutdown_grace, headers_timeout, request_timeout, keep_alive_timeout, idle_timeout)');
    expect(message(demo('pool: { max: 2, acquire_timeout: 10 }')))
      .toBe('Invalid configuration:\n- unknown key "acquire_timeout" in environments.demo.pool — did you mean "acquire_timeout_ms"?');
  });

  it('words every kind of problem plainly, with the key path and the value given', () => {
    expect(message(demo('max_rows: ten'))).toBe('Invalid configuration:\n- environments.demo.max_rows: must be a whole number from 1 to 100000 (got "ten")');
    expect(message(demo('max_rows: 0'))).toBe('Invalid configuration:\n- environments.demo.max_rows: must be a whole number from 1 to 100000 (got 0)');
    expect(message(demo('max_rows: 2.5'))).toBe('Invalid configuration:\n- environments.demo.max_rows: must be a whole number from 1 to 100000 (got 2.5)');
    expect(message(demo('read_only: yes'))).toBe('Invalid configuration:\n- environments.demo.read_only: must be true or false (got "yes")');
    expect(message(demo('destructive_statements: ask')))
      .toBe('Invalid configuration:\n- environments.demo.destructive_statements: must be one of confirm, refuse, allow (got "ask")');
    expect(message(demo('allowed_functions: my_func'))).toBe('Invalid configuration:\n- environments.demo.allowed_functions: must be a list (got "my_func")');
    expect(message(demo('description: 5'))).toBe('Invalid configuration:\n- environments.demo.description: must be text (got 5)');
    expect(message(demo('pool: { max: 500 }'))).toBe('Invalid configuration:\n- environments.demo.pool.max: must be a whole number from 1 to 200 (got 500)');
    expect(message(demo('pool: []'))).toBe('Invalid configuration:\n- environments.demo.pool: must be a mapping of keys to values (got a list)');
    expect(message(demo('description:'))).toBe('Invalid configuration:\n- environments.demo.description: must be text (got an empty value)');
    expect(message('environments: 5\n')).toBe('Invalid configuration:\n- environments: must be a mapping of names to settings (got 5)');
    expect(message(`log: { level: loud }\n${demo('max_rows: 1')}`))
      .toBe('Invalid configuration:\n- log.level: must be one of trace, debug, info, warn, error, fatal, silent (got "loud")');
    expect(message(`auth: { access_token_ttl: true }\n${demo('max_rows: 1')}`))
      .toBe('Invalid configuration:\n- auth.access_token_ttl: must be a number of seconds or a duration such as "90s", "15m", "1h" or "30d" (got true)');
    expect(message(`auth: { clients: [{ client_id: claude, redirect_uris: [callback] }] }\n${demo('max_rows: 1')}`))
      .toBe('Invalid configuration:\n- auth.clients.0.redirect_uris.0: must be a URL such as https://example.com (got "callback")');
  });

  it('never shows zod\'s wording, and masks secrets in the values it shows', () => {
    const text = message(`server: { port: http, insecure_no_auth: maybe }\nstore: { url: "mysql://sqlgate:hunter2@db/state" }\n${demo('max_rows: ten, read_only: yes')}`);
    expect(text).toBe([
      'Invalid configuration:',
      '- server.port: must be a whole number from 0 to 65535 (got "http")',
      '- server.insecure_no_auth: must be true or false (got "maybe")',
      '- store.url: must be a sqlite: or postgres:// URL such as "sqlite:./data/sqlgate-state.sqlite" or "postgres://sqlgate:PASSWORD@db.internal:5432/sqlgate" (got "mysql://sqlgate:****@db/state")',
      '- environments.demo.read_only: must be true or false (got "yes")',
      '- environments.demo.max_rows: must be a whole number from 1 to 100000 (got "ten")',
    ].join('\n'));
    expect(text).not.toMatch(/Invalid input|Invalid option|Too small|expected (number|record|boolean)|\u0000/);
  });
});

describe('YAML syntax errors', () => {
  function yamlError(yaml: string) {
    const dir = tempDir();
    const file = path.join(dir, 'sqlgate.yaml');
    fs.writeFileSync(file, yaml);
    const error = configError(() => loadConfig({ env: {}, cwd: dir }));
    return { message: error.message.replace(file, 'FILE'), hint: error.hint };
  }

  it('shows the line and column, the lines there with a caret and what is wrong in plain words', () => {
    const { message, hint } = yamlError('server:\n  port: 8008\nenvironments:\n  a: { database: "sqlite:x.db"\n  b: { database: "sqlite:y.db" }\n');
    expect(message).toBe([
      'FILE is not valid YAML at line 5, column 3: the indentation does not line up. The keys of one mapping start in the same column, '
        + 'nested keys further right than their parent, and an inline { … } or [ … ] must be closed with } or ] before the next key.',
      '  3 | environments:',
      '  4 |   a: { database: "sqlite:x.db"',
      '  5 |   b: { database: "sqlite:y.db" }',
      '    |   ^',
    ].join('\n'));
    expect(hint).toBe('Fix the file there (or on the line above, where an unclosed quote or bracket starts); "sqlgate init" writes a commented example.');
  });

  it('explains tabs, repeated keys and unquoted special characters', () => {
    expect(yamlError('environments:\n\ta: { database: "sqlite:x.db" }\n').message).toBe([
      'FILE is not valid YAML at line 2, column 1: a tab indents this line; YAML indents with spaces only.',
      '  1 | environments:',
      '  2 | \ta: { database: "sqlite:x.db" }',
      '    | ^',
    ].join('\n'));
    expect(yamlError('server:\n  port: 80\n  port: 81\n').message).toBe([
      'FILE is not valid YAML at line 3, column 3: this key is already given above in the same mapping; keep one of them.',
      '  1 | server:',
      '  2 |   port: 80',
      '  3 |   port: 81',
      '    |   ^',
    ].join('\n'));
    expect(yamlError('environments:\n  a:\n    database: @x\n').message).toBe([
      'FILE is not valid YAML at line 3, column 15: a value cannot start with this character unless it is quoted: write it in quotes, e.g. "@value".',
      '  1 | environments:',
      '  2 |   a:',
      '  3 |     database: @x',
      '    |               ^',
    ].join('\n'));
  });

  it('masks passwords in the lines it shows, keeping the caret under the spot', () => {
    const { message } = yamlError('environments:\n  a:\n    password: hunter2\n    database: "postgres://u:hunter3@h/db" x\n');
    expect(message).not.toMatch(/hunter/);
    expect(message).toContain('  3 |     password: ****\n  4 |     database: "postgres://u:****@h/db" x\n    |                                        ^');
  });
});

describe('parseEnvironmentConfig', () => {
  it('reports problems under the environment\'s full key path, worded as for a file', () => {
    const error = configError(() => parseEnvironmentConfig('sales', { database: 'sqlite:./x.db', max_rows: 'ten', readonly: true }, tempDir()));
    expect(error.message).toBe([
      'Invalid configuration:',
      '- environments.sales.max_rows: must be a whole number from 1 to 100000 (got "ten")',
      '- unknown key "readonly" in environments.sales — did you mean "read_only"?',
    ].join('\n'));
  });
});
