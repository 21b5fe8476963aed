/**
 * The Hono application: per environment, Streamable HTTP at `/<env>/mcp`, the legacy SSE transport at
 * `/<env>/sse` + `/<env>/messages`, and the server's own `/health`. The only folder that imports Hono.
 */
import { createMcpHandler, type McpServerFactory } from '@modelcontextprotocol/server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { ServerConfig } from '../config/schema.js';
import type { EnvironmentRegistry } from '../environments/environment.js';
import { NotFoundError, PayloadTooLargeError } from '../errors.js';
import { SERVED_PROTOCOL_VERSIONS } from '../mcp/protocol-versions.js';
import { LegacySseEndpoint } from '../mcp/transports/legacy-sse.js';
import type { Logger } from '../telemetry/logger.js';
import type { ToolDefinition } from '../tools/tool.js';
import { SQLGATE_VERSION } from '../version.js';
import { errorResponse } from './on-error.js';
import { requestGuards } from './request-guards.js';
import { cancelledIds, StatelessCancellation, toolCallIds } from './stateless-cancellation.js';

export interface HttpAppOptions {
  server: ServerConfig;
  environments: EnvironmentRegistry;
  tools: readonly ToolDefinition[];
  /** Builds the MCP server factory of an environment (mcp/create-mcp-server.ts). */
  serverFactory: (environmentName: string) => McpServerFactory;
  logger: Logger;
}

export interface HttpApp {
  app: Hono;
  close(): Promise<void>;
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { server, environments, logger } = options;
  const app = new Hono();
  const closers: (() => Promise<void>)[] = [];

  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'same-origin', xFrameOptions: 'DENY' }));
  app.use(
    '*',
    bodyLimit({
      maxSize: server.maxBodyBytes,
      onError: () => {
        throw new PayloadTooLargeError(`The request body is larger than ${server.maxBodyBytes} bytes.`, {
          hint: 'Send a smaller request, or ask the operator to raise server.max_body_bytes.',
        });
      },
    }),
  );

  app.get('/health', async (c) => {
    const statuses = await environments.status();
    const isHealthy = statuses.every((s) => s.database.connected);
    return c.json({
      status: isHealthy ? 'ok' : 'degraded',
      version: SQLGATE_VERSION,
      protocol_versions: SERVED_PROTOCOL_VERSIONS,
      environments: Object.fromEntries(
        statuses.map((s) => [
          s.name,
          {
            dialect: s.dialect,
            read_only: s.readOnly,
            database: {
              status: s.database.connected ? 'connected' : 'down',
              latency_ms: s.database.latencyMs,
              ...(s.database.error ? { error: s.database.error } : {}),
            },
            tools: options.tools.map((t) => t.name),
            endpoints: { mcp: `/${s.name}/mcp`, sse: `/${s.name}/sse` },
          },
        ]),
      ),
    });
  });

  const guards = requestGuards(server);
  for (const environment of environments.list()) {
    const base = `/${environment.name}`;
    const factory = options.serverFactory(environment.name);
    const streamable = createMcpHandler(factory, {
      maxRequestBodySize: server.maxBodyBytes,
      onerror: (err) => logger.debug({ err: err.message, environment: environment.name }, 'mcp transport'),
    });
    const legacySse = new LegacySseEndpoint(factory, { messagesPath: `${base}/messages`, logger });
    closers.push(() => streamable.close(), () => legacySse.close());

    const cancellation = new StatelessCancellation();
    const servePost = async (c: Context) => {
      const body = await c.req.raw.clone().json().catch(() => undefined);
      if (body === undefined) return streamable.fetch(c.req.raw); // the SDK answers the parse error
      const clientKey = `${getConnInfo(c).remote.address ?? ''}|${c.req.header('user-agent') ?? ''}`;
      for (const id of cancelledIds(body)) cancellation.cancel(clientKey, id);
      const tracked = toolCallIds(body).map((id) => cancellation.track(clientKey, id));
      if (tracked.length === 0) return streamable.fetch(c.req.raw, { parsedBody: body });
      const request = new Request(c.req.raw.url, {
        method: 'POST',
        headers: c.req.raw.headers,
        signal: AbortSignal.any([c.req.raw.signal, ...tracked.map((t) => t.signal)]),
      });
      const response = await streamable.fetch(request, { parsedBody: body });
      return releaseWhenDone(response, () => tracked.forEach((t) => t.release()));
    };

    app.use(`${base}/*`, guards);
    app.post(`${base}/mcp`, servePost);
    app.all(`${base}/mcp`, (c) => streamable.fetch(c.req.raw));
    app.get(`${base}/sse`, (c) => legacySse.open(c.req.raw));
    // The seed's clients also POST JSON-RPC straight to /sse: serve it like Streamable HTTP.
    app.post(`${base}/sse`, servePost);
    app.post(`${base}/messages`, (c) => legacySse.post(c.req.raw));
  }

  app.notFound((c) => {
    const names = environments.list().map((e) => `/${e.name}/mcp`);
    return errorResponse(
      new NotFoundError(`Nothing is served at ${c.req.path}.`, { hint: `MCP endpoints on this server: ${names.join(', ')}; status at /health.` }),
      c,
      logger,
    );
  });
  app.onError((err, c) => errorResponse(err, c, logger));

  return {
    app,
    close: async () => {
      await Promise.all(closers.map((close) => close().catch(() => undefined)));
    },
  };
}

/** Calls `release` once the response body has been fully sent (or abandoned). */
function releaseWhenDone(response: Response, release: () => void): Response {
  if (!response.body) {
    release();
    return response;
  }
  const passThrough = new TransformStream<Uint8Array, Uint8Array>({ flush: release });
  response.body.pipeTo(passThrough.writable).catch(release);
  return new Response(passThrough.readable, { status: response.status, statusText: response.statusText, headers: response.headers });
}
