/**
 * Which limits apply to a caller (limits/limit-scope.ts): the environment's, and those of the caller's named roles
 * that give the environment; for each limit the stricter wins. Run through the real limiter, counting in memory
 * (tests/limits/usage-limiter.test.ts covers the counting itself, in memory and in Redis).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { limitsSchema } from '../../src/config/limits-schema.js';
import type { Environment } from '../../src/environments/environment.js';
import type { Identity } from '../../src/environments/identity.js';
import { RateLimitedError } from '../../src/errors.js';
import { limitScope, namedRoleLimits } from '../../src/limits/limit-scope.js';
import { openLimits, type Limits } from '../../src/limits/open-limits.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { openEnvironment } from '../support/test-databases.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-limit-scope-'));
let sales: Environment;
let limits: Limits;

beforeAll(async () => {
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), `
roles:
  metered:   { environments: { sales: read }, limits: { calls_per_minute: 2, rows_per_hour: 500 } }
  generous:  { environments: { "*": read }, limits: { calls_per_minute: 50 } }
  unlimited: { environments: { sales: write } }
  elsewhere: { environments: { hr: read }, limits: { calls_per_minute: 1 } }
environments:
  sales: { database: "sqlite:./sales.sqlite", limits: { calls_per_minute: 10, concurrent_queries: 3 } }
  hr: { database: "sqlite:./hr.sqlite" }
`);
  const config = loadConfig({ env: {}, cwd: dir });
  const opened = await openEnvironment('sales', `sqlite:${path.join(dir, 'sales.sqlite')}`, { limits: { calls_per_minute: 10, concurrent_queries: 3 } });
  sales = { ...opened, namedRoleLimits: namedRoleLimits(config.roles, 'sales') };
  limits = await openLimits(limitsSchema.parse({}), createLogger('silent'));
});

afterAll(async () => {
  await sales?.dialect.close();
  await limits?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const caller = (user: string, roles?: string[]): Identity => ({ user, via: 'oauth', environment: 'sales', canWrite: false, scopes: ['sql:read'], roles });
const work = async () => ({ structured: { row_count: 1 } });

async function callsBeforeRefusal(identity: Identity): Promise<{ calls: number; message: string }> {
  for (let calls = 0; calls < 20; calls++) {
    const refused = await limits.usage.run(limitScope(sales, identity), work).then(() => undefined, (err: unknown) => err);
    if (refused) {
      expect(refused).toBeInstanceOf(RateLimitedError);
      return { calls, message: (refused as RateLimitedError).message };
    }
  }
  throw new Error('never refused');
}

describe('limits of named roles', () => {
  it('holds the limits of the roles that give the environment and have limits, by name', () => {
    expect([...sales.namedRoleLimits.keys()]).toEqual(['metered', 'generous']);
    expect(sales.namedRoleLimits.get('metered')).toEqual({ callsPerMinute: 2, concurrentQueries: undefined, rowsPerHour: 500 });
  });

  it('adds the caller\'s roles\' limits to the environment\'s, and the stricter value of each limit wins', async () => {
    const scope = limitScope(sales, caller('mia', ['generous', 'metered', 'unlimited']));
    expect(scope.limitSets).toEqual([
      { callsPerMinute: 10, concurrentQueries: 3, rowsPerHour: undefined },
      { callsPerMinute: 50, concurrentQueries: undefined, rowsPerHour: undefined },
      { callsPerMinute: 2, concurrentQueries: undefined, rowsPerHour: 500 },
    ]);
    expect(await callsBeforeRefusal(caller('mia', ['generous', 'metered']))).toMatchObject({
      calls: 2,
      message: expect.stringMatching(/^Limit reached: calls_per_minute is 2 for mia in environment "sales"\. Retry in \d+ s\.$/),
    });
  });

  it('keeps the environment\'s limit where it is the stricter, and for a caller without roles', async () => {
    expect((await callsBeforeRefusal(caller('gus', ['generous']))).calls).toBe(10);
    expect((await callsBeforeRefusal(caller('nora'))).calls).toBe(10);
  });

  it('takes no limits from a role that does not give this environment, or that the configuration does not have', () => {
    expect(limitScope(sales, caller('eli', ['elsewhere', 'retired'])).limitSets).toEqual([{ callsPerMinute: 10, concurrentQueries: 3, rowsPerHour: undefined }]);
  });
});
