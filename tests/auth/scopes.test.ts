/**
 * The server's one rule for who may use what (auth/scopes.ts): a user's own roles and their named roles, unioned;
 * a named role the configuration no longer has gives nothing; writing also needs a writable environment.
 */
import { describe, expect, it } from 'vitest';
import { allowedScopes, environmentAccess } from '../../src/auth/scopes.js';
import type { NamedRoles, RoleAccess } from '../../src/config/schema.js';
import type { StoredUser, UserRole } from '../../src/store/user-store.js';

const role = (environments: Record<string, RoleAccess>) => ({ environments: new Map(Object.entries(environments)) });

const ROLES: NamedRoles = new Map([
  ['analyst', role({ analytics: 'read', demo: 'read' })],
  ['ops', role({ production: 'write' })],
  ['everywhere', role({ '*': 'read', production: 'write' })],
]);

function user(roles: UserRole[], namedRoles: string[]): StoredUser {
  return { name: 'bob', passwordHash: 'h', roles, namedRoles, createdAt: new Date(0), passwordChangedAt: new Date(0) };
}

describe('environmentAccess', () => {
  it('gives what a named role gives, and nothing elsewhere', () => {
    const bob = user([], ['analyst']);
    expect(environmentAccess(bob, 'analytics', true, ROLES)).toEqual({ scopes: ['sql:read'], roles: ['analyst'] });
    expect(environmentAccess(bob, 'production', true, ROLES)).toEqual({ scopes: [], roles: [] });
  });

  it('lets a role that writes write only in a writable environment', () => {
    const bob = user([], ['ops']);
    expect(allowedScopes(bob, 'production', true, ROLES)).toEqual(['sql:read', 'sql:write']);
    expect(allowedScopes(bob, 'production', false, ROLES)).toEqual(['sql:read']);
  });

  it('unions the user\'s own roles with their named roles: the wider access wins', () => {
    const bob = user([{ environment: 'production', canWrite: false }, { environment: 'scratch', canWrite: true }], ['analyst', 'ops']);
    expect(environmentAccess(bob, 'production', true, ROLES)).toEqual({ scopes: ['sql:read', 'sql:write'], roles: ['ops'] });
    expect(environmentAccess(bob, 'scratch', true, ROLES)).toEqual({ scopes: ['sql:read', 'sql:write'], roles: [] });
    expect(environmentAccess(bob, 'demo', true, ROLES)).toEqual({ scopes: ['sql:read'], roles: ['analyst'] });
  });

  it('reads a role\'s "*" for every environment it does not name, and its own entry where it names one', () => {
    const bob = user([], ['everywhere']);
    expect(allowedScopes(bob, 'anything', true, ROLES)).toEqual(['sql:read']);
    expect(allowedScopes(bob, 'production', true, ROLES)).toEqual(['sql:read', 'sql:write']);
  });

  it('gives nothing for a named role the configuration no longer has (nor for a name of Object\'s own)', () => {
    expect(environmentAccess(user([], ['retired', 'constructor', '__proto__']), 'demo', true, ROLES)).toEqual({ scopes: [], roles: [] });
    expect(environmentAccess(user([{ environment: 'demo', canWrite: false }], ['retired']), 'demo', true, ROLES)).toEqual({ scopes: ['sql:read'], roles: [] });
  });

  it('keeps the rule for the user\'s own roles: one for the environment beats one for every environment', () => {
    const bob = user([{ environment: '*', canWrite: true }, { environment: 'demo', canWrite: false }], []);
    expect(allowedScopes(bob, 'demo', true, ROLES)).toEqual(['sql:read']);
    expect(allowedScopes(bob, 'other', true, ROLES)).toEqual(['sql:read', 'sql:write']);
  });
});
