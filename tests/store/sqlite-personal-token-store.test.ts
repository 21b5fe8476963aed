/**
 * The personal token store contract on the SQLite backend, and a file that holds the hash but never the token.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/store/open-state-store.js';
import { describePersonalTokenStoreContract, newToken, withUsers } from './personal-token-store-contract.js';
import { sqliteBackend } from './store-backends.js';

describePersonalTokenStoreContract(sqliteBackend());

describe('SQLite personal token file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('holds the hash but never the token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-store-'));
    dirs.push(dir);
    const file = path.join(dir, 'state.sqlite');
    const store = await openStateStore({ kind: 'sqlite', file });
    await withUsers(store, 'alice');
    const token = newToken('alice', { description: 'ci job' });
    await store.personalTokens.add(token);
    await store.close();
    const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
    expect(bytes.includes(Buffer.from(token.token))).toBe(false);
    expect(bytes.includes(Buffer.from(token.tokenHash))).toBe(true);
  });
});
