/**
 * Per-user limits on real servers counting in a real Redis: the (N+1)th call of a minute refused as a tool error
 * and, over HTTP, as 429 + Retry-After before any work; a second concurrent call refused while a slow query runs
 * and allowed after; rows_per_hour counting returned rows; two instances on one Redis sharing every count (tool
 * calls, the sign-in lockout, registrations); and a Redis that does not answer: tool calls pass (fail open, logged
 * loudly), sign-ins and registrations are refused (fail closed) with a clear message.
 */
import path from 'node:path';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditLog } from '../../src/store/open-state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { csrfOf, FormBrowser, mcpCall } from '../support/oauth-client.js';
import { authorizeUrl, pkce, register, registerClient, REDIRECT_URI } from '../support/oauth-attack.js';
import { freePort, startApp, type RunningApp } from '../support/start-app.js';
import { deleteKeysUnder, REDIS_URL, uniqueKeyPrefix } from '../support/test-redis.js';

/** Counts to 20 million: a couple of seconds in SQLite, and a plain read the statement gate lets through. */
const SLOW_QUERY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) SELECT count(*) AS n FROM c';

const demo = (limits: Record<string, number>) => ({ database: 'sqlite:./demo.sqlite', demo: true, limits });

const call = (app: RunningApp, environment: string, query: string) =>
  mcpCall(`${app.baseUrl}/${environment}/mcp`, undefined, 'tools/call', { name: 'execute_sql', arguments: { query } });

/** The tool result's text, failing the test when the HTTP request itself was refused. */
function toolText(response: { status: number; body: any }): { isError: boolean; text: string } {
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return { isError: response.body.result?.isError === true, text: response.body.result?.content?.[0]?.text ?? '' };
}

describe('tool call limits, two instances on one Redis', () => {
  const prefix = uniqueKeyPrefix('e2e');
  let first: RunningApp;
  let second: RunningApp;

  beforeAll(async () => {
    const config = {
      limits: { store: REDIS_URL, key_prefix: prefix },
      environments: {
        calls: demo({ calls_per_minute: 3 }),
        early: demo({ calls_per_minute: 2 }),
        slow: demo({ concurrent_queries: 1 }),
        rows: demo({ rows_per_hour: 10 }),
        shared: demo({ calls_per_minute: 3 }),
      },
    };
    first = await startApp(config);
    second = await startApp(config);
  }, 60_000);

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await deleteKeysUnder(prefix);
  });

  it('answers the (N+1)th call of a minute with a tool error naming the limit and when to retry', async () => {
    // In process, as `sqlgate stdio` serves: no HTTP in front, so the tool call itself refuses.
    const server = await first.sqlgate.serverFactory('calls')({ era: 'legacy' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'limits-test', version: '1' });
    await client.connect(clientSide);
    try {
      for (let i = 0; i < 3; i++) {
        expect((await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT 1 AS one' } })).isError).toBeFalsy();
      }
      const refused = await client.callTool({ name: 'execute_sql', arguments: { query: 'SELECT 1 AS one' } });
      expect(refused.isError).toBe(true);
      const text = (refused.content as { text: string }[])[0]!.text;
      const seconds = Number(/Retry in (\d+) s\./.exec(text)?.[1]);
      expect(seconds).toBeGreaterThanOrEqual(50);
      expect(seconds).toBeLessThanOrEqual(60);
      expect(text).toBe(`SG_RATE_LIMITED: Limit reached: calls_per_minute is 3 for anonymous in environment "calls". Retry in ${seconds} s.\n`
        + 'Then make fewer, larger calls: one query that aggregates instead of one per item.');
    } finally {
      await client.close();
    }
    // The refusal is in the audit trail like any other.
    const audit = await openAuditLog({ kind: 'sqlite', file: path.join(first.dir, 'data', 'sqlgate-audit.sqlite') });
    try {
      const records = (await audit.list({}, 1_000)).map((row) => JSON.parse(row.payload) as Record<string, unknown>);
      expect(records.filter((r) => r.environment === 'calls').map((r) => [r.verdict, r.code])).toEqual([
        ['allowed', null], ['allowed', null], ['allowed', null], ['refused', 'SG_RATE_LIMITED'],
      ]);
    } finally {
      await audit.close();
    }
  });

  it('answers a tools/call from a caller already over calls_per_minute with HTTP 429 and Retry-After, before any work', async () => {
    for (let i = 0; i < 2; i++) expect(toolText(await call(first, 'early', 'SELECT 1 AS one')).isError).toBe(false);
    const refused = await call(first, 'early', 'SELECT 1 AS one');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({
      error: 'SG_RATE_LIMITED',
      message: `Limit reached: calls_per_minute is 2 for anonymous in environment "early". Retry in ${retryAfter} s.`,
      hint: 'Then make fewer, larger calls: one query that aggregates instead of one per item.',
    });
    // Only tool calls are limited: the client can still list its tools.
    expect((await mcpCall(`${first.baseUrl}/early/mcp`, undefined, 'tools/list')).status).toBe(200);
  });

  it('refuses a second call while a slow query runs (concurrent_queries: 1), and allows it once the first has finished', async () => {
    const started = performance.now();
    const slow = call(first, 'slow', SLOW_QUERY);
    // Sent until it meets the slow call running (the first tries may come before the slow call took its slot).
    let refusal = '';
    await expect.poll(async () => {
      const attempt = toolText(await call(first, 'slow', 'SELECT 1 AS one'));
      if (attempt.isError) refusal = attempt.text;
      return attempt.isError;
    }, { timeout: 10_000, interval: 50 }).toBe(true);
    expect(refusal).toBe('SG_RATE_LIMITED: Limit reached: concurrent_queries is 1 for anonymous in environment "slow", and that many of their calls are running. Retry when one of them has finished.\n'
      + 'Run these calls one after another instead of at the same time.');
    // The other instance counts the same slots.
    expect(toolText(await call(second, 'slow', 'SELECT 1 AS one')).text).toContain('concurrent_queries is 1');
    const finished = toolText(await slow);
    expect(finished.isError, finished.text).toBe(false);
    expect(finished.text).toContain('20000000');
    expect(performance.now() - started).toBeGreaterThan(300); // it was slow enough to overlap
    expect(toolText(await call(first, 'slow', 'SELECT 2 AS two'))).toEqual({ isError: false, text: expect.stringContaining('2') });
  });

  it('counts the rows calls return against rows_per_hour', async () => {
    for (let i = 0; i < 2; i++) {
      const answer = await call(first, 'rows', 'SELECT * FROM customers LIMIT 7');
      expect(toolText(answer).isError).toBe(false);
      expect(answer.body.result.structuredContent.row_count).toBe(7);
    }
    const refused = await call(second, 'rows', 'SELECT 1 AS one');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3_500);
    expect(refused.body.message).toBe(`Limit reached: rows_per_hour is 10 for anonymous in environment "rows" (14 rows returned in this hour). Retry in ${retryAfter} s.`);
  });

  it('shares one budget between instances that name the same Redis', async () => {
    expect(toolText(await call(first, 'shared', 'SELECT 1 AS one')).isError).toBe(false);
    expect(toolText(await call(second, 'shared', 'SELECT 1 AS one')).isError).toBe(false);
    expect(toolText(await call(first, 'shared', 'SELECT 1 AS one')).isError).toBe(false);
    expect((await call(second, 'shared', 'SELECT 1 AS one')).status).toBe(429);
    expect((await call(first, 'shared', 'SELECT 1 AS one')).status).toBe(429);
  });
});

/** A fresh browser at the sign-in form of a new authorization request on `app`. */
async function openSignIn(app: RunningApp, clientId?: string) {
  const client = clientId ?? (await registerClient(app.baseUrl)).clientId;
  const browser = new FormBrowser(app.baseUrl);
  const page = await browser.open(authorizeUrl(app.baseUrl, { client_id: client, code_challenge: pkce().challenge }));
  expect(page.status).toBe(200);
  const uid = /\/interaction\/([^/"]+)\//.exec(page.body)![1]!;
  return {
    signIn: (username: string, password: string) => browser.open(`${app.baseUrl}/interaction/${uid}/login`, { csrf: csrfOf(page.body), username, password }),
  };
}

describe('the authorization server\'s limits, two instances on one Redis', () => {
  const prefix = uniqueKeyPrefix('e2e-auth');
  let first: RunningApp;
  let second: RunningApp;

  beforeAll(async () => {
    const config = {
      auth: { mode: 'oauth', max_failed_logins: 2, registrations_per_hour: 4 },
      limits: { store: REDIS_URL, key_prefix: prefix },
      environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true } },
    };
    [first, second] = await Promise.all([startApp(config), startApp(config)]);
  }, 60_000);

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await deleteKeysUnder(prefix);
  });

  it('locks a user name on every instance after max_failed_logins failures on any of them', async () => {
    // Two registrations so far (one per instance): the registration test below counts on it.
    const onFirst = await openSignIn(first);
    for (let i = 0; i < 2; i++) {
      const wrong = await onFirst.signIn('mallory', `guess ${i}`);
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('Wrong user name or password.');
    }
    const onSecond = await openSignIn(second);
    const locked = await onSecond.signIn('Mallory', 'guess 3');
    expect(locked.status).toBe(429);
    expect(locked.body).toContain('Too many failed sign-ins. Try again in');
    // Another name is not locked (the address has 4 × max_failed_logins tries).
    expect((await onSecond.signIn('trudy', 'guess')).status).toBe(401);
  });

  it('counts registrations per address over every instance', async () => {
    expect((await register(first.baseUrl)).status).toBe(201);
    expect((await register(second.baseUrl)).status).toBe(201);
    const refused = await register(first.baseUrl);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: 'too_many_requests', error_description: 'more than 4 registrations from this address in an hour; retry later' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3_500);
    expect((await register(second.baseUrl)).status).toBe(429);
  });
});

describe('a Redis that does not answer', () => {
  let open: RunningApp;
  let oauth: RunningApp;
  const lines: Record<string, any>[] = [];
  let url: string;

  beforeAll(async () => {
    url = `redis://127.0.0.1:${await freePort()}`; // nothing listens there
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    open = await startApp({ limits: { store: url, key_prefix: uniqueKeyPrefix('down') }, environments: { demo: demo({ calls_per_minute: 1 }) } }, { logger });
    oauth = await startApp({
      auth: { mode: 'oauth', clients: [{ client_id: 'static-test', redirect_uris: [REDIRECT_URI] }] },
      limits: { store: url, key_prefix: uniqueKeyPrefix('down') },
      environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true } },
    });
  }, 60_000);

  afterAll(async () => {
    await open?.stop();
    await oauth?.stop();
  });

  it('lets tool calls through uncounted (fail open) and says so loudly', async () => {
    for (let i = 0; i < 3; i++) expect(toolText(await call(open, 'demo', 'SELECT 1 AS one')).isError).toBe(false);
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^!!! LIMITS STORE UNREACHABLE at start \(redis:\/\/127\.0\.0\.1:\d+\): until it answers, tool calls pass UNCOUNTED/),
      `!!! LIMITS STORE UNREACHABLE (${url}): tool calls pass UNCOUNTED (no limit applies) until it answers (limits.on_store_error.tool_calls: open)`,
    ]);
  });

  it('refuses sign-ins and registrations (fail closed) with a clear message', async () => {
    const page = await (await openSignIn(oauth, 'static-test')).signIn('alice', 'whatever');
    expect(page.status).toBe(503);
    expect(page.body).toContain('Sign-in is unavailable right now: the server cannot reach its limits store to count failed attempts. Try again in a minute.');
    const registration = await register(oauth.baseUrl);
    expect(registration.status).toBe(503);
    expect(registration.headers.get('retry-after')).toBe('60');
    expect(registration.body).toEqual({ error: 'temporarily_unavailable', error_description: 'registration is unavailable right now (the server cannot reach its limits store); retry in a minute' });
  });
});
