/**
 * A plain 2025-era `tools/call` is answered without building an MCP server (src/mcp/transports/direct-tool-call.ts).
 * That path must answer exactly what the SDK's stateless leg answers (answerAsJson, which validates the envelope,
 * the input and the output with the SDK's schemas): the same JSON-RPC response for results, refusals and errors,
 * with only the per-call parts (timings, the fence's random marker) told apart; and it must leave everything it does
 * not take to the SDK.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../../src/environments/environment.js';
import type { Identity } from '../../../src/environments/identity.js';
import { createMcpServerFactory, type SqlgateServerFactory } from '../../../src/mcp/create-mcp-server.js';
import { answerToolCallDirectly, resultJson } from '../../../src/mcp/transports/direct-tool-call.js';
import { rememberRowsJson } from '../../../src/tools/rows-json.js';
import { answerAsJson } from '../../../src/mcp/transports/stateless-json.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { toolsForEnvironment } from '../../../src/tools/environment-tools.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../../support/test-databases.js';

let database: TestDatabase;
let environment: Environment;
let factory: SqlgateServerFactory;

beforeAll(async () => {
  database = await createTestDatabase('sqlite', [
    'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price NUMERIC, note TEXT)',
    "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 150) INSERT INTO items SELECT i, 'item ' || i, i * 1.5, CASE WHEN i % 7 = 0 THEN NULL ELSE '<b>|' || i || '</b>' END FROM k",
  ]);
  environment = await openEnvironment('direct', database.url);
  factory = createMcpServerFactory(environment, toolsForEnvironment(environment), createLogger('silent'));
});

afterAll(async () => {
  await environment?.dialect.close();
  await database?.drop();
});

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };

function request(body: unknown, headers: Record<string, string> = HEADERS): Request {
  return new Request('http://127.0.0.1/direct/mcp', { method: 'POST', headers, body: JSON.stringify(body) });
}

const toolCall = (name: string, args: unknown, id: string | number = 7) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/** The response as JSON with the per-call parts made equal: elapsed times and the fence's random marker. */
async function normalized(response: Response): Promise<{ status: number; type: string | null; body: unknown }> {
  const text = (await response.text()).replace(/rows-[0-9a-f]{12}/g, 'rows-MARKER').replace(/[\d.]+ ms\b/g, 'N ms').replace(/"elapsed_ms":[\d.]+/g, '"elapsed_ms":0');
  return { status: response.status, type: response.headers.get('content-type'), body: JSON.parse(text) };
}

async function bothWays(body: unknown, identity?: Identity) {
  const authInfo = identity && { token: 't', clientId: identity.user, scopes: [...identity.scopes], extra: { identity } };
  const direct = answerToolCallDirectly(factory.tools, request(body), { parsedBody: body, authInfo });
  expect(direct, 'the direct path takes this request').toBeDefined();
  const viaSdk = await answerAsJson(factory, request(body), { parsedBody: body, authInfo });
  return { direct: await normalized(await direct!), sdk: await normalized(viaSdk) };
}

describe('tools/call answered directly', () => {
  const cases: [string, unknown][] = [
    ['a small result', toolCall('execute_sql', { query: 'SELECT COUNT(*) AS n, SUM(price) AS total FROM items' })],
    ['150 rows with NULLs and markup-like text', toolCall('execute_sql', { query: 'SELECT * FROM items ORDER BY id' }, 'call-8')],
    ['a statement the gate refuses', toolCall('execute_sql', { query: 'DELETE FROM items' })],
    ['a statement the database rejects', toolCall('execute_sql', { query: 'SELECT nope FROM items' })],
    ['list_tables', toolCall('list_tables', {})],
    ['list_tables without arguments', { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'list_tables' } }],
    ['describe_table', toolCall('describe_table', { table: 'items' })],
    ['describe_table of a missing table', toolCall('describe_table', { table: 'missing' })],
    ['get_table_sample', toolCall('get_table_sample', { table: 'items', limit: 5 })],
  ];
  for (const [name, body] of cases) {
    it(`answers ${name} exactly as the SDK does`, async () => {
      const { direct, sdk } = await bothWays(body);
      expect(direct).toEqual(sdk);
      expect(direct.status).toBe(200);
    });
  }

  it('the same for an authenticated caller', async () => {
    const identity: Identity = { user: 'alice', clientId: 'c', via: 'personal-token', environment: 'direct', canWrite: false, scopes: ['sql:read'] };
    const { direct, sdk } = await bothWays(toolCall('execute_sql', { query: 'SELECT 1 AS one' }), identity);
    expect(direct).toEqual(sdk);
  });
});

describe('left to the SDK', () => {
  const passes: [string, unknown, Record<string, string>?][] = [
    ['an unknown tool', toolCall('drop_everything', {})],
    ['arguments that fail the tool\'s schema', toolCall('execute_sql', { query: 42 })],
    ['arguments that are not an object', toolCall('execute_sql', ['SELECT 1'])],
    ['a request with _meta', { ...toolCall('list_tables', {}), params: { name: 'list_tables', arguments: {}, _meta: { trace: 'x' } } }],
    ['another method', { jsonrpc: '2.0', id: 1, method: 'tools/list' }],
    ['a notification', { jsonrpc: '2.0', method: 'tools/call', params: { name: 'list_tables' } }],
    ['a fractional id', toolCall('list_tables', {}, 1.5)],
    ['a batch', [toolCall('list_tables', {})]],
    ['a client that does not accept an event stream', toolCall('list_tables', {}), { ...HEADERS, accept: 'application/json' }],
    ['a body not sent as JSON', toolCall('list_tables', {}), { ...HEADERS, 'content-type': 'text/plain' }],
    ['an unsupported protocol version', toolCall('list_tables', {}), { ...HEADERS, 'mcp-protocol-version': '1999-01-01' }],
  ];
  for (const [name, body, headers] of passes) {
    it(name, () => {
      expect(answerToolCallDirectly(factory.tools, request(body, headers), { parsedBody: body })).toBeUndefined();
    });
  }
});

describe('cancellation', () => {
  it('ends with 204 and no body when the call is cancelled, and the tool sees the abort', async () => {
    const cancel = new AbortController();
    const body = toolCall('execute_sql', { query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' });
    const answered = answerToolCallDirectly(factory.tools, request(body), { parsedBody: body, cancelledBy: [cancel.signal] })!;
    setTimeout(() => cancel.abort(new Error('stop')), 200);
    const started = Date.now();
    const response = await answered;
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(Date.now() - started).toBeLessThan(5_000);
    // The connection process running the statement was stopped: the environment answers at once.
    const next = answerToolCallDirectly(factory.tools, request(toolCall('execute_sql', { query: 'SELECT 1 AS one' })), { parsedBody: toolCall('execute_sql', { query: 'SELECT 1 AS one' }) })!;
    expect((await next).status).toBe(200);
  });
});

describe('resultJson', () => {
  const rows = [[1, 'a|b', null], [2, { x: 'é"' }, true]];
  const result = { content: [{ type: 'text' as const, text: 'two rows' }], structuredContent: { columns: [{ name: 'id', type: 'int' }], rows, row_count: 2, truncated: false } };

  it('is the result\'s JSON, with rows whose JSON fit-result made taken from it', () => {
    expect(JSON.parse(resultJson(result))).toEqual(result);
    rememberRowsJson(rows, JSON.stringify(rows));
    expect(JSON.parse(resultJson(result))).toEqual(result);
    // Taken, not made again: a remembered text (here a stand-in) is what goes out.
    const standIn = [[7]];
    rememberRowsJson(standIn, '[[8]]');
    expect(JSON.parse(resultJson({ ...result, structuredContent: { rows: standIn } })).structuredContent).toEqual({ rows: [[8]] });
  });

  it('leaves results without remembered rows to JSON.stringify', () => {
    const error = { content: [{ type: 'text' as const, text: 'SG_READ_ONLY: no' }], isError: true };
    expect(resultJson(error)).toBe(JSON.stringify(error));
    const fresh = { ...result, structuredContent: { ...result.structuredContent, rows: [[3]] } };
    expect(resultJson(fresh)).toBe(JSON.stringify(fresh));
  });
});
