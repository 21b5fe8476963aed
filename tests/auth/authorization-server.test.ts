/**
 * AuthorizationServer.providerFor: oidc-provider is loaded on first use (issue 12), so the first call waits for the
 * import. Requests that arrive together for a new base must still end with one provider for it, and the issuers
 * it keeps stay bounded (least recently used forgotten first).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthorizationServer } from '../../src/auth/authorization-server.js';
import { loadConfig } from '../../src/config/load.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import type { StateStore } from '../../src/store/state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';

let dir: string;
let store: StateStore;
let server: AuthorizationServer;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-authz-server-'));
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), 'environments:\n  demo:\n    database: sqlite:./demo.sqlite\n');
  const config = loadConfig({ env: {}, cwd: dir, environmentsToOpen: [] });
  store = await openStateStore({ kind: 'sqlite', file: path.join(dir, 'state.sqlite') });
  server = await AuthorizationServer.create({
    auth: config.auth, store, environments: [{ name: 'demo', readOnly: true }], roles: config.roles, logger: createLogger('silent'),
  });
});
afterEach(async () => {
  server.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('AuthorizationServer.providerFor', () => {
  it('gives concurrent first requests for one base the same provider', async () => {
    const [a, b, c] = await Promise.all(['http://a.test', 'http://a.test', 'http://a.test'].map((base) => server.providerFor(base)));
    expect(a!.issuer).toBe('http://a.test');
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(await server.providerFor('http://a.test')).toBe(a);
  });

  it('keeps at most 16 issuers, forgetting the least recently used', async () => {
    const providers = [];
    for (let i = 0; i < 16; i++) providers.push(await server.providerFor(`http://host-${i}.test`));
    // Using host-0 again makes host-1 the least recently used: the 17th issuer pushes that one out.
    expect(await server.providerFor('http://host-0.test')).toBe(providers[0]);
    await server.providerFor('http://host-16.test');
    expect(await server.providerFor('http://host-0.test')).toBe(providers[0]);
    expect(await server.providerFor('http://host-2.test')).toBe(providers[2]);
    expect(await server.providerFor('http://host-1.test')).not.toBe(providers[1]);
  });
});
