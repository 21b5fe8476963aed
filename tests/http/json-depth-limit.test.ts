/**
 * The JSON depth check on its own, in a Hono app driven through app.request(): where nesting starts and ends
 * (strings, escapes, chunk boundaries), its size bound, the bodies it leaves alone, and that the handler still gets
 * the whole body. The endpoints that use it are tested over HTTP in tests/e2e/json-depth.test.ts.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { jsonDepthLimit, MAX_JSON_DEPTH } from '../../src/http/json-depth-limit.js';

const TOO_DEEP = { status: 400, description: `the JSON body is nested too deeply (more than ${MAX_JSON_DEPTH} levels)` };

function appWith(options: { maxBytes?: number; isJsonTypeOnly?: boolean } = {}) {
  const app = new Hono();
  const limit = jsonDepthLimit({ maxBytes: options.maxBytes ?? 1_048_576, isJsonTypeOnly: options.isJsonTypeOnly, refuse: (c, problem) => c.json(problem, problem.status) });
  // The handler echoes the body it reads after the check: the check must leave it whole.
  app.post('/', limit, async (c) => c.text(`read:${await c.req.text()}`));
  return app;
}

/** POSTs `chunks` as a streamed body (no Content-Length), one chunk at a time. */
async function send(app: Hono, chunks: string[], contentType = 'application/json'): Promise<{ status: number; body: unknown; headers: Headers }> {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const response = await app.request('/', { method: 'POST', headers: { 'content-type': contentType }, body, duplex: 'half' } as RequestInit);
  const text = await response.text();
  return { status: response.status, body: text.startsWith('read:') ? text : JSON.parse(text), headers: response.headers };
}

const arrays = (depth: number, leaf = '1') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

describe('jsonDepthLimit', () => {
  it(`passes ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}, of arrays and of objects; counts depth, not brackets`, async () => {
    const app = appWith();
    expect((await send(app, [arrays(MAX_JSON_DEPTH)])).body).toBe(`read:${arrays(MAX_JSON_DEPTH)}`);
    expect((await send(app, [arrays(MAX_JSON_DEPTH + 1)])).body).toEqual(TOO_DEEP);
    const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expect((await send(app, [objects(MAX_JSON_DEPTH)])).status).toBe(200);
    expect((await send(app, [objects(MAX_JSON_DEPTH + 1)])).body).toEqual(TOO_DEEP);
    // It counts depth, not brackets: many shallow siblings pass; and a request without a body passes untouched.
    const siblings = `[${Array.from({ length: 5_000 }, () => '[[1]]').join(',')}]`;
    expect((await send(app, [siblings])).status).toBe(200);
    const bodiless = new Hono();
    bodiless.get('/', jsonDepthLimit({ maxBytes: 10, refuse: (c) => c.text('refused', 400) }), (c) => c.text('ok'));
    expect(await (await bodiless.request('/')).text()).toBe('ok');
  });

  it('does not count brackets inside strings, escaped quotes included', async () => {
    const app = appWith();
    const inString = `{"q":"${'[{'.repeat(200)}\\"${'[{'.repeat(200)}","r":"\\\\"}`;
    expect((await send(app, [inString])).body).toBe(`read:${inString}`);
    // An escaped backslash does not escape the quote after it: the string ends there and the brackets count.
    expect((await send(app, [`["\\\\",${arrays(MAX_JSON_DEPTH)}]`])).body).toEqual(TOO_DEEP);
    // A quote escaped by \\u0022 is text inside the string, so the string goes on.
    expect((await send(app, [`["\\u0022${'['.repeat(100)}"]`])).status).toBe(200);
  });

  it('follows strings and escapes across chunk boundaries', async () => {
    const app = appWith();
    // The escape is the last byte of one chunk, the escaped quote the first of the next: still inside the string.
    expect((await send(app, ['["abc\\', `"${'['.repeat(100)}"]`])).status).toBe(200);
    // The nesting is split over many chunks.
    expect((await send(app, [...Array.from({ length: MAX_JSON_DEPTH + 1 }, () => '['), ...Array.from({ length: MAX_JSON_DEPTH + 1 }, () => ']')])).body).toEqual(TOO_DEEP);
  });

  it('cannot be talked down by closers before the openers', async () => {
    expect((await send(appWith(), [`${']'.repeat(1_000)}${arrays(MAX_JSON_DEPTH + 1)}`])).body).toEqual(TOO_DEEP);
  });

  it('refuses a body over maxBytes with 413 and closes the connection, without reading it all', async () => {
    const app = appWith({ maxBytes: 100 });
    const streamed = await send(app, ['[', '1,'.repeat(100), '1]']);
    expect(streamed.body).toEqual({ status: 413, description: 'the request body is larger than 100 bytes' });
    expect(streamed.headers.get('connection')).toBe('close');
    const declared = await app.request('/', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '101' }, body: 'x'.repeat(101) });
    expect(declared.status).toBe(413);
  });

  it('with isJsonTypeOnly, checks application/json and +json bodies and leaves forms alone', async () => {
    const app = appWith({ isJsonTypeOnly: true });
    expect((await send(app, [arrays(100)], 'application/json; charset=utf-8')).body).toEqual(TOO_DEEP);
    expect((await send(app, [arrays(100)], 'Application/JSON')).body).toEqual(TOO_DEEP);
    expect((await send(app, [arrays(100)], 'application/merge-patch+json')).body).toEqual(TOO_DEEP);
    expect((await send(app, [`scope=${'['.repeat(100)}`], 'application/x-www-form-urlencoded')).status).toBe(200);
    // Without the option every body is checked, whatever its type says (legacy SSE parses any body as JSON).
    expect((await send(appWith(), [arrays(100)], 'text/plain')).body).toEqual(TOO_DEEP);
  });
});
