/**
 * The audit trail on PostgreSQL, beyond the contract every backend passes (tests/audit): one gapless chain when
 * several instances append at once, migrations of its own beside the state store's, a login that may only append
 * (and the triggers that refuse rewriting records even to the owner), and failures to connect that say what is
 * wrong without the password.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, type ToolCallEvent } from '../../src/audit/audit-record.js';
import { scheduleAuditPruning } from '../../src/audit/audit-retention.js';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { verifyAudit } from '../../src/audit/verify-audit.js';
import type { StoreConfig } from '../../src/config/schema.js';
import { ConfigError, ForbiddenError, UnavailableError } from '../../src/errors.js';
import type { AuditLogStore } from '../../src/store/audit-log-store.js';
import { openAuditLog, openStateStore } from '../../src/store/open-state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createTestDatabase, PG_ADMIN_URL, withPgClient, type TestDatabase } from '../support/test-databases.js';
import { storeConfigFor } from './store-backends.js';

const databases: TestDatabase[] = [];
const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const store of closers.splice(0)) await store.close().catch(() => undefined);
  for (const database of databases.splice(0)) await database.drop();
});

async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase('postgres', []);
  databases.push(database);
  return database;
}

async function open(config: StoreConfig): Promise<AuditLogStore> {
  const store = await openAuditLog(config);
  closers.push(store);
  return store;
}

function withUrl(url: string, change: (parsed: URL) => void): string {
  const parsed = new URL(url);
  change(parsed);
  return parsed.toString();
}

function event(n: number, time = new Date().toISOString()): ToolCallEvent {
  return {
    kind: 'tool_call', time, request_id: `r${n}`, environment: 'demo', user: `user${n % 7}`, via: 'oauth', client_id: 'claude',
    tool: 'execute_sql', sql: `SELECT ${n}`, sql_sha256: null, parameters: { n }, verdict: 'allowed', code: null, reason: null,
    rows: 1, result_chars: 10, truncated: false, ms: 1,
  };
}

/** A login of this database's own, dropped after `use`; `grants` are run by the superuser first. */
async function withLogin(database: TestDatabase, grants: string, use: (url: string) => Promise<void>): Promise<void> {
  const role = `${database.name}_app`;
  await withPgClient(PG_ADMIN_URL, (c) => c.query(`CREATE ROLE ${role} LOGIN`));
  try {
    await withPgClient(database.url, (c) => c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${role}; ${grants.replaceAll('$ROLE', role)}`));
    await use(withUrl(database.url, (u) => (u.username = role)));
  } finally {
    for (const store of closers.splice(0)) await store.close().catch(() => undefined);
    await withPgClient(database.url, (c) => c.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}; REVOKE ALL ON SCHEMA public FROM ${role}`));
    await withPgClient(PG_ADMIN_URL, (c) => c.query(`DROP ROLE IF EXISTS ${role}`)).catch(() => undefined);
  }
}

describe('several instances on one PostgreSQL trail', () => {
  it('append 2 × 200 records at once, through two pools, into one gapless chain that verifies', async () => {
    const database = await freshDatabase();
    const config = storeConfigFor(database.url);
    const [first, second] = await Promise.all([open(config), open(config)]);
    const trails = [new AuditTrail(first, true), new AuditTrail(second, true)];
    const rows = await Promise.all(Array.from({ length: 400 }, (_, i) => trails[i % 2]!.record(event(i))));
    expect(rows.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const stored = await first.page(0, 1_000);
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    // Each record follows exactly one other: no two share a previous hash.
    expect(new Set(stored.map((r) => r.prevHash)).size).toBe(400);
    expect(stored[0]!.prevHash).toBe(GENESIS_HASH);
    expect(await verifyAudit(second)).toMatchObject({ records: 400, problem: null, newest: { seq: 400 } });
  });

  it('prune while others append: the chain stays whole and the next records follow on', async () => {
    const database = await freshDatabase();
    const config = storeConfigFor(database.url);
    const [first, second] = await Promise.all([open(config), open(config)]);
    const old = new AuditTrail(first, true);
    for (let n = 1; n <= 50; n++) await old.record(event(n, '2020-01-01T00:00:00.000Z'));
    const appending = Promise.all(Array.from({ length: 100 }, (_, i) => new AuditTrail(i % 2 ? first : second, true).record(event(100 + i))));
    const pruned = await second.prune('2021-01-01T00:00:00.000Z');
    await appending;
    expect(pruned).toMatchObject({ pruned: 50, anchor: { seq: 50 } });
    expect(await verifyAudit(first)).toMatchObject({ records: 100, problem: null, pruned: { seq: 50 } });
  });
});

describe('the PostgreSQL trail\'s schema', () => {
  it('is migrated once, in its own version table, and can share a database with the state store', async () => {
    const database = await freshDatabase();
    const config = storeConfigFor(database.url);
    const opened = await Promise.all([open(config), open(config), open(config)]);
    const state = await openStateStore(config);
    closers.push(state);
    const tables = await withPgClient(database.url, async (c) => ({
      audit: (await c.query('SELECT version FROM sqlgate_audit_schema')).rows,
      state: (await c.query('SELECT count(*)::int AS n FROM sqlgate_schema')).rows[0].n,
    }));
    expect(tables.audit).toEqual([{ version: 1 }]);
    expect(tables.state).toBeGreaterThan(0);
    await new AuditTrail(opened[0]!, true).record(event(1));
    await state.users.add({ name: 'alice', passwordHash: 'h', roles: [] });
    expect((await opened[2]!.list({}, 10)).map((r) => r.seq)).toEqual([1]);
    expect(opened[1]!.location).toBe(database.url);
  });

  it('refuses a trail written by a newer sqlgate', async () => {
    const database = await freshDatabase();
    const config = storeConfigFor(database.url);
    await (await open(config)).close();
    await withPgClient(database.url, (c) => c.query("INSERT INTO sqlgate_audit_schema VALUES (999, 'from the future', now())"));
    const refused = openAuditLog(config);
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(`The audit trail ${database.url} has schema version 999, newer than this sqlgate knows (1).`);
  });

  it('refuses UPDATE and TRUNCATE to every login, even the owner; a record changed past the triggers is found', async () => {
    const database = await freshDatabase();
    const store = await open(storeConfigFor(database.url));
    const trail = new AuditTrail(store, true);
    for (let n = 1; n <= 5; n++) await trail.record(event(n));
    await withPgClient(database.url, async (c) => {
      await expect(c.query("UPDATE audit_records SET payload = replace(payload, 'SELECT 3', 'SELECT 33') WHERE seq = 3"))
        .rejects.toThrow('the audit trail is append-only: UPDATE on audit_records is refused');
      await expect(c.query('TRUNCATE audit_records')).rejects.toThrow('the audit trail is append-only: TRUNCATE on audit_records is refused');
      await expect(c.query('UPDATE audit_anchor SET seq = 1')).rejects.toThrow('the audit trail is append-only: UPDATE on audit_anchor is refused');
    });
    expect(await verifyAudit(store)).toMatchObject({ records: 5, problem: null });
    // The owner may switch a trigger off first (ALTER TABLE); the chain shows what it did.
    await withPgClient(database.url, (c) => c.query(`ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;
      UPDATE audit_records SET payload = replace(payload, 'SELECT 3', 'SELECT 33') WHERE seq = 3;
      ALTER TABLE audit_records ENABLE TRIGGER audit_records_append_only`));
    expect((await verifyAudit(store)).problem).toEqual({ seq: 3, reason: 'its content was changed after it was written (its hash does not match)' });
  });
});

describe('a login that may only append', () => {
  it('cannot create the tables, and is told what to grant', async () => {
    const database = await freshDatabase();
    await withLogin(database, '', async (url) => {
      const refused = openAuditLog(storeConfigFor(url));
      await expect(refused).rejects.toBeInstanceOf(ConfigError);
      await expect(refused).rejects.toThrow(/^The audit trail postgres:\/\/.* cannot create its tables: permission denied \(42501\)\.$/);
      await expect(refused).rejects.toMatchObject({ hint: expect.stringContaining(`GRANT CREATE ON SCHEMA public TO "${database.name}_app"`) });
    });
  });

  it('with INSERT and SELECT appends, lists and verifies; may not change or delete a record, nor prune', async () => {
    const database = await freshDatabase();
    await (await open(storeConfigFor(database.url))).close(); // migrated by the owner
    await withLogin(database, 'GRANT SELECT ON sqlgate_audit_schema TO $ROLE; GRANT SELECT, INSERT ON audit_records, audit_anchor TO $ROLE', async (url) => {
      const store = await open(storeConfigFor(url));
      const trail = new AuditTrail(store, true);
      for (let n = 1; n <= 3; n++) await trail.record(event(n, '2020-01-01T00:00:00.000Z'));
      expect(await verifyAudit(store)).toMatchObject({ records: 3, problem: null });
      await withPgClient(url, async (c) => {
        await expect(c.query('UPDATE audit_records SET user_name = NULL')).rejects.toThrow('permission denied for table audit_records');
        await expect(c.query('DELETE FROM audit_records')).rejects.toThrow('permission denied for table audit_records');
      });
      const refused = store.prune('2021-01-01T00:00:00.000Z');
      await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
      await expect(refused).rejects.toThrow(`The audit trail ${url} cannot be pruned with this login: it may not delete from audit_records and audit_anchor.`);

      // A server with such a login says so once and leaves pruning to another instance, instead of failing hourly.
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
      const pruning = scheduleAuditPruning(store, { retentionSeconds: 86_400, logger, intervalMs: 10 });
      await expect.poll(() => lines.length).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pruning.stop();
      expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'audit: this instance may not prune the trail, so it leaves audit.retention to one that may' })]);
      expect(await verifyAudit(store)).toMatchObject({ records: 3, problem: null });
    });
  });

  it('with DELETE too, prunes and moves the anchor (never an UPDATE)', async () => {
    const database = await freshDatabase();
    await (await open(storeConfigFor(database.url))).close();
    await withLogin(database, 'GRANT SELECT ON sqlgate_audit_schema TO $ROLE; GRANT SELECT, INSERT, DELETE ON audit_records, audit_anchor TO $ROLE', async (url) => {
      const store = await open(storeConfigFor(url));
      const trail = new AuditTrail(store, true);
      for (let n = 1; n <= 4; n++) await trail.record(event(n, `2020-01-0${n}T00:00:00.000Z`));
      expect(await store.prune('2020-01-03T00:00:00.000Z')).toMatchObject({ pruned: 2, anchor: { seq: 2 } });
      expect(await store.prune('2020-01-04T00:00:00.000Z')).toMatchObject({ pruned: 1, anchor: { seq: 3 } });
      expect(await verifyAudit(store)).toMatchObject({ records: 1, problem: null, pruned: { seq: 3 } });
    });
  });
});

describe('PostgreSQL trail connection failures', () => {
  it('names the masked URL and the cause when nothing listens, without the password', async () => {
    const error = await openAuditLog(storeConfigFor('postgres://sqlgate:s3cret@127.0.0.1:1/audit')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toBe('Cannot connect to the audit trail postgres://sqlgate:****@127.0.0.1:1/audit (ECONNREFUSED).');
    expect((error as UnavailableError).hint).toBe('Check that PostgreSQL runs at 127.0.0.1:1 and accepts connections from here, or correct audit.url.');
    expect((error as UnavailableError).publicText).not.toContain('s3cret');
  });

  it('says so when the database does not exist, or the server refuses the login', async () => {
    const missing = storeConfigFor(withUrl(PG_ADMIN_URL, (u) => (u.pathname = '/sqlgate_no_such_database')));
    await expect(openAuditLog(missing)).rejects.toThrow(/^The database of the audit trail .* does not exist \(3D000\)\.$/);
    const nobody = storeConfigFor(withUrl(PG_ADMIN_URL, (u) => {
      u.username = 'sqlgate_no_such_role';
      u.password = 's3cret';
    }));
    const refused = await openAuditLog(nobody).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).message).toMatch(/^PostgreSQL refused the login of the audit trail postgres:\/\/sqlgate_no_such_role:\*\*\*\*@.* \(28000\)\.$/);
    expect((refused as ConfigError).hint).toContain('Check the user name and password in audit.url');
  });

  it('withholds a call whose record cannot be written once the server is gone, and goes on when it is back', async () => {
    const database = await freshDatabase();
    const store = await open(storeConfigFor(database.url));
    const trail = new AuditTrail(store, true);
    await trail.record(event(1));
    await withPgClient(PG_ADMIN_URL, (c) => c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database.name]));
    await withPgClient(PG_ADMIN_URL, (c) => c.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`));
    try {
      const error = await trail.record(event(2)).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as UnavailableError).message).toMatch(/^sqlgate's audit trail cannot be reached \(/);
      expect((error as UnavailableError).message).not.toContain('127.0.0.1');
    } finally {
      await withPgClient(PG_ADMIN_URL, (c) => c.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`));
    }
    await trail.record(event(3));
    expect(await verifyAudit(store)).toMatchObject({ records: 2, problem: null });
  });
});
