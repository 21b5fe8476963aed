/**
 * session_context on SQL Server, on a scripted connection (scripted-peer.ts, which keeps SESSION_CONTEXT as the
 * server does and refuses to change a read-only key): sqlgate's own batch sets the caller's keys with
 * @read_only = 1 before the transaction, quotes are doubled, and a pooled connection that carried keys is reset
 * (sp_reset_connection) before its next session, so no caller's values reach the next one.
 */
import { describe, expect, it } from 'vitest';
import type { Dialect, SessionContext, SessionOptions } from '../../../src/db/dialect.js';
import { mssqlToError } from '../../../src/db/mssql/mssql-errors.js';
import { MssqlSession, SESSION_KEY_READ_ONLY } from '../../../src/db/mssql/mssql-session.js';
import { runQuery } from '../../../src/db/run-query.js';
import { NVARCHAR, ScriptedPeer, TDS_ENGINES, type Script, type TdsEngine } from './scripted-peer.js';

const ALICE: SessionContext = { user: 'alice', roles: 'read', client: 'claude' };
const BOB: SessionContext = { user: 'bob', roles: 'write', client: null };

function harness(engine: TdsEngine) {
  const peer = new ScriptedPeer(engine);
  const releases: boolean[] = [];
  const dialect = {
    session: (options: SessionOptions) => MssqlSession.begin(peer, options, (destroy) => releases.push(destroy)),
    toError: (err: unknown) => mssqlToError(err, { readOnly: true }),
  } as unknown as Dialect;
  return { peer, dialect, releases };
}

/** What SESSION_CONTEXT(N'user') shows the statement: the value the peer holds when it runs. */
const whoAmI = (peer: ScriptedPeer): Script => async (p) => {
  p.columns({ name: 'u', type: NVARCHAR });
  await p.row(peer.sessionContext.get('user')?.value ?? null);
  p.done(1);
};

const run = (h: ReturnType<typeof harness>, sessionContext?: SessionContext) =>
  runQuery(h.dialect, { sql: "SELECT CAST(SESSION_CONTEXT(N'user') AS nvarchar(128)) AS u", params: [], readOnly: true, maxRows: 10, timeoutMs: 800, maxBinaryBytes: 0, sessionContext });

describe.each(TDS_ENGINES)('MssqlSession with session context on %s', (engine) => {
  it("sets user, roles and client read-only with sp_set_session_context in sqlgate's own batch, before the transaction", async () => {
    const h = harness(engine);
    h.peer.willRun(whoAmI(h.peer));
    const result = await run(h, ALICE);
    expect(h.peer.batches[0]).toBe(
      'SET LOCK_TIMEOUT 800; ' +
        "EXEC sys.sp_set_session_context @key = N'user', @value = N'alice', @read_only = 1; " +
        "EXEC sys.sp_set_session_context @key = N'roles', @value = N'read', @read_only = 1; " +
        "EXEC sys.sp_set_session_context @key = N'client', @value = N'claude', @read_only = 1;",
    );
    expect(h.peer.batches[1]).toBe('<begin>');
    expect(result.rows).toEqual([['alice']]);
    expect([...h.peer.sessionContext]).toEqual([
      ['user', { value: 'alice', isReadOnly: true }],
      ['roles', { value: 'read', isReadOnly: true }],
      ['client', { value: 'claude', isReadOnly: true }],
    ]);
    // The user's statement itself goes out as sp_executesql, untouched.
    expect(h.peer.requests[0]!.sqlTextOrProcedure).toBe("SELECT CAST(SESSION_CONTEXT(N'user') AS nvarchar(128)) AS u");
  });

  it('doubles quotes, keeps every other character, and sends a missing client as NULL', async () => {
    const h = harness(engine);
    h.peer.willRun(whoAmI(h.peer));
    const result = await run(h, { user: "o'brien'); EXEC xp_cmdshell 'x'--", roles: 'write', client: null });
    expect(h.peer.batches[0]).toContain("@value = N'o''brien''); EXEC xp_cmdshell ''x''--', @read_only = 1;");
    expect(h.peer.batches[0]).toContain("@key = N'client', @value = NULL, @read_only = 1;");
    expect(result.rows).toEqual([["o'brien'); EXEC xp_cmdshell 'x'--"]]);
  });

  it("resets a reused connection before the next caller's keys, so bob never runs with alice's", async () => {
    const h = harness(engine);
    h.peer.willRun(whoAmI(h.peer), whoAmI(h.peer));
    expect((await run(h, ALICE)).rows).toEqual([['alice']]);
    expect((await run(h, BOB)).rows).toEqual([['bob']]);
    expect(h.releases).toEqual([false, false]);
    expect(h.peer.batches[3]).toBe('<reset>');
    expect(h.peer.batches[4]).toContain("@key = N'user', @value = N'bob', @read_only = 1;");
    expect(h.peer.sessionContext.get('roles')).toEqual({ value: 'write', isReadOnly: true });
  });

  it('resets before a session without context too (a catalog query), which then sees no caller', async () => {
    const h = harness(engine);
    h.peer.willRun(whoAmI(h.peer), whoAmI(h.peer), whoAmI(h.peer));
    await run(h, ALICE);
    expect((await run(h)).rows).toEqual([[null]]);
    // The reset also set LOCK_TIMEOUT back to the server's default: it is set again.
    expect(h.peer.batches.slice(3, 6)).toEqual(['<reset>', 'SET LOCK_TIMEOUT 800;', '<begin>']);
    // Nothing to reset after a session that set no keys, and nothing to set: the begin is the one round trip.
    await run(h);
    expect(h.peer.batches.slice(7)).toEqual(['<begin>', '<rollback>']);
  });

  it('never resets a connection that carried no keys: environments without session_context keep one round trip', async () => {
    const h = harness(engine);
    h.peer.willRun(whoAmI(h.peer), whoAmI(h.peer));
    await run(h);
    await run(h);
    expect(h.peer.batches.filter((b) => b === '<reset>')).toEqual([]);
  });

  it('is held by the server too: without the reset, the read-only key refuses the next value (error 15664)', async () => {
    const h = harness(engine);
    h.peer.willRun(whoAmI(h.peer));
    await run(h, ALICE);
    h.peer.hasSessionContext = false; // as if the reset were skipped
    const error = await run(h, BOB).then(() => null, (err: unknown) => err as Error & { number?: number });
    expect(error?.message).toContain("Cannot set key 'user' in the session context");
    expect(SESSION_KEY_READ_ONLY).toBe(15664);
    expect(h.peer.sessionContext.get('user')?.value).toBe('alice');
  });
});
