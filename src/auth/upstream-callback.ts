/**
 * Where single sign-on comes back to, and the cookie that binds it to the browser that started it. Shared by the
 * sign-in flow (interactions.ts, upstream-sign-in.ts) and the routes that mount it (http/authorization-routes.ts),
 * and kept apart from both so that mounting the routes loads neither openid-client nor argon2: a server without
 * OAuth never needs them (issue 12).
 */

export const UPSTREAM_CALLBACK_PATH = '/interaction/upstream/callback';

/** The cookie that binds an upstream sign-in to the browser that started it (scoped to the callback path). */
export const UPSTREAM_BINDING_COOKIE = 'sqlgate_sso';
