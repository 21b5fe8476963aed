/** `sqlgate grants list|revoke` and `sqlgate keys rotate` over a real state store. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hashSecret } from '../../src/auth/hash-secret.js';
import { createStoreAdapter } from '../../src/auth/oidc-adapter.js';
import { loadServerKeys } from '../../src/auth/server-keys.js';
import { EXIT_FAILURE } from '../../src/cli/exit.js';
import { runCli } from '../../src/cli/run-cli.js';
import { openStateStore } from '../../src/store/open-state-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function sqlgate(cwd: string, args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({ argv: ['node', 'sqlgate', ...args], env: {}, cwd, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stdin: undefined });
  return { code, stdout, stderr };
}

describe('sqlgate grants', () => {
  /** A configuration with a SQLite state store in a new folder, and that store opened, with its record adapter. */
  async function grantsFolder() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-grants-'));
    dirs.push(dir);
    const stateFile = path.join(dir, 'state.sqlite');
    fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({ store: { url: `sqlite:${stateFile}` }, environments: { demo: { database: 'sqlite:./demo.sqlite' } } }));
    const store = await openStateStore({ kind: 'sqlite', file: stateFile });
    return { dir, stateFile, store, Adapter: createStoreAdapter(store.oauth) };
  }

  it('lists grants with their client and scopes, and revokes one with its tokens', async () => {
    const { dir, stateFile, store, Adapter } = await grantsFolder();
    await new Adapter('Client').upsert('client-1', { client_id: 'client-1', client_name: 'Claude', redirect_uris: ['https://claude.ai/api/mcp/auth_callback'] });
    await new Adapter('Grant').upsert('grant-1', { jti: 'grant-1', accountId: 'alice', clientId: 'client-1', resources: { 'https://data.example.com/demo/mcp': 'sql:read' }, iat: 1_700_000_000, exp: 1_900_000_000, kind: 'Grant' }, 3_600);
    await new Adapter('AccessToken').upsert('token-1', { jti: 'token-1', accountId: 'alice', clientId: 'client-1', grantId: 'grant-1', kind: 'AccessToken' }, 3_600);
    await store.close();

    const listed = await sqlgate(dir, ['grants', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('grant-1  alice  Claude [client-1]  https://data.example.com/demo/mcp (sql:read)  since 2023-11-14T22:13Z');
    const json = JSON.parse((await sqlgate(dir, ['grants', 'list', '--user', 'alice', '--json'])).stdout);
    expect(json.grants).toHaveLength(1);
    expect((await sqlgate(dir, ['grants', 'list', '--user', 'bob'])).stdout).toBe('No grants.\n');

    const revoked = await sqlgate(dir, ['grants', 'revoke', 'grant-1']);
    expect(revoked).toMatchObject({ code: 0, stdout: 'Revoked grant grant-1 (2 record(s): the grant and its tokens).\n' });
    const after = await openStateStore({ kind: 'sqlite', file: stateFile });
    expect(await after.oauth.find('AccessToken', hashSecret('token-1'))).toBeUndefined();
    await after.close();

    const unknown = await sqlgate(dir, ['grants', 'revoke', 'grant-1']);
    expect(unknown.code).toBe(EXIT_FAILURE);
    expect(unknown.stderr).toContain('There is no grant "grant-1".');
  });

  it('revokes a grant whose id starts with "-" (random base64url ids do, one in 64)', async () => {
    const { dir, store, Adapter } = await grantsFolder();
    await new Adapter('Grant').upsert('-VO7Gb_84oN8Ag1B', { jti: '-VO7Gb_84oN8Ag1B', accountId: 'alice', clientId: 'client-1', iat: 1_700_000_000, exp: 1_900_000_000, kind: 'Grant' }, 3_600);
    await store.close();
    const revoked = await sqlgate(dir, ['grants', 'revoke', '-VO7Gb_84oN8Ag1B']);
    expect(revoked, revoked.stderr).toMatchObject({ code: 0, stdout: 'Revoked grant -VO7Gb_84oN8Ag1B (1 record(s): the grant and its tokens).\n' });
  });
});

describe('sqlgate keys rotate', () => {
  it('puts new signing keys first and keeps the previous ones for verification', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-keys-'));
    dirs.push(dir);
    const stateFile = path.join(dir, 'state.sqlite');
    fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({ store: { url: `sqlite:${stateFile}` }, environments: { demo: { database: 'sqlite:./demo.sqlite' } } }));
    const store = await openStateStore({ kind: 'sqlite', file: stateFile });
    const before = await loadServerKeys(store.secrets);
    await store.close();

    const rotated = await sqlgate(dir, ['keys', 'rotate']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/^New signing keys: \S+, \S+\. Restart/);

    const reopened = await openStateStore({ kind: 'sqlite', file: stateFile });
    const after = await loadServerKeys(reopened.secrets);
    await reopened.close();
    expect(after.signingKeys).toHaveLength(4);
    expect(after.signingKeys.slice(2).map((k) => k.kid)).toEqual(before.signingKeys.map((k) => k.kid));
    expect(after.cookieKeys.slice(1)).toEqual(before.cookieKeys);
  });

  it('needs no database secret of any environment', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-keys-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), stringify({
      store: { url: `sqlite:${path.join(dir, 'state.sqlite')}` },
      environments: { analytics: { database: 'postgres://reader:${UNSET_PW}@db.internal/sales', password_file: './secrets/missing' } },
    }));
    const rotated = await sqlgate(dir, ['keys', 'rotate']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(await sqlgate(dir, ['grants', 'list'])).toMatchObject({ code: 0, stdout: 'No grants.\n' });
  });
});
