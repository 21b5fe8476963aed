/** The `limits` settings as loadConfig reads them: defaults, camelCase, a Redis password kept out of messages. */
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

function loadYaml(yaml: string, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-limits-config-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), yaml);
  return loadConfig({ env, cwd: dir });
}

function configErrorOf(yaml: string): ConfigError {
  try {
    loadYaml(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const ENVIRONMENT = 'environments: { demo: { database: "sqlite:./demo.sqlite" } }';

describe('limits configuration', () => {
  it('counts in memory, fails tool calls open and sign-ins closed, and limits nothing by default', () => {
    const config = loadYaml(ENVIRONMENT);
    expect(config.limits).toEqual({ store: undefined, keyPrefix: 'sqlgate', onStoreError: { toolCalls: 'open', signIn: 'closed' } });
    expect(config.environments[0]!.limits).toEqual({ callsPerMinute: undefined, concurrentQueries: undefined, rowsPerHour: undefined });
  });

  it('reads a Redis store with its password from the environment, and per-environment limits', () => {
    const config = loadYaml(`limits:
  store: redis://:\${REDIS_PASSWORD}@redis.internal:6379/2
  key_prefix: sqlgate-prod
  on_store_error: { tool_calls: closed }
environments:
  demo: { database: "sqlite:./demo.sqlite", limits: { calls_per_minute: 60, concurrent_queries: 2, rows_per_hour: 100000 } }
`, { REDIS_PASSWORD: 'p@ss/word' });
    expect(config.limits).toEqual({
      store: { url: 'redis://:p%40ss%2Fword@redis.internal:6379/2', maskedUrl: 'redis://:****@redis.internal:6379/2' },
      keyPrefix: 'sqlgate-prod',
      onStoreError: { toolCalls: 'closed', signIn: 'closed' },
    });
    expect(config.environments[0]!.limits).toEqual({ callsPerMinute: 60, concurrentQueries: 2, rowsPerHour: 100_000 });
  });

  it('says plainly what is wrong, without the Redis password', () => {
    const store = configErrorOf(`limits: { store: "http://:hunter2@redis.internal:6379" }\n${ENVIRONMENT}`);
    expect(store.message).toContain('limits.store');
    expect(store.message).toContain('must be a redis:// or rediss:// URL');
    expect(store.message).not.toContain('hunter2');
    const zero = configErrorOf('environments: { demo: { database: "sqlite:./demo.sqlite", limits: { calls_per_minute: 0 } } }');
    expect(zero.message).toContain('environments.demo.limits.calls_per_minute');
    const policy = configErrorOf(`limits: { on_store_error: { sign_in: maybe } }\n${ENVIRONMENT}`);
    expect(policy.message).toContain('limits.on_store_error.sign_in');
  });
});
