/**
 * The stores' ping, which /ready rests on: it answers while the store can be read, writes nothing, and rejects with
 * UnavailableError once the store cannot be reached (a closed handle; a PostgreSQL database that refuses connections).
 */
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.js';
import { withPgClient } from '../support/test-databases.js';
import { AUDIT_BACKENDS, postgresAuditBackend } from './audit-log-backends.js';
import { postgresBackend, sqliteBackend } from './store-backends.js';

describe.each(AUDIT_BACKENDS)('the audit trail on $name', ({ setUp }) => {
  const backend = setUp();

  it('answers a ping without writing a record, and refuses one once closed', async () => {
    const store = await backend.open();
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.page(0, 10)).toEqual([]);
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });
});

describe.each([{ name: 'SQLite', setUp: sqliteBackend }, { name: 'PostgreSQL', setUp: () => postgresBackend() }])('the state store on $name', ({ setUp }) => {
  const backend = setUp();

  it('answers a ping, and refuses one once closed', async () => {
    const store = await backend.open();
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.users.list()).toEqual([]);
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });
});

describe('a PostgreSQL audit trail whose database stops taking connections', () => {
  const backend = postgresAuditBackend();

  it('fails its ping with UnavailableError, and answers again once the database takes connections', async () => {
    const store = await backend.open();
    const database = new URL(backend.url).pathname.slice(1);
    const admin = new URL(backend.url);
    admin.pathname = '/postgres';
    const allowConnections = (allowed: boolean) => withPgClient(admin.toString(), async (c) => {
      await c.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS ${allowed}`);
      if (!allowed) await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    });
    await allowConnections(false);
    try {
      // The pool may first lend a connection that was just terminated: the ping after that one reconnects.
      await store.ping().catch(() => undefined);
      const refused = await store.ping().catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(UnavailableError);
      expect((refused as UnavailableError).message).toContain('audit trail');
    } finally {
      await allowConnections(true);
    }
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
