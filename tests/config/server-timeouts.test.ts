/**
 * The `server` section's timeouts and shutdown grace: durations ("10s", "5m" or seconds), sensible defaults, and the
 * combinations that cannot work refused with a plain message (headers longer than the request, an idle timeout
 * that would cut off a tool call whose statement is still allowed to run).
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

function load(server: string, environment = '{ database: "sqlite:./x.db" }') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-server-config-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), `server:\n${server}\nenvironments:\n  demo: ${environment}\n`);
  return loadConfig({ env: {}, cwd: dir }).server;
}

function errorOf(server: string, environment?: string): string {
  try {
    load(server, environment);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('server timeouts', () => {
  it('has defaults that hold off slow clients without cutting off tool calls', () => {
    expect(load('  port: 8008')).toMatchObject({
      shutdownGraceMs: 10_000, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, idleTimeoutMs: 600_000,
    });
  });

  it('reads durations and seconds', () => {
    expect(load('  shutdown_grace: 30s\n  headers_timeout: 5\n  request_timeout: 1m\n  keep_alive_timeout: 65s\n  idle_timeout: 1h')).toMatchObject({
      shutdownGraceMs: 30_000, headersTimeoutMs: 5_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000, idleTimeoutMs: 3_600_000,
    });
  });

  it('refuses what cannot be meant', () => {
    expect(errorOf('  shutdown_grace: 0')).toContain('server.shutdown_grace: must be at least 1');
    expect(errorOf('  shutdown_grace: 2h')).toContain('server.shutdown_grace: must be at most 3600 seconds');
    expect(errorOf('  headers_timeout: 1m\n  request_timeout: 30s')).toContain('server.headers_timeout: must not be longer than server.request_timeout');
    expect(errorOf('  idle_timeout: 10s')).toContain('server.idle_timeout: must be at least 30 seconds (SSE streams send a keep-alive every 15 s)');
  });

  it('keeps the idle timeout longer than every statement timeout', () => {
    expect(errorOf('  idle_timeout: 5m', '{ database: "sqlite:./x.db", statement_timeout_ms: 300000 }'))
      .toContain('server.idle_timeout: must be at least 10 s longer than environments.demo.statement_timeout_ms (300 s)');
    expect(load('  idle_timeout: 6m', '{ database: "sqlite:./x.db", statement_timeout_ms: 300000 }').idleTimeoutMs).toBe(360_000);
  });
});
