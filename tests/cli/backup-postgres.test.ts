/**
 * The runbook's PostgreSQL backup (docs/operations/backup.md), run as written: pg_dump of the store's database,
 * pg_restore into a fresh one, and a token issued before the dump works against the restored store.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/store/open-state-store.js';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.js';
import { generatePersonalToken } from '../../src/auth/personal-token.js';
import { storeConfigFor } from '../store/store-backends.js';

const databases: TestDatabase[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const db of databases) await db.drop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL store backup with pg_dump and pg_restore', () => {
  it('restores the state store into a fresh database, where a token made before the dump is found', async () => {
    const source = await createTestDatabase('postgres', []);
    const target = await createTestDatabase('postgres', []);
    databases.push(source, target);
    const store = await openStateStore(storeConfigFor(source.url));
    await store.users.add({ name: 'alice', passwordHash: 'x', roles: [{ environment: 'demo', canWrite: false }] });
    const token = generatePersonalToken();
    await store.personalTokens.add({ id: token.id, userName: 'alice', environment: 'demo', canWrite: false, tokenHash: token.tokenHash, description: 'before the dump' });
    await store.close();

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-pgdump-'));
    dirs.push(dir);
    const dump = path.join(dir, 'sqlgate-state.dump');
    // The runbook's commands, with the URLs of this test's databases.
    execFileSync('pg_dump', ['--format=custom', '--no-owner', `--file=${dump}`, source.url]);
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${target.url}`, dump]);

    const restored = await openStateStore(storeConfigFor(target.url));
    try {
      expect((await restored.users.list()).map((u) => u.name)).toEqual(['alice']);
      expect((await restored.personalTokens.findByHash(token.tokenHash))?.description).toBe('before the dump');
    } finally {
      await restored.close();
    }
  });
});
