/** The `metrics` settings as loadConfig reads them: off by default, a token from the environment kept out of messages. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { isMetricsEnabled } from '../../src/config/metrics-schema.js';
import { ConfigError } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function loadYaml(yaml: string, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-metrics-config-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), yaml);
  return loadConfig({ env, cwd: dir });
}

function messageOf(yaml: string, env: Record<string, string> = {}): string {
  try {
    loadYaml(yaml, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

const ENVIRONMENT = 'environments: { demo: { database: "sqlite:./demo.sqlite" } }';
const TOKEN = 'a'.repeat(16) + '0123456789abcdef';

describe('metrics configuration', () => {
  it('is off by default: no token, no listener, nothing served', () => {
    const config = loadYaml(ENVIRONMENT);
    expect(config.metrics).toEqual({ token: undefined, listen: undefined });
    expect(isMetricsEnabled(config.metrics)).toBe(false);
  });

  it('reads the token from the environment, as a string even when it looks like a number', () => {
    const config = loadYaml(`metrics:\n  token: \${METRICS_TOKEN}\n${ENVIRONMENT}`, { METRICS_TOKEN: TOKEN });
    expect(config.metrics.token).toBe(TOKEN);
    expect(isMetricsEnabled(config.metrics)).toBe(true);
    const digits = '1'.repeat(40);
    expect(loadYaml(`metrics:\n  token: \${METRICS_TOKEN}\n${ENVIRONMENT}`, { METRICS_TOKEN: digits }).metrics.token).toBe(digits);
  });

  it('parses a listen address, IPv6 in brackets too', () => {
    expect(loadYaml(`metrics: { listen: "127.0.0.1:9464" }\n${ENVIRONMENT}`).metrics).toEqual({ token: undefined, listen: { host: '127.0.0.1', port: 9464 } });
    expect(loadYaml(`metrics: { listen: "[::1]:9464", token: "${TOKEN}" }\n${ENVIRONMENT}`).metrics).toEqual({ token: TOKEN, listen: { host: '::1', port: 9464 } });
    expect(loadYaml(`metrics: { listen: "0.0.0.0:9464" }\n${ENVIRONMENT}`).metrics.listen).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('says plainly what is wrong, without showing the token', () => {
    const short = messageOf(`metrics:\n  token: \${METRICS_TOKEN}\n${ENVIRONMENT}`, { METRICS_TOKEN: 'hunter2-hunter2' });
    expect(short).toContain('metrics.token: must be at least 32 characters (generate one with: openssl rand -hex 32)');
    expect(short).not.toContain('hunter2');
    expect(messageOf(`metrics: { token: "${'x'.repeat(20)} ${'y'.repeat(20)}" }\n${ENVIRONMENT}`)).toContain('metrics.token: must be printable ASCII without spaces');
    expect(messageOf(`metrics: { listen: 9464 }\n${ENVIRONMENT}`)).toContain('metrics.listen');
    expect(messageOf(`metrics: { listen: "9464" }\n${ENVIRONMENT}`)).toContain('metrics.listen: must be "host:port" such as "127.0.0.1:9464"');
    expect(messageOf(`metrics: { listen: "127.0.0.1:0" }\n${ENVIRONMENT}`)).toContain('metrics.listen: must name a port from 1 to 65535');
    expect(messageOf(`metrics: { listen: "127.0.0.1:70000" }\n${ENVIRONMENT}`)).toContain('metrics.listen: must name a port from 1 to 65535');
    expect(messageOf(`metrics: { path: /metrics }\n${ENVIRONMENT}`)).toContain('unknown key "path" in metrics');
  });

  it('needs the token variable to be set', () => {
    expect(messageOf(`metrics:\n  token: \${METRICS_TOKEN}\n${ENVIRONMENT}`)).toContain('metrics.token uses ${METRICS_TOKEN}, but METRICS_TOKEN is not set');
  });
});
