import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staleNamedRoles, staleNamedRolesWarning } from '../../src/auth/stale-named-roles.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import type { StateStore } from '../../src/store/state-store.js';

let dir: string;
let store: StateStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-stale-roles-'));
  store = await openStateStore({ kind: 'sqlite', file: path.join(dir, 'state.sqlite') });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const configured = new Map([['analyst', { environments: new Map([['demo', 'read' as const]]) }]]);

describe('staleNamedRoles', () => {
  it('finds the named roles users hold that the configuration no longer defines, with their users', async () => {
    await store.users.add({ name: 'ann', passwordHash: 'x', roles: [], namedRoles: ['analyst', 'auditor'] });
    await store.users.add({ name: 'bob', passwordHash: 'x', roles: [], namedRoles: ['auditor', 'ops'] });
    await store.users.add({ name: 'cy', passwordHash: 'x', roles: [], namedRoles: ['analyst'] });
    const stale = await staleNamedRoles(store.users, configured);
    expect(stale).toEqual(new Map([['auditor', ['ann', 'bob']], ['ops', ['bob']]]));
    const warning = staleNamedRolesWarning(stale);
    expect(warning).toContain('auditor (ann, bob); ops (bob)');
    expect(warning).toContain('sqlgate users roles NAME');
  });

  it('finds nothing when every held role is configured, and shortens long user lists', async () => {
    await store.users.add({ name: 'ann', passwordHash: 'x', roles: [], namedRoles: ['analyst'] });
    expect((await staleNamedRoles(store.users, configured)).size).toBe(0);
    expect(staleNamedRolesWarning(new Map([['gone', ['a', 'b', 'c', 'd', 'e', 'f', 'g']]]))).toContain('gone (a, b, c, d, e and 2 more)');
  });
});
