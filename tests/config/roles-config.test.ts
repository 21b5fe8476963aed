/**
 * The `roles` section as loadConfig reads it: roles by name with their access per environment and their limits
 * (the environments' limits schema), environment names checked against the configured ones, and upstream group
 * mappings that name roles checked against the section. Messages are asserted whole.
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

const ENVIRONMENTS = `environments:
  analytics: { database: "sqlite:./analytics.sqlite" }
  demo: { database: "sqlite:./demo.sqlite" }
  production: { database: "sqlite:./production.sqlite", read_only: false }
`;

function loadYaml(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-roles-config-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), yaml);
  return loadConfig({ env: {}, cwd: dir });
}

function messageOf(yaml: string): string {
  try {
    loadYaml(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

const upstream = (mappings: string) => `auth:
  upstream:
    issuer: https://idp.example.com
    client_id: sqlgate
    role_mappings: ${mappings}
`;

describe('roles configuration', () => {
  it('reads the issue\'s example: access per environment, and limits in the environments\' own form', () => {
    const config = loadYaml(`roles:
  analyst: { environments: { analytics: read, demo: read } }
  ops:     { environments: { production: write }, limits: { calls_per_minute: 600 } }
  everyone: { environments: { "*": read } }
${ENVIRONMENTS}`);
    expect([...config.roles.keys()]).toEqual(['analyst', 'ops', 'everyone']);
    expect(config.roles.get('analyst')).toEqual({ environments: new Map([['analytics', 'read'], ['demo', 'read']]), limits: undefined });
    expect(config.roles.get('ops')).toEqual({
      environments: new Map([['production', 'write']]),
      limits: { callsPerMinute: 600, concurrentQueries: undefined, rowsPerHour: undefined },
    });
    expect(config.roles.get('everyone')!.environments.get('*')).toBe('read');
    expect(Object.isFrozen(config.roles.get('ops')!.limits)).toBe(true);
  });

  it('has no roles when the section is left out', () => {
    expect(loadYaml(ENVIRONMENTS).roles.size).toBe(0);
  });

  it('refuses an environment that is not configured, naming the key and the nearest name', () => {
    expect(messageOf(`roles:\n  analyst: { environments: { analytix: read, demo: read } }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- roles.analyst.environments: there is no environment named "analytix" — did you mean "analytics"?');
    expect(messageOf(`roles:\n  analyst: { environments: { warehouse: read } }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- roles.analyst.environments: there is no environment named "warehouse" (the environments are analytics, demo, production)');
  });

  it('refuses access other than read or write, a role with no environment, and a role name that is not one', () => {
    expect(messageOf(`roles:\n  analyst: { environments: { demo: admin } }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- roles.analyst.environments.demo: must be one of read, write (got "admin")');
    expect(messageOf(`roles:\n  analyst: { environments: {} }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- roles.analyst.environments: must name at least one environment ("*" for every one) (got a mapping)');
    expect(messageOf(`roles:\n  analyst: { limits: { calls_per_minute: 5 } }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- roles.analyst.environments: is required; it must be a mapping of names to settings');
    expect(messageOf(`roles:\n  Data Team: { environments: { demo: read } }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- roles.Data Team: the name "Data Team" must be lower-case letters, digits, "-" and "_", starting with a letter or digit');
    expect(messageOf(`roles:\n  analyst: { environments: { demo: read }, environment: { demo: read } }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- unknown key "environment" in roles.analyst — did you mean "environments"?');
  });

  it('reserves read and write, which session_context sends as the access level before the role names', () => {
    expect(messageOf(`roles:\n  write: { environments: { demo: read } }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- roles.write: the name "write" is reserved: "read" and "write" name the access level; choose another name');
  });

  it('checks a role\'s limits as an environment\'s', () => {
    expect(messageOf(`roles:\n  ops: { environments: { production: write }, limits: { calls_per_minute: 0 } }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- roles.ops.limits.calls_per_minute: must be a whole number from 1 to 1000000 (got 0)');
    expect(messageOf(`roles:\n  ops: { environments: { production: write }, limits: { calls_per_min: 5 } }\n${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- unknown key "calls_per_min" in roles.ops.limits — did you mean "calls_per_minute"?');
  });

  it('maps upstream groups to named roles, besides environments', () => {
    const config = loadYaml(`roles:\n  analyst: { environments: { analytics: read } }\n${upstream('[{ group: analysts, roles: [analyst] }, { group: ops, environments: [production], write: true }]')}${ENVIRONMENTS}`);
    expect(config.auth.upstream!.roleMappings).toEqual([
      { group: 'analysts', environments: [], write: false, roles: ['analyst'] },
      { group: 'ops', environments: ['production'], write: true, roles: [] },
    ]);
  });

  it('refuses an upstream mapping to a role that is not configured, one that gives nothing, and write without environments', () => {
    expect(messageOf(`roles:\n  analyst: { environments: { analytics: read } }\n${upstream('[{ group: analysts, roles: [analysts] }]')}${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- auth.upstream.role_mappings.0.roles: there is no role named "analysts" — did you mean "analyst"?');
    expect(messageOf(`${upstream('[{ group: analysts, roles: [analyst] }]')}${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- auth.upstream.role_mappings.0.roles: there is no role named "analyst" (no roles are configured)');
    expect(messageOf(`${upstream('[{ group: analysts }]')}${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- auth.upstream.role_mappings.0: must give environments, roles or both (got a mapping)');
    expect(messageOf(`roles:\n  analyst: { environments: { analytics: read } }\n${upstream('[{ group: analysts, roles: [analyst], write: true }]')}${ENVIRONMENTS}`))
      .toBe('Invalid configuration:\n- auth.upstream.role_mappings.0.write: applies to environments, and this mapping names none (a named role says itself whether it writes) (got true)');
  });
});
