/**
 * The `audit` section: retention (a duration, default 365 days, at least a day), stream ("stdout" or a file,
 * relative paths taken from the working directory) and url (a SQLite file or a PostgreSQL database); and each
 * environment's `audit.record_parameters`. Plain messages for what is wrong, passwords masked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function load(audit: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-audit-config-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), `audit:\n${audit}\nenvironments:\n  demo: { database: "sqlite:./x.db" }\n`);
  return { dir, config: () => loadConfig({ env: {}, cwd: dir }).audit };
}

function errorOf(audit: string): string {
  try {
    load(audit).config();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('audit.retention', () => {
  it('keeps records 365 days unless told otherwise', () => {
    expect(load('  record_parameters: true').config()).toMatchObject({ retentionSeconds: 365 * 86_400 });
    expect(load('  record_parameters: true').config().stream).toBeUndefined();
  });

  it('reads the duration forms, and allows years', () => {
    expect(load('  retention: 30d').config().retentionSeconds).toBe(30 * 86_400);
    expect(load('  retention: 48h').config().retentionSeconds).toBe(48 * 3_600);
    expect(load('  retention: 2555d').config().retentionSeconds).toBe(2_555 * 86_400);
    expect(load('  retention: 86400').config().retentionSeconds).toBe(86_400);
  });

  it('refuses less than a day (a bare 365 is seconds), more than 100 years and other words', () => {
    expect(errorOf('  retention: 365')).toBe('Invalid configuration:\n- audit.retention: must be at least 1 day (a bare number is seconds: write "365d") (got 365)');
    expect(errorOf('  retention: 12h')).toContain('audit.retention: must be at least 1 day');
    expect(errorOf('  retention: 36501d')).toContain('audit.retention: must be at most 36500 days');
    expect(errorOf('  retention: 1 year')).toContain('audit.retention: must be a duration such as "90s", "15m", "1h" or "30d"');
  });
});

describe('audit.stream', () => {
  it('takes stdout, or a file resolved against the working directory', () => {
    expect(load('  stream: stdout').config().stream).toEqual({ kind: 'stdout' });
    expect(load('  stream: /var/log/sqlgate/audit.jsonl').config().stream).toEqual({ kind: 'file', file: '/var/log/sqlgate/audit.jsonl' });
    const relative = load('  stream: logs/audit.jsonl');
    expect(relative.config().stream).toEqual({ kind: 'file', file: path.join(relative.dir, 'logs', 'audit.jsonl') });
  });

  it('refuses stderr (the log is there) and an empty value', () => {
    expect(errorOf('  stream: stderr')).toContain('audit.stream: must be "stdout" or a file path (stderr carries the log)');
    expect(errorOf('  stream: ""')).toContain('audit.stream: must be "stdout" or a file path');
  });
});

describe('audit.url', () => {
  it('is a SQLite file by default, resolved against the working directory', () => {
    const { dir, config } = load('  record_parameters: true');
    expect(config().store).toEqual({ kind: 'sqlite', file: path.join(dir, 'data', 'sqlgate-audit.sqlite') });
  });

  it('takes postgres:// and postgresql:// URLs, with sslmode, and masks the password for messages', () => {
    expect(load('  url: "postgresql://sqlgate:s3cret@db.internal:6543/audit?sslmode=verify-full"').config().store).toEqual({
      kind: 'postgres',
      target: {
        dialect: 'postgres', flavor: 'postgres', host: 'db.internal', port: 6543, user: 'sqlgate', password: 's3cret',
        database: 'audit', params: { sslmode: 'verify-full' },
      },
      maskedUrl: 'postgresql://sqlgate:****@db.internal:6543/audit?sslmode=verify-full',
    });
    expect(load('  url: postgres://sqlgate@db/audit').config().store).toMatchObject({ kind: 'postgres', target: { port: 5432, database: 'audit' } });
  });

  it('expands ${VAR} in the URL, percent-encoding a password that would break it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-audit-config-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), 'audit:\n  url: "postgres://sqlgate:${AUDIT_PASSWORD}@db/audit"\nenvironments:\n  demo: { database: "sqlite:./x.db" }\n');
    const { store } = loadConfig({ env: { AUDIT_PASSWORD: 'p@ss/w:rd' }, cwd: dir }).audit;
    expect(store).toMatchObject({ kind: 'postgres', target: { user: 'sqlgate', password: 'p@ss/w:rd', host: 'db' }, maskedUrl: 'postgres://sqlgate:****@db/audit' });
    expect(() => loadConfig({ env: {}, cwd: dir })).toThrow('audit.url uses ${AUDIT_PASSWORD}, but AUDIT_PASSWORD is not set in the environment.');
  });

  it('refuses other schemes, parameters it does not read and unknown sslmodes, naming audit.url without the password', () => {
    expect(errorOf('  url: "mysql://u:s3cret@db/audit"')).toBe(
      'Invalid configuration:\n- audit.url: must be a sqlite: or postgres:// URL such as "sqlite:./data/sqlgate-audit.sqlite" or '
      + '"postgres://sqlgate:PASSWORD@db.internal:5432/sqlgate_audit" (got "mysql://u:****@db/audit")',
    );
    expect(errorOf('  url: "postgres://u:s3cret@db/audit?sslrootcert=/ca.pem"')).toBe(
      'audit.url ("postgres://u:****@db/audit?sslrootcert=/ca.pem") has the parameter "sslrootcert", which the audit trail does not read (only sslmode).',
    );
    expect(errorOf('  url: "postgres://u:s3cret@db/audit?sslmode=always"')).toMatch(/^audit\.url .* has sslmode "always", which is not one of disable, allow, prefer/);
    expect(errorOf('  url: "postgres://u:s3cret@db/"')).toMatch(/^audit\.url \("postgres:\/\/u:\*\*\*\*@db\/"\) names no database/);
  });
});

describe('environments.<name>.audit', () => {
  function loadEnvironments(environments: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-audit-config-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), `audit:\n  record_parameters: true\nenvironments:\n${environments}\n`);
    return loadConfig({ env: {}, cwd: dir });
  }

  it('overrides audit.record_parameters per environment, and leaves it unset where not given', () => {
    const config = loadEnvironments([
      '  hr: { database: "sqlite:./hr.db", audit: { record_parameters: false } }',
      '  sales: { database: "sqlite:./sales.db", audit: { record_parameters: true } }',
      '  demo: { database: "sqlite:./demo.db" }',
    ].join('\n'));
    expect(config.environments.map((e) => [e.name, e.audit])).toEqual([
      ['hr', { recordParameters: false }], ['sales', { recordParameters: true }], ['demo', { recordParameters: undefined }],
    ]);
  });

  it('refuses keys it does not know and values that are not booleans', () => {
    expect(() => loadEnvironments('  hr: { database: "sqlite:./hr.db", audit: { record_parameter: false } }')).toThrow(/environments\.hr\.audit/);
    expect(() => loadEnvironments('  hr: { database: "sqlite:./hr.db", audit: { record_parameters: "no" } }')).toThrow(/environments\.hr\.audit\.record_parameters/);
  });
});
