/**
 * Closed-loop load generator: `concurrency` workers each send one POST, read and verify the whole answer, and send
 * the next one. Warm-up requests are not recorded; then every request started inside the measured window is.
 * A response that fails verification counts as an error (and its latency is not recorded), so a fast stream of
 * errors can never pass for throughput.
 */
import http from 'node:http';

/** One POST over `agent`; resolves with status, content type and the full body as a string. */
export function post(agent, port, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const MCP_HEADERS = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };

/**
 * A target that sends MCP `tools/call` requests the way a stateless Streamable HTTP client does (no initialize, no
 * session). `unwrap` turns the tool result into what the request's check reads; by default the structuredContent
 * (sqlgate's shape). Protocol errors, HTTP errors and `isError` results always throw.
 */
export function mcpTarget({ port, path, tool, args, token, unwrap = structuredContentOf }) {
  let nextId = 1;
  return {
    port,
    path,
    headers: token ? { ...MCP_HEADERS, authorization: `Bearer ${token}` } : MCP_HEADERS,
    body: () => JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: tool, arguments: args } }),
    /** Returns the unwrapped tool result, or throws with what was wrong. */
    parse(response) {
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${response.body.slice(0, 200)}`);
      const message = parseMcpBody(response);
      if (message.error) throw new Error(`JSON-RPC error ${message.error.code}: ${message.error.message}`);
      const result = message.result;
      if (!result) throw new Error('no result in the response');
      if (result.isError) throw new Error(`tool error: ${result.content?.[0]?.text?.slice(0, 200)}`);
      return unwrap(result);
    },
  };
}

function structuredContentOf(result) {
  if (!result.structuredContent) throw new Error('no structuredContent');
  return result.structuredContent;
}

/**
 * A target that sends `{ sql }` to the floor server, which answers `{ columns, rows, row_count }`; `unwrap` reshapes
 * that for the request's check (list tables reads names out of the catalog rows).
 */
export function floorTarget(port, sql, unwrap = (result) => result) {
  const payload = JSON.stringify({ sql });
  return {
    port,
    path: '/query',
    headers: {},
    body: () => payload,
    parse(response) {
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${response.body.slice(0, 200)}`);
      return unwrap(JSON.parse(response.body));
    },
  };
}

/** GET `path` once; resolves with the status (0 when the connection failed, e.g. not listening yet). */
export function getStatus(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
  });
}

/** Streamable HTTP answers either JSON or an event stream whose `data:` line carries the JSON-RPC message. */
function parseMcpBody(response) {
  if (!response.contentType.includes('text/event-stream')) return JSON.parse(response.body);
  const data = response.body
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5)));
  const message = data.find((m) => 'result' in m || 'error' in m);
  if (!message) throw new Error(`no JSON-RPC response in the event stream: ${response.body.slice(0, 200)}`);
  return message;
}

/** Sends one request and verifies it; returns { ms, bytes, result } or throws. */
export async function callOnce(target, agent, verify) {
  const started = performance.now();
  const response = await post(agent, target.port, target.path, target.body(), target.headers);
  const result = target.parse(response);
  verify(result);
  return { ms: performance.now() - started, bytes: Buffer.byteLength(response.body), result };
}

/**
 * Runs the closed loop and returns the raw run for `summarize()`. A request counts when it completes inside the
 * measured window [end of warm-up, end], which is exactly `durationMs` long; answers completing later are dropped.
 */
export async function runLoad(target, verify, { concurrency, warmupMs, durationMs }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let errors = 0;
  let warmupErrors = 0;
  let firstError = null;
  let warmupError = null;
  let bytes = 0;
  const start = performance.now();
  const measureStart = start + warmupMs;
  const end = measureStart + durationMs;

  const worker = async () => {
    while (performance.now() < end) {
      let outcome = null;
      let error = null;
      try {
        outcome = await callOnce(target, agent, verify);
      } catch (err) {
        error = err;
      }
      const now = performance.now();
      if (now > end) break;
      const recorded = now >= measureStart;
      if (error && recorded) {
        errors++;
        firstError ??= error.message;
      } else if (error) {
        warmupErrors++;
        warmupError ??= error.message;
        await new Promise((resolve) => setTimeout(resolve, 10)); // do not spin on a broken warm-up
      } else if (recorded) {
        latencies.push(outcome.ms);
        bytes += outcome.bytes;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { concurrency, latencies, errors, warmupErrors, firstError, warmupError, bytes, seconds: durationMs / 1000 };
}

/**
 * Merges the runs of one scenario (measured in slices, taking turns with the other servers) into
 * { concurrency, requests, errors, warmupErrors, firstError, rps, p50, p99, max, meanBytes, seconds }.
 */
export function summarize(runs) {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  const bytes = runs.reduce((sum, r) => sum + r.bytes, 0);
  const firstError = runs.find((r) => r.firstError)?.firstError ?? runs.find((r) => r.warmupError)?.warmupError;
  return {
    concurrency: runs[0].concurrency,
    requests: latencies.length,
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    warmupErrors: runs.reduce((sum, r) => sum + r.warmupErrors, 0),
    firstError: firstError ?? null,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? NaN,
    meanBytes: latencies.length ? bytes / latencies.length : 0,
    seconds,
  };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
