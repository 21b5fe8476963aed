/**
 * The SQL Server dialect with real tedious against both ways a TDS engine reports transactions (tds-wire-peer.ts):
 * SQL Server, which sends ENVCHANGE notices for every transaction a request begins or ends, and Babelfish (Aurora
 * PostgreSQL's SQL Server compatibility), which sends them only for the transaction-manager requests. Sessions begin,
 * roll back and commit with those requests; whether a statement ended sqlgate's transaction is decided from what
 * the server says — notices where there are any, else the rollback's 3903 or the @@TRANCOUNT check before a commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type QueryRequest } from '../../../src/db/run-query.js';
import type { Environment } from '../../../src/environments/environment.js';
import { GATE_SWITCHED_OFF_FOR_TESTS, openEnvironment } from '../../support/test-databases.js';
import { rejection } from '../../support/rejection.js';
import { TdsWirePeer, type TdsScriptError } from './tds-wire-peer.js';

function scriptError(number: number, message: string, rollsBack = false): TdsScriptError {
  return Object.assign(new Error(message), { number, rollsBack });
}

function request(sql: string, overrides: Partial<QueryRequest> = {}): QueryRequest {
  return { sql, params: [], readOnly: true, maxRows: 100, timeoutMs: 5_000, maxBinaryBytes: 16, ...overrides };
}

describe.each(['sql-server', 'babelfish'] as const)('the SQL Server dialect on %s', (engine) => {
  let peer: TdsWirePeer;
  let readOnly: Environment;
  let writable: Environment;

  beforeAll(async () => {
    peer = await TdsWirePeer.start({ engine });
    peer
      .answer(/^SELECT id FROM orders/, async (reply) => {
        await reply.columns({ name: 'id', type: 'int' });
        for (let id = 1; id <= 3; id++) await reply.row(id);
      })
      .answer(/^COMMIT; SELECT/, async (reply) => {
        await reply.endTransaction('commit');
        await reply.columns({ name: 'one', type: 'int' });
        await reply.row(1);
      })
      .answer(/^ROLLBACK/, async (reply) => reply.endTransaction('rollback'))
      .answer(/^SELECT nme/, async () => {
        throw scriptError(33557097, 'column "nme" does not exist', true);
      })
      .answer(/^SELEC 1/, async () => {
        throw scriptError(102, "Incorrect syntax near 'SELEC'.");
      })
      .answer(/^UPDATE orders/, async (reply) => reply.changed(1))
      .answer(/^BEGIN TRANSACTION; UPDATE/, async (reply) => reply.beginTransaction());
    const url = `sqlserver://sa:secret@127.0.0.1:${peer.port}/master?encrypt=false`;
    readOnly = await openEnvironment('ro', url, { pool: { max: 1 } }, GATE_SWITCHED_OFF_FOR_TESTS);
    writable = await openEnvironment('rw', url, { pool: { max: 1 }, read_only: false }, GATE_SWITCHED_OFF_FOR_TESTS);
  });
  afterAll(async () => {
    await readOnly?.dialect.close();
    await writable?.dialect.close();
    await peer?.close();
  });

  /** What the peer received since `mark`, without the connection's own opening batches. */
  const since = (mark: number) => peer.received.slice(mark).filter((text) => !/^SELECT @@SPID/.test(text) && !/^set ansi_nulls on/.test(text));

  it('begins with a transaction-manager request and rolls back with another: the statement runs in between', async () => {
    const mark = peer.received.length;
    const result = await runQuery(readOnly.dialect, request('SELECT id FROM orders'));
    expect(result.rows).toEqual([[1], [2], [3]]);
    expect(since(mark)).toEqual(['SET LOCK_TIMEOUT 5000;', '<begin>', 'SELECT id FROM orders', '<rollback>']);
    const again = peer.received.length;
    await runQuery(readOnly.dialect, request('SELECT id FROM orders'));
    expect(since(again)).toEqual(['<begin>', 'SELECT id FROM orders', '<rollback>']);
  });

  it("refuses a statement that ended sqlgate's transaction, and serves the next call", async () => {
    for (const sql of ['COMMIT; SELECT 1', 'ROLLBACK']) {
      const logins = peer.logins;
      const error = await rejection(runQuery(readOnly.dialect, request(sql)));
      expect(error.code, sql).toBe('SG_READ_ONLY');
      expect(error.message).toContain('transaction');
      expect((await runQuery(readOnly.dialect, request('SELECT id FROM orders'))).rowCount).toBe(3);
      // The connection of the refused statement was not trusted again.
      expect(peer.logins).toBe(logins + 1);
    }
  });

  it('reports an error that rolled the transaction back as the database error, and keeps the connection', async () => {
    const logins = peer.logins;
    const error = await rejection(runQuery(readOnly.dialect, request('SELECT nme FROM customers')));
    expect(error.code).toBe('SG_QUERY_FAILED');
    expect(error.message).toContain('column "nme" does not exist');
    const plain = await rejection(runQuery(readOnly.dialect, request('SELEC 1')));
    expect(plain.code).toBe('SG_QUERY_FAILED');
    expect((await runQuery(readOnly.dialect, request('SELECT id FROM orders'))).rowCount).toBe(3);
    expect(peer.logins).toBe(logins);
  });

  it('commits a write after the server says the transaction is still its one level', async () => {
    const mark = peer.received.length;
    const result = await runQuery(writable.dialect, request('UPDATE orders SET status = 1', { readOnly: false }));
    expect(result.rowsAffected).toBe(1);
    expect(since(mark).slice(-3)).toEqual(['UPDATE orders SET status = 1', 'SELECT @@TRANCOUNT, XACT_STATE()', '<commit>']);
  });

  it('refuses to commit when the statement nested a transaction of its own, and rolls it all back', async () => {
    const mark = peer.received.length;
    const error = await rejection(runQuery(writable.dialect, request('BEGIN TRANSACTION; UPDATE orders SET status = 1', { readOnly: false })));
    expect(error.code).toBe('SG_QUERY_FAILED');
    expect(error.message).toContain('COMMIT, ROLLBACK or BEGIN TRANSACTION');
    expect(since(mark).slice(-2)).toEqual(['SELECT @@TRANCOUNT, XACT_STATE()', '<rollback>']);
    expect(since(mark)).not.toContain('<commit>');
  });
});
