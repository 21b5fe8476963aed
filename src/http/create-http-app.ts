/**
 * The Hono application: per environment, Streamable HTTP at `/<env>/mcp`, the legacy SSE transport at
 * `/<env>/sse` + `/<env>/messages`, and the server's own `/health`, `/ready` and (metrics.token) `/metrics`. The only
 * folder that imports Hono.
 */
import { createMcpHandler, type AuthInfo } from '@modelcontextprotocol/server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ServerConfig } from '../config/schema.js';
import type { EnvironmentRegistry } from '../environments/environment.js';
import { NotFoundError, PayloadTooLargeError } from '../errors.js';
import { limitScope } from '../limits/limit-scope.js';
import type { UsageLimiter } from '../limits/usage-limiter.js';
import { SERVED_PROTOCOL_VERSIONS } from '../mcp/protocol-versions.js';
import { LegacySseEndpoint } from '../mcp/transports/legacy-sse.js';
import type { SqlgateServerFactory } from '../mcp/create-mcp-server.js';
import { answerToolCallDirectly } from '../mcp/transports/direct-tool-call.js';
import { answerAsJson, isJsonAnswerable } from '../mcp/transports/stateless-json.js';
import type { Logger } from '../telemetry/logger.js';
import type { Drain } from '../util/drain.js';
import { withSpan } from '../telemetry/tracing.js';
import { SQLGATE_VERSION } from '../version.js';
import { errorResponse } from './on-error.js';
import { securityHeaders } from './security-headers.js';
import { withEnvironmentPathHeader, type FetchHandler } from './environment-path-header.js';
import { hostGuard, isLoopbackHost, requestGuards } from './request-guards.js';
import { bearerGuard, isAuthorizationServerPath, MAX_FORM_BYTES, mountAuthorizationRoutes, type AuthEnv, type AuthorizationRoutes } from './authorization-routes.js';
import { checkedBodyText, jsonDepthLimit } from './json-depth-limit.js';
import { cancelledIds, executeSqlTexts, toolCallIds } from './json-rpc-body.js';
import { StatelessCancellation } from './stateless-cancellation.js';
import type { Metrics } from '../telemetry/metrics.js';
import { metricsEndpoint } from './metrics-endpoint.js';
import { readyRoute, type StoreProbe } from './ready-route.js';
import { requestMetrics } from './request-metrics.js';

export interface HttpAppOptions {
  server: ServerConfig;
  environments: EnvironmentRegistry;
  /** The names of the tools an environment serves, for /health. */
  toolNames: (environmentName: string) => readonly string[];
  /** Builds the MCP server factory of an environment (mcp/create-mcp-server.ts). */
  serverFactory: (environmentName: string) => SqlgateServerFactory;
  logger: Logger;
  /** Present when auth.mode is oauth: the authorization server's routes and the bearer check of every MCP endpoint. */
  authorization?: AuthorizationRoutes;
  /** The per-user limits: a tools/call from a caller already over one is answered 429 before any work. */
  limits?: UsageLimiter;
  /** The server's shutdown: once it drains, every new request is refused. */
  drain?: Drain;
  /** The stores /ready checks: the audit trail, and the state store when sign-in is on. */
  stores?: readonly StoreProbe[];
  /** Present when metrics are on (metrics.token or metrics.listen): every request is counted. */
  metrics?: {
    readonly metrics: Metrics;
    /** Serve /metrics on this port behind this bearer token (metrics.token without metrics.listen); absent: not here. */
    readonly tokenOnMainPort?: string;
  };
}

export interface HttpApp {
  app: Hono<AuthEnv>;
  /** What the Node server calls: the app, behind the seed's X-Environment-Path compatibility. */
  fetch: FetchHandler;
  close(): Promise<void>;
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { server, environments, logger, authorization } = options;
  const app = new Hono<AuthEnv>();
  const closers: (() => Promise<void>)[] = [];

  // The root span of every request (telemetry.otlp_endpoint); the tool call, gate and statement spans are its children.
  app.use('*', (c, next) => withSpan(`HTTP ${c.req.method}`, { 'http.request.method': c.req.method, 'url.path': c.req.path }, async (span) => {
    await next();
    span.setAttribute('http.response.status_code', c.res.status);
  }));
  if (options.metrics) app.use('*', requestMetrics(options.metrics.metrics, new Set(environments.list().map((e) => e.name))));
  app.use('*', securityHeaders());
  // While the server drains (SIGTERM), nothing new is started: 503 with Retry-After, and the connection is closed.
  const { drain } = options;
  if (drain) app.use('*', (_c, next) => (drain.isDraining ? Promise.reject(drain.refusal()) : next()));
  const limitBody = bodyLimitByLengthFirst(server.maxBodyBytes, () => {
    throw new PayloadTooLargeError(`The request body is larger than ${server.maxBodyBytes} bytes.`, {
      hint: 'Send a smaller request, or ask the operator to raise server.max_body_bytes.',
    });
  });
  const limitFormBody = bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(`A sign-in form is never larger than ${MAX_FORM_BYTES} bytes.`);
    },
  });
  // The authorization server reads its own bodies (with its own, smaller limit) from the Node request; the
  // sign-in forms get a limit of their own size.
  app.use('*', (c, next) => {
    if (!authorization) return limitBody(c, next);
    if (c.req.path.startsWith('/interaction/')) return limitFormBody(c, next);
    return isAuthorizationServerPath(c.req.path) ? next() : limitBody(c, next);
  });
  if (authorization) {
    const checkHost = hostGuard(server);
    app.use('*', (c, next) => (isAuthorizationServerPath(c.req.path) || c.req.path.startsWith('/interaction/') ? checkHost(c, next) : next()));
    mountAuthorizationRoutes(app, authorization);
  }

  // Browsers ask for /favicon.ico beside every sign-in page; "no icon" (rather than a 404) keeps their consoles clean.
  app.get('/favicon.ico', (c) => c.body(null, 204, { 'Cache-Control': 'public, max-age=86400' }));

  // With sign-in on, strangers learn only whether the server is healthy (or ready): environment names, dialects and
  // database errors are for the machine itself (and its monitoring on loopback).
  // (Behind a proxy on this machine, the client is the one trusted_proxies' X-Forwarded-For names.)
  const isStranger = (c: Context) => authorization !== undefined && !isLoopbackHost(authorization.publicBase.clientAddress(c));
  app.get('/health', async (c) => {
    const statuses = await environments.status();
    const isHealthy = statuses.every((s) => s.database.connected);
    if (isStranger(c)) {
      return c.json({ status: isHealthy ? 'ok' : 'degraded', version: SQLGATE_VERSION });
    }
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
              // Down, or up and refusing sqlgate's login or database: monitoring can tell a wrong password from an outage.
              ...(s.database.failure ? { failure: s.database.failure } : {}),
            },
            tools: options.toolNames(s.name),
            endpoints: { mcp: `/${s.name}/mcp`, sse: `/${s.name}/sse` },
          },
        ]),
      ),
    });
  });

  app.get('/ready', readyRoute({ environments, stores: options.stores ?? [], isStranger }));
  if (options.metrics?.tokenOnMainPort) app.get('/metrics', metricsEndpoint(options.metrics.metrics, options.metrics.tokenOnMainPort));

  const guards = requestGuards(server);
  // Every body of an MCP POST is parsed as JSON (legacy SSE parses it whatever its Content-Type): check its depth
  // after the caller is known and before anything parses it, answering as the SDK answers malformed JSON.
  const limitJsonDepth = jsonDepthLimit({
    maxBytes: server.maxBodyBytes,
    refuse: (c, problem) => {
      const error = problem.status === 413 ? { code: -32000, message: problem.description } : { code: -32700, message: `Parse error: ${problem.description}` };
      return c.json({ jsonrpc: '2.0', id: null, error }, problem.status);
    },
  });
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
    const protectedEnvironment = authorization?.authorizationServer.environments.find((e) => e.name === environment.name);
    const servePost = async (c: Context<AuthEnv>) => {
      const body = await jsonBodyOf(c.req.raw);
      const authInfo = authInfoOf(c);
      if (body === undefined) return streamable.fetch(c.req.raw, { authInfo }); // the SDK answers the parse error
      await refuseWritesWithoutScope(c, body);
      // Over calls_per_minute or rows_per_hour already: 429 + Retry-After (http/on-error.ts), nothing counted. The
      // tool call itself (mcp/) counts and checks again: this is only the early answer.
      if (options.limits && toolCallIds(body).length > 0) await options.limits.refuseIfSpent(limitScope(environment, authInfo ? c.var.identity : undefined));
      // Cancellation is scoped to the caller: their identity when there is one, else their address and agent.
      const clientKey = authInfo ? `user:${c.var.identity.user}|${authInfo.clientId}` : `${getConnInfo(c).remote.address ?? ''}|${c.req.header('user-agent') ?? ''}`;
      for (const id of cancelledIds(body)) cancellation.cancel(clientKey, id);
      const tracked = toolCallIds(body).map((id) => cancellation.track(clientKey, id));
      const releaseTracked = () => tracked.forEach((t) => t.release());
      // One JSON body where the exchange allows it (mcp/transports/stateless-json.ts): the call is over when the
      // answer is, and the body goes out in one write, without a stream between.
      if (isJsonAnswerable(c.req.raw, body)) {
        const json = { parsedBody: body, authInfo, cancelledBy: tracked.map((t) => t.signal) };
        // A plain tools/call needs no MCP server built for it (mcp/transports/direct-tool-call.ts).
        return (answerToolCallDirectly(factory.tools, c.req.raw, json) ?? answerAsJson(factory, c.req.raw, json)).finally(releaseTracked);
      }
      if (tracked.length === 0) return streamable.fetch(c.req.raw, { parsedBody: body, authInfo });
      const request = new Request(c.req.raw.url, {
        method: 'POST',
        headers: c.req.raw.headers,
        signal: AbortSignal.any([c.req.raw.signal, ...tracked.map((t) => t.signal)]),
      });
      const response = await streamable.fetch(request, { parsedBody: body, authInfo });
      return releaseWhenDone(response, releaseTracked);
    };

    /**
     * Step-up (MCP authorization, insufficient_scope): a token without sql:write that sends a statement which
     * writes gets 403 before anything runs, so the client can ask the user for the wider scope. The tool's own
     * check (tools/statement-policy.ts) stays as the backstop.
     */
    const refuseWritesWithoutScope = async (c: Context<AuthEnv>, body: unknown) => {
      if (!authorization || environment.config.readOnly || c.var.identity.canWrite) return;
      const options = { allowedFunctions: environment.config.allowedFunctions };
      for (const sql of executeSqlTexts(body)) {
        let kind: string;
        try {
          await environment.rules.prepare?.(sql, options);
          kind = environment.rules.classify(sql, options).kind;
        } catch {
          continue; // the tool reports what the gate refuses
        }
        if (kind !== 'read') throw authorization.verifier.insufficientScopeForWrite({ base: authorization.publicBase.base(c), environment: protectedEnvironment!, transport: 'mcp' });
      }
    };

    app.use(`${base}/*`, guards);
    if (authorization && protectedEnvironment) {
      app.use(`${base}/mcp`, bearerGuard(authorization, protectedEnvironment, 'mcp'));
      app.use(`${base}/sse`, bearerGuard(authorization, protectedEnvironment, 'sse'));
      app.use(`${base}/messages`, bearerGuard(authorization, protectedEnvironment, 'sse'));
    }
    app.post(`${base}/mcp`, limitJsonDepth, servePost);
    app.all(`${base}/mcp`, (c) => streamable.fetch(c.req.raw, { authInfo: authInfoOf(c) }));
    app.get(`${base}/sse`, (c) => legacySse.open(c.req.raw, authInfoOf(c)));
    // The seed's clients also POST JSON-RPC straight to /sse: serve it like Streamable HTTP.
    app.post(`${base}/sse`, limitJsonDepth, servePost);
    app.post(`${base}/messages`, limitJsonDepth, (c) => legacySse.post(c.req.raw, authInfoOf(c)));
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

  const environmentNames = new Set(environments.list().map((e) => e.name));
  return {
    app,
    fetch: authorization
      ? withEnvironmentPathHeader((request, env) => app.fetch(request, env), environmentNames, authorization.publicBase.isTrustedProxy)
      : (request, env) => app.fetch(request, env),
    close: async () => {
      await Promise.all(closers.map((close) => close().catch(() => undefined)));
    },
  };
}


/** What the MCP SDK hands to the server factory and every handler: the verified caller, under `extra.identity`. */
function authInfoOf(c: Context<AuthEnv>): AuthInfo | undefined {
  const identity = c.get('identity');
  if (!identity) return undefined;
  return { token: c.get('bearerToken'), clientId: identity.clientId ?? identity.user, scopes: [...identity.scopes], extra: { identity } };
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

/** The parsed JSON body, from the text the depth check already read when it did; undefined when it is not JSON. */
async function jsonBodyOf(request: Request): Promise<unknown> {
  const text = checkedBodyText(request);
  if (text === undefined) return request.clone().json().catch(() => undefined);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Hono's bodyLimit, but a request whose Content-Length says its size (and no Transfer-Encoding) is decided from the
 * Node request's headers alone, and a GET or HEAD (whose body nobody reads) passes: Hono's reads `Request#body`
 * first, which makes @hono/node-server build a full web-stream Request for every request (issue 12).
 */
function bodyLimitByLengthFirst(maxBytes: number, onError: () => never): MiddlewareHandler<AuthEnv> {
  const streamed = bodyLimit({ maxSize: maxBytes, onError });
  return (c, next) => {
    const incoming = c.env?.incoming;
    if (!incoming) return streamed(c, next);
    if (incoming.method === 'GET' || incoming.method === 'HEAD') return next();
    const length = incoming.headers['content-length'];
    if (length === undefined || incoming.headers['transfer-encoding'] !== undefined) return streamed(c, next);
    return Number.parseInt(length, 10) > maxBytes ? onError() : next();
  };
}
