/**
 * The OAuth surface on the HTTP server:
 * - the authorization server (oidc-provider, a Koa app) at the origin root — /authorize, /token, /register,
 *   /revoke, /jwks and its metadata at /.well-known/openid-configuration and /.well-known/oauth-authorization-server —
 *   plus the per-environment forms (/<env>/authorize …) that lead to the same server;
 * - sign-in and consent at /interaction/<uid>;
 * - each environment's protected resource metadata (RFC 9728);
 * - `bearerGuard`, which every MCP endpoint passes: 401 + WWW-Authenticate without a valid token.
 */
import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type Provider from 'oidc-provider';
import { getCookie } from 'hono/cookie';
import type { AuthorizationServer, ProtectedEnvironment } from '../auth/authorization-server.js';
import type { BearerVerifier } from '../auth/bearer-verifier.js';
import type { InteractionHandler, InteractionOutcome } from '../auth/interactions.js';
import { errorPage } from '../auth/pages.js';
import { resourceUrl, type McpTransportPath } from '../auth/resource-urls.js';
import { SCOPE_READ, SCOPE_WRITE, SQL_SCOPES } from '../auth/scopes.js';
import { UPSTREAM_BINDING_COOKIE, UPSTREAM_CALLBACK_PATH } from '../auth/upstream-callback.js';
import type { AuthConfig } from '../config/schema.js';
import { LimitsUnavailableError, UnauthorizedError } from '../errors.js';
import type { GuardedCounter } from '../limits/guarded-counter.js';
import type { Identity } from '../environments/identity.js';
import { jsonDepthLimit } from './json-depth-limit.js';
import { nodeRequestWithBody } from './node-request-with-body.js';
import type { PublicBaseResolver } from './public-base.js';
import { setSecurityHeaders } from './security-headers.js';

export type AuthEnv = { Bindings: HttpBindings; Variables: { identity: Identity; bearerToken: string } };

export interface AuthorizationRoutes {
  readonly authorizationServer: AuthorizationServer;
  readonly interactions: InteractionHandler;
  readonly verifier: BearerVerifier;
  readonly auth: AuthConfig;
  readonly publicBase: PublicBaseResolver;
  /** Registrations per source address in windows of an hour, in the limits store (shared by every instance). */
  readonly registrations: GuardedCounter;
}

/** The sign-in and consent forms: a user name, a password of at most 1,024 characters and a CSRF token. */
export const MAX_FORM_BYTES = 8 * 1024;

/** A registration larger than this is refused before it is parsed (Claude's is under 1 KB). */
const MAX_REGISTRATION_BYTES = 16 * 1024;

/** oidc-provider reads at most 56 KB of a body (lib/shared/selective_body.js): the JSON depth check reads no more. */
const MAX_AUTHORIZATION_SERVER_BODY_BYTES = 56 * 1024;

/** Paths the authorization server answers; the server-wide body limit does not apply to them (oidc-provider has its own). */
export function isAuthorizationServerPath(path: string): boolean {
  return /^\/(authorize|token|register|revoke|jwks)(\/|$)/.test(path)
    || /^(\/[a-z0-9][a-z0-9_-]*)?\/(authorize|token|register|revoke)$/.test(path)
    || path.startsWith('/.well-known/');
}

export function mountAuthorizationRoutes(app: Hono<AuthEnv>, routes: AuthorizationRoutes): void {
  const { authorizationServer, publicBase, auth } = routes;
  const environments = authorizationServer.environments;
  // oidc-provider parses JSON bodies (registrations) itself: every route to it that takes a body checks a JSON one
  // first. Forms (token, revocation, authorization) are parsed without JSON.parse and go to the provider unread.
  const limitJsonDepth = jsonDepthLimit({
    maxBytes: MAX_AUTHORIZATION_SERVER_BODY_BYTES,
    isJsonTypeOnly: true,
    refuse: (c, problem) => c.json({ error: 'invalid_request', error_description: problem.description }, problem.status),
  });

  const toProvider = async (c: Context<AuthEnv>, path?: string): Promise<Response> => {
    const base = publicBase.base(c);
    // The first such request loads oidc-provider (auth/oidc-provider-module.ts); the server starts without it.
    const provider = await authorizationServer.providerFor(base);
    const { incoming, outgoing } = c.env;
    const url = new URL(base);
    // oidc-provider runs with `proxy = true`: these say what the public base is (resolved above, never copied
    // from the client), so the URLs it builds are right behind a TLS-terminating proxy too.
    incoming.headers['x-forwarded-host'] = url.host;
    incoming.headers['x-forwarded-proto'] = url.protocol.slice(0, -1);
    incoming.headers['x-forwarded-for'] = publicBase.clientAddress(c);
    if (path !== undefined) incoming.url = path;
    // The provider writes the response itself, past the app's middleware: it gets the security headers here.
    setSecurityHeaders(outgoing);
    await callbackOf(provider)(await providerRequest(c, incoming), outgoing);
    return RESPONSE_ALREADY_SENT;
  };

  const metadata = (c: Context<AuthEnv>) => toProvider(c, '/.well-known/openid-configuration');
  app.get('/.well-known/openid-configuration', metadata);
  app.get('/.well-known/oauth-authorization-server', metadata);
  app.on(['GET', 'POST'], '/authorize', limitJsonDepth, (c) => authorize(c, undefined));
  app.all('/authorize/*', limitJsonDepth, (c) => toProvider(c));
  app.all('/token', limitJsonDepth, (c) => toProvider(c));
  app.all('/revoke', limitJsonDepth, (c) => toProvider(c));
  app.all('/jwks', (c) => toProvider(c));
  app.all('/register', admitRegistration, limitJsonDepth, (c) => toProvider(c));

  for (const environment of environments) {
    const prefix = `/${environment.name}`;
    app.get(`${prefix}/.well-known/openid-configuration`, metadata);
    app.get(`${prefix}/.well-known/oauth-authorization-server`, metadata);
    app.on(['GET', 'POST'], `${prefix}/authorize`, limitJsonDepth, (c) => authorize(c, environment));
    app.all(`${prefix}/token`, limitJsonDepth, (c) => toProvider(c, `/token${search(c)}`));
    app.all(`${prefix}/revoke`, limitJsonDepth, (c) => toProvider(c, `/revoke${search(c)}`));
    app.all(`${prefix}/register`, admitRegistration, limitJsonDepth, (c) => toProvider(c, `/register${search(c)}`));
    for (const transport of ['mcp', 'sse'] as const) {
      const document = (c: Context<AuthEnv>) => protectedResourceMetadata(c, environment, transport);
      app.get(`/.well-known/oauth-protected-resource${prefix}/${transport}`, document);
    }
    app.get(`/.well-known/oauth-protected-resource${prefix}`, (c) => protectedResourceMetadata(c, environment, 'mcp'));
    app.get(`${prefix}/.well-known/oauth-protected-resource`, (c) => protectedResourceMetadata(c, environment, 'mcp'));
  }
  if (environments.length === 1) {
    app.get('/.well-known/oauth-protected-resource', (c) => protectedResourceMetadata(c, environments[0]!, 'mcp'));
  }

  // Registered before /interaction/:uid so that "upstream" is never taken for an interaction id.
  app.get(UPSTREAM_CALLBACK_PATH, async (c) => {
    const outcome = await routes.interactions.upstreamCallback(new URL(c.req.url), getCookie(c, UPSTREAM_BINDING_COOKIE));
    c.header('Set-Cookie', `${UPSTREAM_BINDING_COOKIE}=; Path=${UPSTREAM_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=0`);
    return send(c, outcome);
  });
  app.get('/interaction/:uid', async (c) => send(c, await routes.interactions.show(interactionRequest(c))));
  app.get('/interaction/:uid/upstream/finish', async (c) => send(c, await routes.interactions.finishUpstream(interactionRequest(c), c.req.query('ticket'))));
  app.post('/interaction/:uid/upstream', async (c) => {
    const form = await formOf(c);
    if (!form) return sendPage(c, errorPage('invalid_request', 'The form could not be read.', 400));
    return send(c, await routes.interactions.startUpstream(interactionRequest(c), form));
  });
  for (const action of ['login', 'confirm', 'abort'] as const) {
    app.post(`/interaction/:uid/${action}`, async (c) => {
      const form = await formOf(c);
      if (!form) return sendPage(c, errorPage('invalid_request', 'The form could not be read.', 400));
      return send(c, await routes.interactions[action](interactionRequest(c), form));
    });
  }

  /**
   * /authorize with sqlgate's defaults filled in: the environment's resource for /<env>/authorize (and for the
   * root endpoint when there is only one environment), and the user's default scopes when none is asked for.
   */
  async function authorize(c: Context<AuthEnv>, environment: ProtectedEnvironment | undefined): Promise<Response> {
    if (c.req.method !== 'GET') return toProvider(c, `/authorize${search(c)}`);
    const url = new URL(c.req.url);
    const params = url.searchParams;
    if (params.has('access_token')) return sendPage(c, errorPage('invalid_request', 'Tokens are never accepted in a URL.', 400));
    const bound = environment ?? (environments.length === 1 ? environments[0] : undefined);
    if (!params.has('resource')) {
      if (!bound) {
        return sendPage(c, errorPage('invalid_target', `This server has several environments; connect to one of ${environments.map((e) => resourceUrl(publicBase.base(c), e.name)).join(', ')}.`, 400));
      }
      params.set('resource', resourceUrl(publicBase.base(c), bound.name));
    }
    const scopes = (params.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scopes.some((s) => (SQL_SCOPES as readonly string[]).includes(s))) params.set('scope', [...scopes, SCOPE_READ, SCOPE_WRITE].join(' '));
    return toProvider(c, `/authorize?${params.toString()}`);
  }

  /**
   * Dynamic registration, bounded: size and count per source address here, before the body is read; then the
   * depth check, and the redirect policy (in the provider).
   */
  async function admitRegistration(c: Context<AuthEnv>, next: () => Promise<void>): Promise<Response | void> {
    if (c.req.method === 'POST') {
      const declared = c.req.header('content-length');
      // A body without Content-Length (chunked) would slip past the size check below and be read by oidc-provider
      // up to its own, larger limit: require the length (every HTTP client sends it for a JSON registration).
      if (declared === undefined) {
        c.header('Connection', 'close');
        return c.json({ error: 'invalid_request', error_description: 'a registration must be sent with a Content-Length header' }, 411);
      }
      const length = Number(declared);
      if (length > MAX_REGISTRATION_BYTES) {
        c.header('Connection', 'close');
        return c.json({ error: 'invalid_client_metadata', error_description: `the registration is larger than ${MAX_REGISTRATION_BYTES} bytes` }, 413);
      }
      let counted;
      try {
        counted = await routes.registrations.add(publicBase.rateLimitKey(c));
      } catch (err) {
        // limits.on_store_error.sign_in: closed. Registrations that cannot be counted could be sent without end.
        if (!(err instanceof LimitsUnavailableError)) throw err;
        return c.json({ error: 'temporarily_unavailable', error_description: 'registration is unavailable right now (the server cannot reach its limits store); retry in a minute' }, 503, { 'Retry-After': '60' });
      }
      if (counted && counted.count > auth.registrationsPerHour) {
        const retryAfter = String(Math.max(1, Math.ceil(counted.msBeforeReset / 1000)));
        return c.json({ error: 'too_many_requests', error_description: `more than ${auth.registrationsPerHour} registrations from this address in an hour; retry later` }, 429, { 'Retry-After': retryAfter });
      }
    }
    await next();
  }

  function protectedResourceMetadata(c: Context<AuthEnv>, environment: ProtectedEnvironment, transport: McpTransportPath): Response {
    const base = publicBase.base(c);
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cache-Control', 'public, max-age=300');
    c.header('Vary', 'Host, X-Forwarded-Host, X-Forwarded-Proto, X-Environment-Path');
    return c.json({
      resource: resourceUrl(base, environment.name, transport),
      authorization_servers: [environment.externalAuth?.issuer ?? base],
      scopes_supported: environment.readOnly ? [SCOPE_READ] : [SCOPE_READ, SCOPE_WRITE],
      bearer_methods_supported: ['header'],
      resource_name: `sqlgate · ${environment.name}`,
    });
  }

  function interactionRequest(c: Context<AuthEnv>) {
    return {
      req: c.env.incoming,
      res: c.env.outgoing,
      base: publicBase.base(c),
      uid: c.req.param('uid') ?? '',
      clientAddress: publicBase.clientAddress(c),
      rateLimitKey: publicBase.rateLimitKey(c),
      origin: c.req.header('origin'),
      fetchSite: c.req.header('sec-fetch-site'),
    };
  }
}

/**
 * Passes only requests with a valid token for `environment`; sets `identity` for the MCP handlers. A token in the
 * query string is refused outright (OAuth 2.1 §5.2: URLs end up in logs and browser history).
 */
export function bearerGuard(routes: AuthorizationRoutes, environment: ProtectedEnvironment, transport: McpTransportPath): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const base = routes.publicBase.base(c);
    if (new URL(c.req.url).searchParams.has('access_token')) {
      throw new UnauthorizedError('Access tokens are not accepted in the URL.', `Bearer error="invalid_request", error_description="send the token in the Authorization header"`, {
        hint: 'Send "Authorization: Bearer <token>" instead.',
      });
    }
    const authorization = c.req.header('authorization');
    c.set('identity', await routes.verifier.verify({ authorization, base, environment, transport }));
    c.set('bearerToken', authorization?.replace(/^Bearer\s+/i, '') ?? '');
    await next();
  };
}

/**
 * The Node request oidc-provider reads. A body that Hono has read already (the JSON depth check) is gone from the
 * Node stream: the provider then gets a copy that replays it.
 */
async function providerRequest(c: Context<AuthEnv>, incoming: IncomingMessage): Promise<IncomingMessage> {
  if (!incoming.readableDidRead) return incoming;
  // Unreadable now means the client went away; an empty body then fails the provider's Content-Length check.
  const body = await c.req.raw.arrayBuffer().then((bytes) => new Uint8Array(bytes), () => new Uint8Array(0));
  return nodeRequestWithBody(incoming, body);
}

const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
/** Koa builds its request handler (the composed middleware) on each callback() call: build it once per provider. */
function callbackOf(provider: Provider): ReturnType<Provider['callback']> {
  let callback = callbacks.get(provider);
  if (!callback) callbacks.set(provider, (callback = provider.callback()));
  return callback;
}

function search(c: Context): string {
  return new URL(c.req.url).search;
}

async function formOf(c: Context): Promise<Record<string, string> | undefined> {
  if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return undefined;
  // The body was already bounded (MAX_FORM_BYTES, by the body limit on /interaction/* in create-http-app.ts).
  return Object.fromEntries(new URLSearchParams(await c.req.text()));
}

function send(c: Context, outcome: InteractionOutcome): Response {
  if ('redirect' in outcome) {
    for (const cookie of outcome.cookies ?? []) c.header('Set-Cookie', cookie, { append: true });
    return c.redirect(outcome.redirect, 303);
  }
  return sendPage(c, outcome.page);
}

function sendPage(c: Context, page: { status: number; html: string; csp: string }): Response {
  c.header('Content-Security-Policy', page.csp);
  c.header('Cache-Control', 'no-store');
  return c.html(page.html, page.status as 200);
}
