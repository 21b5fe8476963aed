/**
 * OpenTelemetry traces, end to end: a running sqlgate exports one tool call's spans over OTLP/HTTP to a receiver
 * in this test — the request, the tool call, the gate and the database statement, each the child of the one
 * around it, with the request id, environment and tool as attributes, and the SQL text only with include_sql.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCall } from '../support/oauth-client.js';
import { startApp } from '../support/start-app.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  serviceName: string;
}

/** An OTLP/HTTP receiver that keeps the spans it is sent (JSON encoding, as exporter-trace-otlp-http sends). */
class OtlpReceiver {
  readonly spans: ExportedSpan[] = [];
  readonly contentTypes: string[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.contentTypes.push(String(req.headers['content-type']));
      if (req.url === '/v1/traces') this.take(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private take(body: { resourceSpans?: { resource?: { attributes?: Attribute[] }; scopeSpans?: { spans?: RawSpan[] }[] }[] }): void {
    for (const resource of body.resourceSpans ?? []) {
      const serviceName = String(attributesOf(resource.resource?.attributes)['service.name']);
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          this.spans.push({ traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId || undefined, name: span.name, attributes: attributesOf(span.attributes), serviceName });
        }
      }
    }
  }
}

type Attribute = { key: string; value: Record<string, unknown> };
type RawSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: Attribute[] };

function attributesOf(attributes: Attribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
}

const receiver = new OtlpReceiver();
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());

async function oneCall(includeSql: boolean): Promise<ExportedSpan[]> {
  receiver.spans.length = 0;
  const app = await startApp({
    telemetry: { otlp_endpoint: receiver.url, include_sql: includeSql, service_name: 'sqlgate-test' },
    environments: { demo: { database: 'sqlite:./demo.sqlite', demo: true } },
  });
  try {
    const call = await mcpCall(`${app.baseUrl}/demo/mcp`, undefined, 'tools/call', { name: 'execute_sql', arguments: { query: 'SELECT count(*) AS n FROM customers' } });
    expect(call.status).toBe(200);
  } finally {
    await app.stop(); // flushes the spans still buffered
  }
  return [...receiver.spans];
}

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  it('exports request → tool call → gate and statement spans, parented, with the request id and no SQL text by default', async () => {
    const spans = await oneCall(false);
    const tool = spans.find((s) => s.name === 'tool execute_sql');
    expect(tool, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    const request = spans.find((s) => s.spanId === tool!.parentSpanId);
    expect(request).toMatchObject({ name: 'HTTP POST', attributes: { 'http.request.method': 'POST', 'url.path': '/demo/mcp', 'http.response.status_code': 200 } });
    expect(request!.parentSpanId).toBeUndefined();
    expect(tool!.attributes).toMatchObject({ 'sqlgate.environment': 'demo', 'sqlgate.tool': 'execute_sql' });
    expect(tool!.attributes).not.toHaveProperty('enduser.id'); // nobody signs in here
    expect(String(tool!.attributes['sqlgate.request_id'])).toMatch(/^[0-9a-f-]{36}$/);
    const gate = spans.find((s) => s.name === 'sqlgate.gate');
    const statement = spans.find((s) => s.name === 'db.statement');
    expect(gate).toMatchObject({ parentSpanId: tool!.spanId, traceId: tool!.traceId, attributes: { 'sqlgate.statement_kind': 'read' } });
    expect(statement).toMatchObject({ parentSpanId: tool!.spanId, traceId: tool!.traceId, attributes: { 'db.system.name': 'sqlite', 'db.response.returned_rows': 1 } });
    expect(statement!.attributes).not.toHaveProperty('db.query.text');
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['sqlgate-test']));
    expect(receiver.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
  });

  it('puts the SQL text on the statement span only with include_sql', async () => {
    const spans = await oneCall(true);
    expect(spans.find((s) => s.name === 'db.statement')?.attributes['db.query.text']).toBe('SELECT count(*) AS n FROM customers');
  });
});
