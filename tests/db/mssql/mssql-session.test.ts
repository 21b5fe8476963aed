/**
 * Sessions and streaming statements on a scripted connection (scripted-peer.ts plays tedious's side), driven
 * through run-query.ts as the tools drive them: transaction and lock timeout, sp_executesql with @p parameters,
 * streaming with backpressure, cancel at truncation, timeouts, cancellation, and the read-only rules — each against
 * both ways TDS engines report transactions (SQL Server: every change; Babelfish: only the transaction-manager
 * requests' own).
 */
import { describe, expect, it, vi } from 'vitest';
import type { Dialect, SessionOptions } from '../../../src/db/dialect.js';
import { catalogQuery } from '../../../src/db/catalog-query.js';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import { mssqlToError } from '../../../src/db/mssql/mssql-errors.js';
import { MssqlSession } from '../../../src/db/mssql/mssql-session.js';
import { SqlgateError } from '../../../src/errors.js';
import { BIGINT, INT, NVARCHAR, ScriptedPeer, serverError, TDS_ENGINES, type Script, type TdsEngine } from './scripted-peer.js';

interface Harness {
  peer: ScriptedPeer;
  dialect: Dialect;
  releases: boolean[];
}

function harness(engine: TdsEngine, readOnlyEnvironment = true): Harness {
  const peer = new ScriptedPeer(engine);
  const releases: boolean[] = [];
  const dialect = {
    session: (options: SessionOptions) => MssqlSession.begin(peer, options, (destroy) => releases.push(destroy)),
    toError: (err: unknown) => mssqlToError(err, { readOnly: readOnlyEnvironment }),
  } as unknown as Dialect;
  return { peer, dialect, releases };
}

function query(h: Harness, sql: string, overrides: Partial<QueryRequest> = {}) {
  return runQuery(h.dialect, { sql, params: [], readOnly: true, maxRows: 1_000, timeoutMs: 5_000, maxBinaryBytes: 1_024, ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<SqlgateError> {
  const error = await promise.then(() => null, (err: unknown) => err);
  expect(error).toBeInstanceOf(SqlgateError);
  return error as SqlgateError;
}

const numbers = (count: number): Script => async (peer) => {
  peer.columns({ name: 'n', type: INT });
  for (let n = 1; n <= count && !peer.isCancelled; n++) await peer.row(n);
  peer.done(count);
};

describe.each(TDS_ENGINES)('MssqlSession on %s', (engine) => {
  it('begins and rolls back with transaction-manager requests, setting the lock timeout only when it changes', async () => {
    const h = harness(engine);
    h.peer.willRun(numbers(3));
    const result = await query(h, 'SELECT n FROM numbers', { timeoutMs: 800 });
    expect(result.rows).toEqual([[1], [2], [3]]);
    expect(h.peer.batches).toEqual(['SET LOCK_TIMEOUT 800;', '<begin>', '<rollback>']);
    expect(h.releases).toEqual([false]);
    await query(h, 'SELECT 1');
    await query(h, 'SELECT 1');
    // The same timeout again: the begin is the session's one round trip before the statement.
    expect(h.peer.batches.slice(3)).toEqual(['SET LOCK_TIMEOUT 5000;', '<begin>', '<rollback>', '<begin>', '<rollback>']);
    expect(h.peer.trancount).toBe(0);
  });

  it("runs sqlgate's own catalog statements in one round trip: no transaction to begin or end", async () => {
    const h = harness(engine);
    h.peer.willRun(numbers(1), numbers(2));
    await query(h, 'SELECT 1');
    const before = h.peer.batches.length;
    expect(await catalogQuery(h.dialect, 'SELECT n FROM sys.tables')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(h.peer.batches.slice(before)).toEqual([]);
    expect(h.peer.requests).toHaveLength(2);
    expect(h.releases).toEqual([false, false]);
  });

  it('sends the statement as is, with @p1 … @pN declared from the values', async () => {
    const h = harness(engine);
    h.peer.willRun(async (peer) => {
      peer.columns({ name: 'name', type: NVARCHAR }, { name: 'big', type: BIGINT });
      await peer.row('Alice Adams', '9007199254740993');
      peer.done(1);
    });
    const result = await query(h, 'SELECT name, big FROM customers WHERE state = @p1 AND id > @p2', { params: ['CA', 0] });
    const [request] = h.peer.requests;
    expect(request!.sqlTextOrProcedure).toBe('SELECT name, big FROM customers WHERE state = @p1 AND id > @p2');
    expect(request!.parameters.map((p) => [p.name, p.type.name, p.value])).toEqual([['p1', 'NVarChar', 'CA'], ['p2', 'Int', 0]]);
    expect(result.columns).toEqual([{ name: 'name', type: 'nvarchar' }, { name: 'big', type: 'bigint' }]);
    expect(result.rows).toEqual([['Alice Adams', '9007199254740993']]);
    expect(result.rowsAffected).toBeNull();
  });

  it('stops the server at max_rows + 1 with a cancel, and flags the truncation', async () => {
    const h = harness(engine);
    h.peer.willRun(numbers(2_500));
    const result = await query(h, 'SELECT n FROM numbers ORDER BY n');
    expect(result.rowCount).toBe(1_000);
    expect(result.truncated).toBe(true);
    expect(result.rows.at(-1)).toEqual([1_000]);
    expect(h.peer.cancelCount).toBe(1);
    expect(h.releases).toEqual([false]);
  });

  it('pauses the request while rows wait to be read', async () => {
    const h = harness(engine);
    h.peer.willRun(numbers(6_000));
    const session = await h.dialect.session({ readOnly: true, timeoutMs: 5_000 });
    const cursor = session.execute('SELECT n FROM numbers', []);
    const first = await cursor.read(10);
    expect(first.rows).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1]));
    await vi.waitFor(() => expect(h.peer.pausedCount).toBeGreaterThan(0), { timeout: 5_000 });
    expect(h.peer.requests[0]!.paused).toBe(true);
    // Paused once 2,000 rows wait unread: the rest stays on the server until they are read.
    expect(h.peer.rowsSent).toBe(2_010);
    let total = first.rows.length;
    for (;;) {
      const batch = await cursor.read(1_000);
      total += batch.rows.length;
      if (batch.done) break;
    }
    expect(total).toBe(6_000);
    await session.finish('rollback');
  });

  it('times out a statement that sends nothing, in tedious, and keeps the connection', async () => {
    const h = harness(engine);
    h.peer.willRun(async (peer) => peer.sleep(10_000));
    const started = Date.now();
    const error = await failure(query(h, "WAITFOR DELAY '00:00:10'", { timeoutMs: 200 }));
    expect(error.code).toBe('SG_TIMEOUT');
    expect(error.message).toContain('200 ms limit');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(h.releases).toEqual([false]);
  });

  it('times out a statement that streams slowly, which tedious alone would let run', async () => {
    const h = harness(engine);
    h.peer.willRun(async (peer) => {
      peer.columns({ name: 'n', type: INT });
      for (let n = 1; !peer.isCancelled; n++) {
        await peer.row(n);
        await peer.sleep(50);
      }
    });
    const error = await failure(query(h, 'SELECT slowly', { timeoutMs: 300 }));
    expect(error.code).toBe('SG_TIMEOUT');
    expect(h.peer.cancelCount).toBe(1);
  });

  it('cancels the statement in the database when the caller aborts', async () => {
    const h = harness(engine);
    h.peer.willRun(async (peer) => peer.sleep(10_000));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(query(h, 'SELECT slow', { signal: controller.signal }));
    expect(error.code).toBe('SG_CANCELLED');
    expect(h.peer.cancelCount).toBe(1);
    expect(h.releases).toEqual([false]);
  });

  it('refuses a parameter it cannot bind before anything is sent', async () => {
    const h = harness(engine);
    const error = await failure(query(h, 'SELECT @p1', { params: [{ nested: true }] }));
    expect(error).toMatchObject({ code: 'SG_INVALID_INPUT', message: expect.stringContaining('@p1') });
    expect(h.peer.requests).toEqual([]);
    expect(h.releases).toEqual([false]);
  });

  it('never starts a statement cancelled before its first read', async () => {
    const h = harness(engine);
    const session = await h.dialect.session({ readOnly: true, timeoutMs: 5_000 });
    const cursor = session.execute('SELECT 1', []);
    await session.cancel();
    await expect(cursor.read(10)).rejects.toMatchObject({ code: 'ECANCEL' });
    await session.finish('rollback');
    expect(h.peer.requests).toEqual([]);
    expect(h.releases).toEqual([false]);
  });

  it('reports the server error of a failed statement', async () => {
    const h = harness(engine);
    h.peer.willRun(async () => {
      throw serverError(102, "Incorrect syntax near 'SELEC'.");
    });
    const error = await failure(query(h, 'SELEC 1'));
    expect(error).toMatchObject({ code: 'SG_QUERY_FAILED', message: "SQL Server error 102: Incorrect syntax near 'SELEC'." });
    expect(h.releases).toEqual([false]);
  });

  it('refuses more than one result set', async () => {
    const h = harness(engine);
    h.peer.willRun(async (peer) => {
      await numbers(2)(peer);
      peer.columns({ name: 'other', type: NVARCHAR });
      await peer.row('x');
      peer.done(1);
    });
    const error = await failure(query(h, 'SELECT n FROM numbers; SELECT other'));
    expect(error.code).toBe('SG_QUERY_FAILED');
    expect(error.hint).toContain('one statement');
  });

  it('joins the chunks of a FOR JSON result into one value', async () => {
    const h = harness(engine);
    h.peer.willRun(async (peer) => {
      peer.columns({ name: 'JSON_F52E2B61-18A1-11d1-B105-00805F49916B', type: NVARCHAR });
      await peer.row('[{"id":1},');
      await peer.row('{"id":2}]');
      peer.done(2);
    });
    const result = await query(h, 'SELECT id FROM customers FOR JSON PATH');
    expect(result.rows).toEqual([['[{"id":1},{"id":2}]']]);
  });

  describe('read-only', () => {
    it('refuses a statement that changes rows, and rolls it back', async () => {
      const h = harness(engine);
      h.peer.willRun(async (peer) => peer.done(4));
      const error = await failure(query(h, 'DELETE FROM orders'));
      expect(error.code).toBe('SG_READ_ONLY');
      expect(h.peer.batches.at(-1)).toBe('<rollback>');
      expect(h.releases).toEqual([false]);
    });

    it('refuses a statement that ends the transaction, and destroys the connection', async () => {
      const scripts: Script[] = [async (peer) => peer.endTransaction('commit'), async (peer) => peer.endTransaction('rollback')];
      // Only SQL Server says that a statement began a new transaction after its COMMIT: Babelfish's @@TRANCOUNT is
      // 1 again and the rollback finds a transaction (that case is in the next test).
      if (engine === 'sql-server') {
        scripts.push(async (peer) => {
          peer.endTransaction();
          peer.beginTransaction();
        });
      }
      for (const script of scripts) {
        const h = harness(engine);
        h.peer.willRun(async (peer) => {
          await script(peer);
          await numbers(1)(peer);
        });
        const error = await failure(query(h, 'COMMIT; SELECT 1'));
        expect(error.code).toBe('SG_READ_ONLY');
        expect(error.message).toContain('transaction');
        expect(h.releases).toEqual([true]);
      }
    });

    if (engine === 'babelfish') {
      it('cannot see COMMIT; BEGIN TRANSACTION there, and rolls back what followed it (docs/dialects/mssql.md)', async () => {
        const h = harness(engine);
        h.peer.willRun(async (peer) => {
          peer.endTransaction();
          peer.beginTransaction();
          await numbers(1)(peer);
        });
        await query(h, 'COMMIT; BEGIN TRANSACTION; SELECT 1');
        expect(h.peer.batches.at(-1)).toBe('<rollback>');
        expect(h.peer.trancount).toBe(0);
      });
    }

    it('reports an ended transaction even when the statement was cut at max_rows', async () => {
      const h = harness(engine);
      h.peer.willRun(async (peer) => {
        peer.endTransaction();
        await numbers(50)(peer);
      });
      const error = await failure(query(h, 'COMMIT; SELECT n FROM numbers', { maxRows: 5 }));
      expect(error.code).toBe('SG_READ_ONLY');
      expect(h.releases).toEqual([true]);
    });

    it('lets a deadlock the server rolled back be a deadlock', async () => {
      const h = harness(engine);
      h.peer.willRun(async (peer) => peer.fail(1205, 'Transaction (Process ID 52) was deadlocked on lock resources with another process.', { rollsBack: true }));
      const error = await failure(query(h, 'SELECT 1'));
      expect(error.code).toBe('SG_BUSY');
      expect(h.releases).toEqual([false]);
    });

    it('reports an error that also rolled the transaction back as that error, with its number', async () => {
      const h = harness(engine);
      h.peer.willRun(async (peer) => peer.fail(33557097, 'column "nme" does not exist', { rollsBack: true }));
      const error = await failure(query(h, 'SELECT nme FROM customers'));
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.message).toContain('column "nme" does not exist');
      expect(error.message).toContain('33557097');
      // Nothing is left open: the connection goes back to the pool.
      expect(h.releases).toEqual([false]);
      expect(h.peer.trancount).toBe(0);
      h.peer.willRun(numbers(1));
      expect((await query(h, 'SELECT 1')).rows).toEqual([[1]]);
    });

    it('still refuses a COMMIT followed by an error, where the server says it was a commit', async () => {
      const h = harness(engine);
      h.peer.willRun(async (peer) => {
        peer.endTransaction('commit');
        peer.fail(8134, 'Divide by zero error encountered.');
      });
      const error = await failure(query(h, 'COMMIT; SELECT 1/0'));
      // Babelfish says nothing of the COMMIT: only the error is left to report.
      expect(error.code).toBe(engine === 'sql-server' ? 'SG_READ_ONLY' : 'SG_QUERY_FAILED');
      expect(h.peer.trancount).toBe(0);
    });
  });

  describe('writable', () => {
    it('commits a write and reports the rows it changed', async () => {
      const h = harness(engine, false);
      h.peer.willRun(async (peer) => peer.done(1));
      const result = await query(h, 'UPDATE orders SET status = @p1 WHERE id = @p2', { readOnly: false, params: ['shipped', 5] });
      expect(result.rowsAffected).toBe(1);
      // The server's own word on the transaction before the commit: notices or not, it is still the session's one.
      expect(h.peer.batches.slice(-2)).toEqual(['<state>', '<commit>']);
      expect(h.peer.trancount).toBe(0);
      expect(h.releases).toEqual([false]);
    });

    it('refuses to commit a transaction the statement nested (BEGIN TRANSACTION), and rolls every level back', async () => {
      const h = harness(engine, false);
      h.peer.willRun(async (peer) => {
        peer.beginTransaction();
        peer.done(1);
      });
      const error = await failure(query(h, 'BEGIN TRANSACTION; UPDATE orders SET status = 1', { readOnly: false }));
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(h.peer.batches.slice(-2)).toEqual(['<state>', '<rollback>']);
      expect(h.peer.trancount).toBe(0);
      expect(h.releases).toEqual([true]);
    });

    it('does not commit a transaction an error doomed (XACT_STATE() -1), and says so', async () => {
      const h = harness(engine, false);
      h.peer.willRun(async (peer) => {
        try {
          peer.fail(2627, 'Violation of PRIMARY KEY constraint', { dooms: true }); // caught, as by TRY … CATCH
        } catch {
          peer.done(1);
        }
      });
      const error = await failure(query(h, 'BEGIN TRY INSERT … END TRY BEGIN CATCH UPDATE … END CATCH', { readOnly: false }));
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.message).toContain('uncommittable');
      expect(h.peer.batches.slice(-2)).toEqual(['<state>', '<rollback>']);
      expect(h.releases).toEqual([false]);
    });

    it('refuses transaction control of its own', async () => {
      const h = harness(engine, false);
      h.peer.willRun(async (peer) => {
        peer.endTransaction();
        peer.done(1);
      });
      const error = await failure(query(h, 'COMMIT; UPDATE orders SET status = 1', { readOnly: false }));
      expect(error.code).toBe('SG_QUERY_FAILED');
      expect(error.hint).toContain('check the data');
      expect(h.peer.batches.at(-1)).not.toBe('<commit>');
      expect(h.releases).toEqual([true]);
    });
  });

  it('destroys a connection that broke during the statement', async () => {
    const h = harness(engine);
    h.peer.willRun(async () => {
      h.peer.isBroken = true;
      throw Object.assign(new Error('Connection lost - read ECONNRESET'), { code: 'ESOCKET' });
    });
    const error = await failure(query(h, 'SELECT 1'));
    expect(error.code).toBe('SG_DB_UNAVAILABLE');
    expect(h.releases).toEqual([true]);
  });
});
