/**
 * The personal token store contract on the PostgreSQL backend (a fresh database for this file), and a table that
 * holds the hash but never the token.
 */
import { describe, expect, it } from 'vitest';
import { withPgClient } from '../support/test-databases.js';
import { describePersonalTokenStoreContract, newToken, withUsers } from './personal-token-store-contract.js';
import { postgresBackend } from './store-backends.js';

const backend = postgresBackend();
describePersonalTokenStoreContract(backend);

describe('PostgreSQL personal token table', () => {
  it('holds the hash but never the token', async () => {
    const store = await backend.open();
    await withUsers(store, 'alice');
    const token = newToken('alice');
    await store.personalTokens.add(token);
    const rows = await withPgClient(backend.database.url, async (c) => (await c.query('SELECT * FROM personal_access_tokens')).rows);
    const dump = JSON.stringify(rows);
    expect(dump).toContain(token.tokenHash);
    expect(dump).not.toContain(token.token);
  });
});
