/**
 * Deleting a group's role mapping takes its access from single sign-on users at the next start, not only at their
 * next sign-in (which a client refreshing its token may never make). Local users are left alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UpstreamConfig } from '../../src/config/schema.js';
import { UPSTREAM_PASSWORD_MARK, UpstreamSignIn } from '../../src/auth/upstream-sign-in.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import type { StateStore } from '../../src/store/state-store.js';

const ISSUER = 'https://login.example.com';
let dir: string;
let store: StateStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-upstream-drop-'));
  store = await openStateStore({ kind: 'sqlite', file: path.join(dir, 'state.sqlite') });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function upstream(roleMappings: UpstreamConfig['roleMappings']): UpstreamSignIn {
  const config = {
    issuer: ISSUER, clientId: 'sqlgate', clientSecret: undefined, displayName: 'SSO', scopes: ['openid'], userClaim: 'email',
    groupsClaim: 'groups', roleMappings, allowInsecureHttp: false,
  } as UpstreamConfig;
  return new UpstreamSignIn(config, store.users, store.oauth);
}

describe('dropUnmappedAccess', () => {
  it('takes from upstream users the environments, write access and named roles no mapping gives', async () => {
    await store.users.add({
      name: 'ann@example.com', passwordHash: `${UPSTREAM_PASSWORD_MARK}${ISSUER}#sub-1`,
      roles: [{ environment: 'demo', canWrite: true }, { environment: 'old', canWrite: false }], namedRoles: ['analyst', 'gone'],
    });
    await store.users.add({ name: 'local', passwordHash: '$argon2id$local', roles: [{ environment: 'old', canWrite: true }], namedRoles: ['gone'] });
    const sso = upstream([{ group: 'readers', environments: ['demo'], write: false, roles: ['analyst'] }] as UpstreamConfig['roleMappings']);
    expect(await sso.dropUnmappedAccess()).toBe(1);
    const ann = await store.users.get('ann@example.com');
    expect(ann?.roles).toEqual([{ environment: 'demo', canWrite: false }]);
    expect(ann?.namedRoles).toEqual(['analyst']);
    const local = await store.users.get('local');
    expect(local?.roles).toEqual([{ environment: 'old', canWrite: true }]);
    expect(local?.namedRoles).toEqual(['gone']);
    // Nothing left to take: a second start changes nothing.
    expect(await sso.dropUnmappedAccess()).toBe(0);
  });
});
