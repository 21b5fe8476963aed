/**
 * The composition root's sign-in part (see app.ts): builds sqlgate's own authorization server, the sign-in and
 * consent pages, single sign-on and the bearer-token check for auth.mode oauth.
 *
 * A module of its own so that app.ts imports it only when auth is on: oidc-provider (with Koa), openid-client and
 * argon2 cost ~60 MB resident and ~400 ms to import, and a server with auth.mode none never needs them (issue 12).
 * Even with auth on they load on first use, not here: oidc-provider with the first authorization-server request
 * (oidc-provider-module.ts), argon2 with the first password, openid-client only when single sign-on is configured.
 */
import type { RecordSecurityEvent } from './audit/security-recorder.js';
import { AuthorizationServer } from './auth/authorization-server.js';
import { BearerVerifier } from './auth/bearer-verifier.js';
import { InteractionHandler } from './auth/interactions.js';
import { SignInThrottle } from './auth/sign-in-throttle.js';
import { staleNamedRoles, staleNamedRolesWarning } from './auth/stale-named-roles.js';
import type { UpstreamSignIn } from './auth/upstream-sign-in.js';
import type { Config } from './config/schema.js';
import type { EnvironmentRegistry } from './environments/environment.js';
import type { AuthorizationRoutes } from './http/authorization-routes.js';
import { publicBaseResolver } from './http/public-base.js';
import type { Limits } from './limits/open-limits.js';
import type { StateStore } from './store/state-store.js';
import type { Logger } from './telemetry/logger.js';

export async function createAuthorization(config: Config, environments: EnvironmentRegistry, store: StateStore, recordEvent: RecordSecurityEvent, limits: Limits, logger: Logger): Promise<AuthorizationRoutes> {
  const authLogger = logger.child({ component: 'auth' });
  const authorizationServer = await AuthorizationServer.create({
    auth: config.auth,
    store,
    environments: environments.list().map((e) => ({ name: e.name, readOnly: e.config.readOnly, externalAuth: e.config.externalAuth })),
    roles: config.roles,
    logger: authLogger,
    recordEvent,
  });
  await authorizationServer.collectGarbage();
  // openid-client (behind upstream-sign-in.ts) loads only when single sign-on is configured.
  let upstream: UpstreamSignIn | undefined;
  if (config.auth.upstream) {
    const { UpstreamSignIn } = await import('./auth/upstream-sign-in.js');
    upstream = new UpstreamSignIn(config.auth.upstream, store.users, store.oauth);
  }
  const reduced = upstream ? await upstream.dropUnmappedAccess() : 0;
  if (reduced > 0) authLogger.info({ users: reduced }, 'took from single sign-on users the access no role mapping gives any more');
  const stale = await staleNamedRoles(store.users, config.roles);
  if (stale.size > 0) authLogger.warn({ roles: [...stale.keys()] }, staleNamedRolesWarning(stale));
  return {
    authorizationServer,
    interactions: new InteractionHandler(authorizationServer, store.users, new SignInThrottle(limits.signInCounter, config.auth), authLogger, upstream),
    verifier: new BearerVerifier(authorizationServer, store),
    auth: config.auth,
    publicBase: publicBaseResolver(config.auth),
    registrations: limits.signInCounter('registrations', 3_600),
  };
}
