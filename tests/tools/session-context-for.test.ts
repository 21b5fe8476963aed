/** Who the database is told is calling: built from the identity, with the named roles after read/write. */
import { describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../src/config/load.js';
import type { Environment } from '../../src/environments/environment.js';
import { sessionContextFor } from '../../src/tools/session-context.js';

const environment = (overrides: Record<string, unknown>) =>
  ({ name: 'sales', config: parseEnvironmentConfig('sales', { database: 'sqlite:/tmp/never-opened.sqlite', ...overrides }, process.cwd()) }) as unknown as Environment;

describe('sessionContextFor with named roles', () => {
  it('says nothing where session_context is off', () => {
    expect(sessionContextFor(environment({}), undefined)).toBeUndefined();
  });

  it('names the user, read or write, then the named roles that give the environment, and the client', () => {
    const env = environment({ session_context: true, read_only: false });
    expect(sessionContextFor(env, { user: 'alice', clientId: 'claude', via: 'oauth', environment: 'sales', canWrite: false, scopes: ['sql:read'], roles: ['analyst', 'ops'] }))
      .toEqual({ user: 'alice', roles: 'read,analyst,ops', client: 'claude' });
    expect(sessionContextFor(env, { user: 'bob', via: 'personal-token', environment: 'sales', canWrite: true, scopes: ['sql:read', 'sql:write'] }))
      .toEqual({ user: 'bob', roles: 'write', client: null });
    expect(sessionContextFor(env, undefined)).toEqual({ user: 'anonymous', roles: 'write', client: null });
  });
});
