/**
 * The `audit` section: retention (a duration, default 365 days, at least a day) and stream ("stdout" or a file,
 * relative paths taken from the working directory), with plain messages for what is wrong.
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
