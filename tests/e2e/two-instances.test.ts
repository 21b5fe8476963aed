/**
 * Scale out (docs/operations/scale-out.md): two sqlgate processes (`node dist/main.js serve`, each on a port of its
 * own) behind one nginx rendered from deploy/nginx, its upstream listing both, over TLS with a CA made for the test.
 * They share a PostgreSQL state store, a PostgreSQL audit trail (fresh scratch databases) and Redis for limits, and
 * serve one PostgreSQL database as two environments: `shop`, and `limited` with calls_per_minute.
 *
 * Each claim is checked through nginx and with requests pinned to one instance (its own port), so that both are
 * exercised whatever nginx's round robin does: a token issued by one works on the other; a refresh on one retires
 * the old refresh token on both, and reusing it revokes the family; a code or refresh token sent to both at once is
 * answered once (a replay: the family is revoked); every way of revoking applies on both at once;
 * one audit chain holds both instances' records, interleaved, and `sqlgate audit verify` finds it whole; a limit
 * counts across both; legacy SSE sessions and notifications/cancelled stay with one instance (and a hash on the
 * token keeps a client's requests together); and SIGKILL of one instance under a steady load fails exactly the calls
 * it had in flight, while nginx passes every later call, even a POST whose connect was refused, to the survivor.
 *
 * The deployment is tests/support/two-instances.ts: nginx on loopback ports of its own (nginx-acme.test.ts takes
 * 80 and 443), with an access log that says which instance answered each request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStream, type EventStream } from '../support/event-stream.js';
import { isAnswered, postMcpMessage, type McpResponse } from '../support/mcp-message.js';
import type { UpstreamLogLine } from '../support/nginx-upstream-log.js';
import { obtainAuthorizationCode, obtainTokens, postForm, TEST_PASSWORD, type RawTokens } from '../support/oauth-client.js';
import { runSqlgate, type CommandResult } from '../support/run-sqlgate.js';
import { withPgClient } from '../support/test-databases.js';
import { keysUnder } from '../support/test-redis.js';
import { countWaitingOnGate, startTwoInstances, type TwoInstances } from '../support/two-instances.js';

/** The load of the kill test: clients calling at once, each pausing between calls (nginx's MCP zone allows 30 a second). */
const LOAD_CLIENTS = 6;
const LOAD_PAUSE_MS = 250;
const LOAD_SQL = 'SELECT count(*) AS load FROM gate';
/** How long the load runs on after the kill. */
const AFTER_KILL_MS = 4_000;

let deployment: TwoInstances | undefined;
/** nginx as clients reach it (auth.public_url), its port with the legacy SSE recipe, and the two instances' own URLs. */
let origin = '';
let stickyOrigin = '';
let a = { url: '', port: 0 };
let b = { url: '', port: 0 };
/** alice's personal access tokens: on shop (two: the test revokes one), and on limited. */
let shopToken = '';
let revokedToken = { token: '', id: '' };
let limitedToken = '';

beforeAll(async () => {
  deployment = await startTwoInstances({
    environments: (database) => ({
      shop: { database, read_only: true },
      limited: { database, read_only: true, limits: { calls_per_minute: 4 } },
    }),
  });
  ({ origin, stickyOrigin, a, b } = deployment);
  await sqlgate(['users', 'add', 'alice', '--env', 'shop,limited', '--password-stdin'], TEST_PASSWORD);
  [{ token: shopToken }, revokedToken, { token: limitedToken }] = await Promise.all([
    personalToken('alice', 'shop'), personalToken('alice', 'shop'), personalToken('alice', 'limited'),
  ]);
}, 90_000);

afterAll(async () => {
  await deployment?.stop();
}, 60_000);

describe('two sqlgate instances behind one nginx, sharing PostgreSQL and Redis', () => {
  let alice: RawTokens & { clientId: string };

  it('accepts a token issued by one instance on the other, pinned and through nginx', async () => {
    // The same keys: either instance verifies what the other signed.
    expect(await (await fetch(`${a.url}/jwks`)).json()).toEqual(await (await fetch(`${b.url}/jwks`)).json());
    alice = await signIn('alice', a.url); // the code is exchanged at instance A
    for (const base of [b.url, a.url]) {
      const answer = await executeSql(base, 'shop', alice.access_token, 'SELECT count(*) AS n FROM customers');
      expect(isAnswered(answer), JSON.stringify(answer.body)).toBe(true);
      expect(answer.body.result.structuredContent.rows).toEqual([[4]]);
    }
    // Through nginx, four calls: round robin gives each instance some.
    for (let i = 0; i < 4; i++) expect(isAnswered(await executeSql(origin, 'shop', alice.access_token, 'SELECT 1 AS one', 'issued'))).toBe(true);
    const served = new Set((await probeLines('issued', 4)).map((l) => l.upstreams.at(-1)));
    expect(served).toEqual(new Set([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]));
  });

  it('retires a refresh token used on one instance on both, and revokes the family when it comes back', async () => {
    const refreshed = await postForm(`${b.url}/token`, { grant_type: 'refresh_token', refresh_token: alice.refresh_token!, client_id: alice.clientId });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(alice.refresh_token);
    expect(isAnswered(await executeSql(a.url, 'shop', refreshed.body.access_token, 'SELECT 1 AS one'))).toBe(true);

    // The old one, at the other instance: refused and, as reuse of a rotated refresh token means theft (RFC 9700
    // §4.14.2), the whole grant with it: the new refresh token and every access token of the family, on both.
    const reused = await postForm(`${a.url}/token`, { grant_type: 'refresh_token', refresh_token: alice.refresh_token!, client_id: alice.clientId });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    for (const base of [a.url, b.url]) {
      const again = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token, client_id: alice.clientId });
      expect(again.body.error, `${base}: ${JSON.stringify(again.body)}`).toBe('invalid_grant');
      for (const token of [alice.access_token, refreshed.body.access_token]) {
        expect((await executeSql(base, 'shop', token, 'SELECT 1 AS one')).status).toBe(401);
      }
    }
    expect((await executeSql(origin, 'shop', refreshed.body.access_token, 'SELECT 1 AS one')).status).toBe(401);
    const refusals = (await deployment!.auditRecords()).filter((r) => r.action === 'token_refused' && r.client_id === alice.clientId);
    expect(refusals.length, JSON.stringify(refusals)).toBeGreaterThan(0);
  });

  it('answers a code or a refresh token sent to both instances at once only once, and revokes the family as for a replay', async () => {
    // Six requests at once, three to each instance. The sign-ins go through the test's own nginx port (no edge rate
    // limit on sign-in pages there; the first test signed in through the template's).
    const racers = [a.url, b.url, a.url, b.url, a.url, b.url];
    const code = await obtainAuthorizationCode(origin, { user: 'alice', resource: `${origin}/shop/mcp`, via: stickyOrigin });
    const exchanged = await Promise.all(racers.map((base) => postForm(`${base}/token`, {
      grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier, client_id: code.clientId,
    })));
    await expectOneAnswerThenRevoked(exchanged, code.clientId);

    const signedIn = await obtainTokens(origin, { user: 'alice', resource: `${origin}/shop/mcp`, via: stickyOrigin });
    const refreshed = await Promise.all(racers.map((base) => postForm(`${base}/token`, {
      grant_type: 'refresh_token', refresh_token: signedIn.refresh_token!, client_id: signedIn.clientId,
    })));
    await expectOneAnswerThenRevoked(refreshed, signedIn.clientId);
  });

  it('applies the revoke endpoint, tokens revoke and grants revoke on both instances at once', async () => {
    const statusOn = (token: string) => Promise.all([a.url, b.url, origin].map(async (base) => (await executeSql(base, 'shop', token, 'SELECT 1 AS one')).status));

    // RFC 7009 at instance A: the access token stops on B too; the refresh token, revoked at B, stops on A.
    const revoked = await signIn('alice', origin);
    expect(await statusOn(revoked.access_token)).toEqual([200, 200, 200]);
    expect((await postForm(`${a.url}/revoke`, { token: revoked.access_token, client_id: revoked.clientId })).status).toBe(200);
    expect(await statusOn(revoked.access_token)).toEqual([401, 401, 401]);
    expect((await postForm(`${b.url}/revoke`, { token: revoked.refresh_token!, client_id: revoked.clientId })).status).toBe(200);
    const refresh = await postForm(`${a.url}/token`, { grant_type: 'refresh_token', refresh_token: revoked.refresh_token!, client_id: revoked.clientId });
    expect(refresh.body.error).toBe('invalid_grant');

    // `sqlgate tokens revoke`: a personal access token both instances accepted, refused by both the moment it returns.
    expect(await statusOn(revokedToken.token)).toEqual([200, 200, 200]);
    await sqlgate(['tokens', 'revoke', revokedToken.id]);
    expect(await statusOn(revokedToken.token)).toEqual([401, 401, 401]);

    // `sqlgate grants revoke`: the grant's access and refresh tokens stop on both. (Signed in through the test's own
    // port: the template's edge limit on sign-in pages, 1 a second, has had two sign-ins already.)
    const granted = await obtainTokens(origin, { user: 'alice', resource: `${origin}/shop/mcp`, via: stickyOrigin, tokenUrl: `${b.url}/token` });
    expect(await statusOn(granted.access_token)).toEqual([200, 200, 200]);
    const listed = JSON.parse((await sqlgate(['grants', 'list', '--user', 'alice', '--json'])).stdout) as { grants: { id: string; client: string }[] };
    const grant = listed.grants.find((g) => g.client === granted.clientId);
    expect(grant, JSON.stringify(listed)).toBeDefined();
    await sqlgate(['grants', 'revoke', grant!.id]);
    expect(await statusOn(granted.access_token)).toEqual([401, 401, 401]);
    for (const base of [a.url, b.url]) {
      const after = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: granted.refresh_token!, client_id: granted.clientId });
      expect(after.body.error).toBe('invalid_grant');
    }
  });

  it('writes both instances\' records into one chain, interleaved, that sqlgate audit verify finds whole', async () => {
    // One after the other, alternating: A, B, A, B …
    for (let i = 0; i < 4; i++) {
      expect(isAnswered(await executeSql(a.url, 'shop', shopToken, `SELECT 'a${i}' AS tag`))).toBe(true);
      expect(isAnswered(await executeSql(b.url, 'shop', shopToken, `SELECT 'b${i}' AS tag`))).toBe(true);
    }
    // And at once: both append to the chain at the same moment.
    const together = await Promise.all(Array.from({ length: 20 }, (_, i) => executeSql(i % 2 === 0 ? a.url : b.url, 'shop', shopToken, `SELECT 't${i}' AS tag`)));
    expect(together.every(isAnswered)).toBe(true);

    const tags = (await deployment!.auditRecords()).map((r) => /^SELECT '(\w+)' AS tag$/.exec(String(r.sql))?.[1]).filter((t) => t !== undefined);
    expect(tags.slice(0, 8)).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
    expect(tags.slice(8).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`).sort());
    await expectWholeChain();
  });

  it('counts calls_per_minute across both instances in Redis', async () => {
    for (const base of [a.url, b.url, a.url, b.url]) expect(isAnswered(await executeSql(base, 'limited', limitedToken, 'SELECT 1 AS one')), base).toBe(true);
    // The fifth call of the minute, wherever it lands: refused before any work, with sqlgate's own 429.
    for (const base of [a.url, b.url, origin]) {
      const refused = await executeSql(base, 'limited', limitedToken, 'SELECT 1 AS one');
      expect(refused.status, base).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.body).toMatchObject({ error: 'SG_RATE_LIMITED', message: expect.stringContaining('calls_per_minute is 4 for alice in environment "limited"') });
    }
    const { keyPrefix } = deployment!;
    expect(await keysUnder(keyPrefix)).toContain(`${keyPrefix}:calls:limited:alice`);
  });

  it('keeps legacy SSE sessions and notifications/cancelled with one instance; Streamable HTTP needs neither', async () => {
    const auth = { authorization: `Bearer ${shopToken}` };
    const ping = (url: string, id: number) => fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }) });

    // Streamable HTTP is stateless here: no session id ties a client to the instance that answered initialize.
    const initialized = await mcp(`${a.url}/shop/mcp`, shopToken, {
      id: nextId++, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'two-instances', version: '1' } },
    });
    expect(initialized.status).toBe(200);
    expect(initialized.headers.get('mcp-session-id')).toBeNull();
    expect((await mcp(`${b.url}/shop/mcp`, shopToken, { id: nextId++, method: 'tools/list' })).status).toBe(200);

    // A legacy session lives in the memory of the instance that opened the stream.
    const streams: EventStream[] = [];
    try {
      const onA = await openEventStream(`${a.url}/shop/sse`, auth);
      streams.push(onA);
      const endpoint = (await onA.nextEvent(2_000)).data;
      const elsewhere = await ping(`${b.url}${endpoint}`, 1);
      expect(elsewhere.status).toBe(404);
      expect(await elsewhere.json()).toEqual({ error: 'SG_NOT_FOUND', message: 'Unknown or expired sessionId; open a new stream with GET …/sse.' });
      expect((await ping(`${a.url}${endpoint}`, 2)).status).toBe(202);
      expect(JSON.parse((await onA.nextEvent(2_000)).data)).toMatchObject({ id: 2, result: {} });

      // Through the template's upstream (round robin) one session's posts are spread over both: some are lost.
      const viaNginx = await openEventStream(`${origin}/shop/sse`, auth);
      streams.push(viaNginx);
      const nginxEndpoint = (await viaNginx.nextEvent(2_000)).data;
      const statuses: number[] = [];
      for (let id = 10; id < 16; id++) statuses.push((await ping(`${origin}${nginxEndpoint}`, id)).status);
      expect(new Set(statuses)).toEqual(new Set([202, 404]));
      for (const id of statuses.flatMap((status, i) => (status === 202 ? [10 + i] : []))) {
        expect(JSON.parse((await viaNginx.nextEvent(2_000)).data)).toMatchObject({ id });
      }

      // With the upstream hashed on the Authorization header, every post reaches the stream's instance.
      const sticky = await openEventStream(`${stickyOrigin}/shop/sse`, auth);
      streams.push(sticky);
      const stickyEndpoint = (await sticky.nextEvent(2_000)).data;
      for (let id = 20; id < 26; id++) {
        expect((await ping(`${stickyOrigin}${stickyEndpoint}`, id)).status).toBe(202);
        expect(JSON.parse((await sticky.nextEvent(2_000)).data)).toMatchObject({ id });
      }
    } finally {
      for (const stream of streams) stream.close();
    }

    // notifications/cancelled (2025 protocol versions, a POST of its own) cancels a call only on the instance running it.
    await withPgClient(deployment!.data.url, async (client) => {
      await client.query('BEGIN');
      await client.query('LOCK TABLE gate IN ACCESS EXCLUSIVE MODE');
      try {
        const id = 9_001;
        const call = mcp(`${a.url}/shop/mcp`, shopToken, { id, method: 'tools/call', params: { name: 'execute_sql', arguments: { query: 'SELECT count(*) AS cancel_me FROM gate' } } });
        await expect.poll(() => countWaitingOnGate(client), { timeout: 5_000 }).toBe(1);
        const cancel = { method: 'notifications/cancelled', params: { requestId: id, reason: 'the user stopped it' } };
        expect((await mcp(`${b.url}/shop/mcp`, shopToken, cancel)).status).toBe(202);
        await sleep(500);
        expect(await countWaitingOnGate(client)).toBe(1); // B has never heard of the call: its statement still waits
        expect((await mcp(`${a.url}/shop/mcp`, shopToken, cancel)).status).toBe(202);
        await expect.poll(() => countWaitingOnGate(client), { timeout: 5_000 }).toBe(0); // cancelled in the database
        await call.catch(() => undefined);

        // A client that closes its request instead cancels the call wherever it runs: nginx closes its connection
        // to that instance too (proxy_ignore_client_abort is off), and sqlgate cancels the statement.
        const controller = new AbortController();
        const closed = mcp(`${origin}/shop/mcp`, shopToken, {
          id: nextId++, method: 'tools/call', params: { name: 'execute_sql', arguments: { query: 'SELECT count(*) AS closed_by_client FROM gate' } },
        }, controller.signal).catch(() => undefined);
        await expect.poll(() => countWaitingOnGate(client), { timeout: 5_000 }).toBe(1);
        controller.abort();
        await closed;
        await expect.poll(() => countWaitingOnGate(client), { timeout: 5_000 }).toBe(0);
      } finally {
        await client.query('ROLLBACK');
      }
    });
  });

  it('fails exactly the calls in flight on an instance killed under load; every later call succeeds through the survivor', async () => {
    const killed = `127.0.0.1:${b.port}`;
    const survivor = `127.0.0.1:${a.port}`;
    // Two legacy streams through nginx, one after the other: round robin puts one on each instance.
    const auth = { authorization: `Bearer ${shopToken}` };
    const streams = [await openEventStream(`${origin}/shop/sse`, auth), await openEventStream(`${origin}/shop/sse`, auth)];
    for (const stream of streams) expect((await stream.nextEvent(2_000)).event).toBe('endpoint');

    const calls: LoadCall[] = [];
    let inFlight = 0;
    let stopAt = Number.POSITIVE_INFINITY;
    const runClient = async () => {
      while (performance.now() < stopAt) {
        const startedAt = performance.now();
        inFlight++;
        let detail: string;
        let isOk = false;
        try {
          const response = await executeSql(origin, 'shop', shopToken, LOAD_SQL, 'load');
          isOk = isAnswered(response);
          detail = `${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
        } catch (err) {
          detail = `${(err as Error).message}: ${String((err as Error).cause ?? '')}`;
        }
        inFlight--;
        calls.push({ startedAt, isOk, detail });
        await sleep(LOAD_PAUSE_MS);
      }
    };

    let killedAt = 0;
    let inFlightAtKill = 0;
    const load = Promise.all(Array.from({ length: LOAD_CLIENTS }, runClient));
    try {
      await sleep(2_000); // a steady stream first
      await withPgClient(deployment!.data.url, async (client) => {
        // Every client's next call waits in the database, so that both instances have calls in flight at the kill.
        await client.query('BEGIN');
        await client.query('LOCK TABLE gate IN ACCESS EXCLUSIVE MODE');
        try {
          await expect.poll(() => countWaitingOnGate(client), { timeout: 5_000 }).toBe(LOAD_CLIENTS);
          inFlightAtKill = inFlight;
          killedAt = performance.now();
          process.kill(deployment!.b.process.pid!, 'SIGKILL');
          // The calls B had die with it; A's go on waiting for the lock.
          await expect.poll(() => calls.filter((c) => !c.isOk).length, { timeout: 5_000 }).toBeGreaterThan(0);
          await sleep(200);
        } finally {
          await client.query('COMMIT');
        }
      });
      stopAt = killedAt + AFTER_KILL_MS;
    } finally {
      if (stopAt === Number.POSITIVE_INFINITY) stopAt = 0; // something failed before: stop the load
      await load;
      for (const stream of streams) stream.close();
    }

    const failed = calls.filter((c) => !c.isOk);
    const after = calls.filter((c) => c.startedAt > killedAt);
    expect(inFlightAtKill).toBe(LOAD_CLIENTS);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(inFlightAtKill);
    expect(failed.filter((c) => c.startedAt > killedAt), JSON.stringify(failed)).toEqual([]);
    expect(after.filter((c) => !c.isOk), JSON.stringify(after.filter((c) => !c.isOk))).toEqual([]);
    expect(after.length).toBeGreaterThan(LOAD_CLIENTS * 4);
    expect(calls.filter((c) => c.startedAt < killedAt && c.isOk).length).toBeGreaterThan(LOAD_CLIENTS * 2);

    // nginx's side. Each call in flight on B ends with "upstream prematurely closed connection": a call sqlgate
    // answers with one JSON body had sent nothing yet, so the client gets nginx's 502 (a POST already sent is not
    // passed on); one answered as an event stream is cut off after its 200. Exactly as many as the calls that failed.
    const errorLog = deployment!.site.errorLog().split('\n');
    const cutOff = errorLog.filter((l) => /upstream prematurely closed connection while reading (upstream|response header from upstream)/.test(l) && l.includes(`request: "POST /shop/mcp`));
    expect(cutOff.length, cutOff.join('\n')).toBe(failed.length);
    for (const line of cutOff) expect(line).toContain(`upstream: "http://${killed}/shop/mcp"`);
    // So does the legacy stream B held (the one on A is still open).
    expect(errorLog.some((l) => /upstream prematurely closed connection/.test(l) && l.includes(`upstream: "http://${killed}/shop/sse"`))).toBe(true);
    expect(streams.map((s) => s.isEnded()).sort()).toEqual([false, true]);

    // After the kill, everything is answered by A, and nginx marks B down for fail_timeout (10 s): at the failures
    // before a response header above, or at the first later request whose connect to B is refused — nothing was
    // sent, so nginx passes that POST on to A (200).
    const lines = await probeLines('load', calls.length);
    const retried = lines.filter((l) => l.upstreams.length > 1);
    for (const line of retried) expect(line, JSON.stringify(line)).toMatchObject({ status: 200, upstreams: [killed, survivor], upstreamStatuses: ['502', '200'] });
    const settled = lines.filter((l) => l.endedAtMs > performance.timeOrigin + killedAt + 1_000);
    expect(settled.filter((l) => l.upstreams.at(-1) !== survivor)).toEqual([]);
    if (retried.length > 0) {
      expect(errorLog.some((l) => /connect\(\) failed \(111: Connection refused\) while connecting to upstream/.test(l) && l.includes(`upstream: "http://${killed}/shop/mcp"`))).toBe(true);
    }
    expect(errorLog.some((l) => /\[warn\].*upstream server temporarily disabled while (connecting to|reading response header from) upstream/.test(l))).toBe(true);

    // Every answered call has its record (committed before the answer), and the chain is whole.
    const records = await deployment!.auditRecords();
    expect(records.filter((r) => r.sql === LOAD_SQL && r.verdict === 'allowed').length).toBe(calls.filter((c) => c.isOk).length);
    await expectWholeChain();
  }, 45_000);
});

interface LoadCall {
  /** performance.now() when the client sent it. */
  readonly startedAt: number;
  readonly isOk: boolean;
  readonly detail: string;
}

let nextId = 1;

function mcp(url: string, token: string, message: Record<string, unknown>, signal?: AbortSignal): Promise<McpResponse> {
  return postMcpMessage(url, token, message, { signal });
}

/** execute_sql; `probe` goes in an x-probe header, which nginx's upstream log records. */
function executeSql(base: string, environment: string, token: string, query: string, probe = ''): Promise<McpResponse> {
  const message = { id: nextId++, method: 'tools/call', params: { name: 'execute_sql', arguments: { query } } };
  return postMcpMessage(`${base}/${environment}/mcp`, token, message, { headers: probe ? { 'x-probe': probe } : {} });
}

/**
 * Of token requests racing with one code or refresh token, one is answered and the others get invalid_grant; they
 * were replays, so the family is revoked, the tokens of the one answered included, on both instances.
 */
async function expectOneAnswerThenRevoked(responses: readonly { status: number; body: Record<string, any> }[], clientId: string): Promise<void> {
  const summary = JSON.stringify(responses.map((r) => [r.status, r.body.error, r.body.error_description]));
  const answered = responses.filter((r) => r.status === 200);
  expect(answered.length, summary).toBe(1);
  expect(responses.filter((r) => r.status !== 200).map((r) => r.body.error), summary).toEqual(Array(responses.length - 1).fill('invalid_grant'));
  for (const base of [a.url, b.url]) {
    expect((await executeSql(base, 'shop', answered[0]!.body.access_token, 'SELECT 1 AS one')).status).toBe(401);
    const refresh = await postForm(`${base}/token`, { grant_type: 'refresh_token', refresh_token: answered[0]!.body.refresh_token, client_id: clientId });
    expect(refresh.body.error).toBe('invalid_grant');
  }
}

/** One CLI command against the shared configuration; fails the test unless it exits 0. */
async function sqlgate(args: readonly string[], input?: string): Promise<CommandResult> {
  const result = await runSqlgate([...args, '--config', deployment!.configFile], { input });
  expect(result.code, `sqlgate ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  return result;
}

/** A personal access token made with `sqlgate tokens create`: the token and its id. */
async function personalToken(user: string, environment: string): Promise<{ token: string; id: string }> {
  const created = await sqlgate(['tokens', 'create', '--user', user, '--env', environment]);
  return { token: created.stdout.trim(), id: /pat_[0-9a-f]+/.exec(created.stderr)![0] };
}

/** Signs `user` in through nginx (either instance may serve each sign-in page); the code is exchanged at `tokenBase`. */
function signIn(user: string, tokenBase: string): Promise<RawTokens & { clientId: string }> {
  return obtainTokens(origin, { user, resource: `${origin}/shop/mcp`, tokenUrl: `${tokenBase}/token` });
}

/** nginx writes a request's log line when it ends: wait until all of the probe's are there. */
async function probeLines(probe: string, count: number): Promise<UpstreamLogLine[]> {
  let lines: UpstreamLogLine[] = [];
  await expect.poll(() => (lines = deployment!.upstreamLog().filter((l) => l.probe === probe)).length, { timeout: 5_000 }).toBe(count);
  return lines;
}

/** `sqlgate audit verify`, run against audit.url, finds every record of the trail in place. */
async function expectWholeChain(): Promise<void> {
  const { rows } = await withPgClient(deployment!.audit.url, (client) => client.query('SELECT count(*)::int AS n, max(seq)::int AS newest FROM audit_records'));
  expect(rows[0].n).toBe(rows[0].newest); // nothing pruned, no gap
  const verified = await sqlgate(['audit', 'verify']);
  expect(verified.stdout).toContain(`holds: ${rows[0].n} records, each unchanged and in place.`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
