/**
 * sqlgate's OAuth 2.1 authorization server: oidc-provider (OpenID-certified) configured for MCP. One issuer per
 * public base URL (normally exactly one: auth.public_url), sharing one store, one set of keys and one policy.
 *
 * What the configuration decides, and why:
 * - Authorization code + PKCE S256 only, for every client (OAuth 2.1; oidc-provider offers only S256).
 * - Every access token names one environment (RFC 8707 `resource` → `aud`) and is opaque: it is checked
 *   against the store on every request, so revoking its grant stops it at once.
 * - Refresh tokens rotate on every use and each new one lives `refresh_token_ttl` again (sliding); presenting a
 *   rotated one again revokes the whole grant (oidc-provider's reuse detection).
 * - Clients: Client ID Metadata Documents (fetched only from vetted public addresses: outbound-fetch.ts), Dynamic Client
 *   Registration (bounded; http/ limits it per source) and static clients from the configuration.
 * - DPoP, PAR, userinfo and logout are switched off: MCP clients do not use them, and less surface is safer.
 */
import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { ClientMetadata, Configuration } from 'oidc-provider';
import type { AuthConfig, ExternalAuthConfig, NamedRoles } from '../config/schema.js';
import type { StateStore } from '../store/state-store.js';
import { RECORD_NOTHING, type RecordSecurityEvent } from '../audit/security-recorder.js';
import type { Logger } from '../telemetry/logger.js';
import { isLinkLocalAddress, isSpecialUseAddress } from '../util/special-use-address.js';
import { hashSecret, matchesHash } from './hash-secret.js';
import { createStoreAdapter, HASHED_SECRET_PREFIX } from './oidc-adapter.js';
import { loadOidcProvider, type OidcErrors, type OidcProvider } from './oidc-provider-module.js';
import { createOutboundFetch } from './outbound-fetch.js';
import { redirectUriProblem } from './redirect-policy.js';
import { environmentOfResource, resourceUrl } from './resource-urls.js';
import { SCOPE_READ, SCOPE_WRITE } from './scopes.js';
import { loadServerKeys, type ServerKeys } from './server-keys.js';
import { errorPage } from './pages.js';

export interface ProtectedEnvironment {
  readonly name: string;
  readonly readOnly: boolean;
  /** Set when the environment trusts an external identity provider's JWTs instead of this server's tokens. */
  readonly externalAuth?: ExternalAuthConfig;
}

export interface AuthorizationServerOptions {
  readonly auth: AuthConfig;
  readonly store: StateStore;
  readonly environments: readonly ProtectedEnvironment[];
  /** The named roles (config `roles`): with the users' own roles, what each user may use (scopes.ts). */
  readonly roles: NamedRoles;
  readonly logger: Logger;
  /** Where sign-ins, consents, tokens and registrations are recorded (the audit trail); nothing when absent. */
  readonly recordEvent?: RecordSecurityEvent;
}

/** Distinct public bases served at once (each is an issuer); more means a misconfigured proxy or Host abuse. */
const MAX_ISSUERS = 16;
const GARBAGE_COLLECTION_INTERVAL_MS = 15 * 60 * 1000;
const GRANT_TTL_SECONDS = 365 * 86_400;

export class AuthorizationServer {
  private readonly providers = new Map<string, Provider>();
  private readonly environmentNames: ReadonlySet<string>;
  private readonly collector: NodeJS.Timeout;

  private constructor(
    readonly options: AuthorizationServerOptions,
    private readonly keys: ServerKeys,
  ) {
    this.environmentNames = new Set(options.environments.map((e) => e.name));
    this.collector = setInterval(() => void this.collectGarbage(), GARBAGE_COLLECTION_INTERVAL_MS).unref();
  }

  /** Signs the sign-in forms' CSRF tokens: from the store's cookie keys, so every instance on the store agrees. */
  get formKey(): string {
    return this.keys.cookieKeys[0]!;
  }

  static async create(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
    if (options.auth.allowPrivateMetadataFetch) {
      options.logger.warn('!!! INSECURE: auth.allow_private_metadata_fetch is on: client metadata documents are fetched from loopback and private addresses (development only)');
    }
    return new AuthorizationServer(options, await loadServerKeys(options.store.secrets));
  }

  /** Records an authorization event in the audit trail (never rejects; a failure is logged). */
  get recordEvent(): RecordSecurityEvent {
    return this.options.recordEvent ?? RECORD_NOTHING;
  }

  get environments(): readonly ProtectedEnvironment[] {
    return this.options.environments;
  }

  get roles(): NamedRoles {
    return this.options.roles;
  }

  /** The environment a resource URL names on this base, or undefined. */
  environmentOf(resource: string, base: string): ProtectedEnvironment | undefined {
    const name = environmentOfResource(resource, base, this.environmentNames);
    return name === undefined ? undefined : this.options.environments.find((e) => e.name === name);
  }

  /**
   * The oidc-provider instance whose issuer is `base`, created on first use. The first call also loads
   * oidc-provider itself (oidc-provider-module.ts): a server that only checks bearer tokens never does.
   */
  async providerFor(base: string): Promise<Provider> {
    let provider = this.providers.get(base);
    if (!provider) {
      const oidc = await loadOidcProvider();
      // Two first requests for one base both waited above: the first one past the wait creates the provider,
      // the other finds it here, so the map never holds two for one issuer.
      provider = this.providers.get(base);
      if (!provider) {
        // Without auth.public_url a Host header can name a new base: keep a few, forget the least recently used
        // (a provider holds no state of its own), so a stream of made-up hosts cannot crowd the real one out.
        if (this.providers.size >= MAX_ISSUERS) this.providers.delete(this.providers.keys().next().value!);
        provider = this.createProvider(base, oidc);
      }
    }
    this.providers.delete(base); // most recently used last
    this.providers.set(base, provider);
    return provider;
  }

  /** Removes expired records and unused registered clients. Never throws (it runs on a timer). */
  async collectGarbage(): Promise<number> {
    try {
      const now = Math.floor(Date.now() / 1000);
      return await this.options.store.oauth.collectGarbage(now, now - this.options.auth.unusedClientTtl);
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'OAuth garbage collection failed');
      return 0;
    }
  }

  close(): void {
    clearInterval(this.collector);
  }

  private createProvider(base: string, oidc: OidcProvider): Provider {
    const { logger } = this.options;
    const provider = new oidc.default(base, this.configuration(base, oidc.errors));
    // Behind the public base there may be a TLS-terminating proxy: http/ sets X-Forwarded-Proto/Host from the
    // resolved base (never from the client's own headers), so Koa builds URLs on the public base.
    provider.proxy = true;
    // Client secrets are stored hashed (oidc-adapter.ts): compare the presented one's hash in constant time.
    provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
      const stored = this.clientSecret ?? '';
      return matchesHash(actual, stored.startsWith(HASHED_SECRET_PREFIX) ? stored.slice(HASHED_SECRET_PREFIX.length) : hashSecret(stored));
    };
    provider.on('server_error', (_ctx, err) => logger.error({ err }, 'authorization server error'));
    this.recordProviderEvents(provider);
    return provider;
  }

  /**
   * The provider's events, as log lines and audit records: tokens issued, refreshed and refused (a replayed code
   * and a reused refresh token are refusals whose grant the provider then revokes), grants and tokens revoked,
   * clients registered. Only ids go in: never a token, code or secret.
   */
  private recordProviderEvents(provider: Provider): void {
    const { logger } = this.options;
    const clientOf = (ctx: { oidc?: { client?: { clientId: string } } }) => ctx.oidc?.client?.clientId ?? null;
    const reasonOf = (err: Error) => [err.message, (err as { error_description?: string }).error_description, (err as { error_detail?: string }).error_detail]
      .filter((part, i, all) => part && all.indexOf(part) === i).join(': ');
    provider.on('grant.success', (ctx) => {
      const grantType = String(ctx.oidc.params?.grant_type ?? '');
      const user = ctx.oidc.entities.Grant?.accountId ?? null;
      logger.info({ client: clientOf(ctx), user, grantType }, 'OAuth token issued');
      void this.recordEvent({ kind: 'auth', action: grantType === 'refresh_token' ? 'token_refreshed' : 'token_issued', verdict: 'allowed', user, client_id: clientOf(ctx), details: { grant_type: grantType, grant_id: ctx.oidc.entities.Grant?.jti ?? null } });
    });
    provider.on('grant.error', (ctx, err) => {
      logger.info({ client: clientOf(ctx), error: err.message, detail: (err as { error_description?: string }).error_description }, 'token request refused');
      void this.recordEvent({ kind: 'auth', action: 'token_refused', verdict: 'refused', client_id: clientOf(ctx), reason: reasonOf(err), details: { grant_type: String(ctx.oidc?.params?.grant_type ?? '') } });
    });
    provider.on('grant.revoked', (ctx, grantId) => {
      logger.info({ grantId }, 'OAuth grant revoked');
      void this.recordEvent({ kind: 'auth', action: 'grant_revoked', verdict: 'allowed', client_id: clientOf(ctx), details: { grant_id: grantId } });
    });
    // Revoked through /revoke, or with its grant: the token is destroyed (a refresh token used up by rotation is
    // consumed instead, and an expired one is collected, neither of which is a revocation).
    const revoked = (kind: string) => (token: { clientId?: string; accountId?: string; grantId?: string }) => void this.recordEvent({
      kind: 'auth', action: 'token_revoked', verdict: 'allowed', user: token.accountId ?? null, client_id: token.clientId ?? null,
      details: { token_type: kind, grant_id: token.grantId ?? null },
    });
    provider.on('access_token.destroyed', revoked('access_token'));
    provider.on('refresh_token.destroyed', revoked('refresh_token'));
    provider.on('revocation.error', (ctx, err) => void this.recordEvent({ kind: 'auth', action: 'revocation_refused', verdict: 'refused', client_id: clientOf(ctx), reason: reasonOf(err) }));
    provider.on('registration_create.success', (_ctx, client) => void this.recordEvent({
      kind: 'auth', action: 'client_registered', verdict: 'allowed', client_id: client.clientId,
      details: { client_name: client.clientName ?? null, redirect_uris: client.redirectUris ?? [] },
    }));
    provider.on('registration_create.error', (_ctx, err) => void this.recordEvent({ kind: 'auth', action: 'registration_refused', verdict: 'refused', reason: reasonOf(err) }));
    provider.on('authorization.error', (ctx, err) => void this.recordEvent({ kind: 'auth', action: 'authorization_refused', verdict: 'refused', client_id: clientOf(ctx), reason: reasonOf(err) }));
  }

  /** `errors` comes from the loaded module (oidc-provider-module.ts): nothing here imports oidc-provider at start. */
  private configuration(base: string, errors: OidcErrors): Configuration {
    const { auth, store } = this.options;
    const server = this;
    return {
      adapter: createStoreAdapter(store.oauth),
      jwks: { keys: this.keys.signingKeys as NonNullable<Configuration['jwks']>['keys'] },
      cookies: {
        keys: this.keys.cookieKeys,
        long: { signed: true, httpOnly: true, sameSite: 'lax' },
        short: { signed: true, httpOnly: true, sameSite: 'lax' },
        names: { session: 'sqlgate_session', interaction: 'sqlgate_interaction', resume: 'sqlgate_resume' },
      },
      clients: auth.clients.map(staticClientMetadata),
      clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
      responseTypes: ['code'],
      scopes: ['openid', 'offline_access', SCOPE_READ, SCOPE_WRITE],
      claims: { openid: ['sub'] },
      pkce: { required: () => true },
      routes: {
        authorization: '/authorize',
        token: '/token',
        registration: '/register',
        revocation: '/revoke',
        jwks: '/jwks',
        end_session: '/logout',
        userinfo: '/userinfo',
        introspection: '/introspect',
        pushed_authorization_request: '/par',
      },
      ttl: {
        AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? auth.accessTokenTtl,
        AuthorizationCode: auth.authorizationCodeTtl,
        RefreshToken: auth.refreshTokenTtl,
        Grant: Math.max(GRANT_TTL_SECONDS, auth.refreshTokenTtl),
        Session: auth.sessionTtl,
        Interaction: 3_600,
        IdToken: auth.accessTokenTtl,
      },
      rotateRefreshToken: () => true,
      // MCP clients keep working after the browser session ends; the refresh token is what limits them.
      expiresWithSession: async () => false,
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      findAccount: async (_ctx, sub) => {
        const user = await store.users.get(sub);
        return user ? { accountId: user.name, claims: async () => ({ sub: user.name }) } : undefined;
      },
      interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
      // Remembered consent: the grant this browser session holds for the client, or else the newest stored grant
      // of this user to this client (consent outlives the browser session; "sqlgate grants revoke" ends it).
      loadExistingGrant: async (ctx) => {
        const accountId = ctx.oidc.session?.accountId;
        const clientId = ctx.oidc.client?.clientId;
        let grantId = ctx.oidc.result?.consent?.grantId ?? (clientId ? ctx.oidc.session?.grantIdFor(clientId) : undefined);
        if (!grantId && accountId && clientId) grantId = (await store.oauth.list('Grant', { accountId, clientId })).at(-1)?.grantId;
        return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
      },
      renderError: async (ctx, out) => {
        const page = errorPage(String(out.error ?? 'error'), String(out.error_description ?? 'The request could not be completed.'));
        ctx.type = 'html';
        ctx.set('Content-Security-Policy', page.csp);
        ctx.body = page.html;
      },
      // The redirect policy runs whenever a client is built (registration, metadata document, static, or loaded
      // from the store), so a client registered under a looser policy stops working when the policy tightens.
      extraClientMetadata: {
        properties: ['sqlgate_policy'],
        validator: (_ctx, key, _value, metadata) => {
          if (key !== 'sqlgate_policy') return;
          for (const uri of (metadata.redirect_uris as string[] | undefined) ?? []) {
            const problem = redirectUriProblem(uri, auth.allowedRedirects);
            if (problem) throw new errors.InvalidClientMetadata(`redirect_uris: ${uri.slice(0, 200)} ${problem}`);
          }
        },
      },
      clientBasedCORS: () => true,
      // SSRF: whatever oidc-provider fetches for a client is refused before any connection when its host is (or
      // resolves to) a loopback, private, link-local or other special-use address, and the connection is pinned to
      // the vetted address. oidc-provider's own check runs only after the TLS handshake, which leaks open ports by
      // timing. Development setups that serve a metadata document locally may allow private addresses.
      fetch: createOutboundFetch({
        // Development opens loopback and private networks (a local metadata server), never link-local: that is where
        // cloud instance metadata (169.254.169.254, fe80::) answers with credentials.
        isAllowedAddress: auth.allowPrivateMetadataFetch ? (address) => !isLinkLocalAddress(address) : (address) => !isSpecialUseAddress(address),
      }),
      features: {
        devInteractions: { enabled: false },
        dPoP: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
        userinfo: { enabled: false },
        rpInitiatedLogout: { enabled: false },
        introspection: { enabled: false },
        // A client may revoke only its own tokens (RFC 7009 §2.1); a public client asking for another's is ignored.
        revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
        registration: {
          enabled: auth.dynamicRegistration,
          initialAccessToken: false,
          issueRegistrationAccessToken: false,
        },
        registrationManagement: { enabled: false },
        clientIdMetadataDocument: {
          enabled: auth.clientIdMetadataDocuments,
          ack: 'draft-02',
          allowClient: async (_ctx, client) => (client.redirectUris ?? []).every((uri) => redirectUriProblem(uri, auth.allowedRedirects) === undefined),
        },
        resourceIndicators: {
          enabled: true,
          // Only authorization requests without `resource` get here: http/ already bound /<env>/authorize to
          // its environment, and a server with one environment binds that one.
          defaultResource: async (_ctx, _client, oneOf) =>
            oneOf ?? (server.options.environments.length === 1 ? resourceUrl(base, server.options.environments[0]!.name) : undefined),
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, resource) => {
            const environment = server.environmentOf(resource, base);
            if (!environment) {
              throw new errors.InvalidTarget(`${resource} is not an MCP endpoint of this server (use ${base}/<environment>/mcp)`);
            }
            if (environment.externalAuth) {
              throw new errors.InvalidTarget(`${resource} accepts tokens from ${environment.externalAuth.issuer}, not from this server`);
            }
            return {
              scope: environment.readOnly ? SCOPE_READ : `${SCOPE_READ} ${SCOPE_WRITE}`,
              audience: resource,
              accessTokenTTL: auth.accessTokenTtl,
              accessTokenFormat: 'opaque',
            };
          },
        },
      },
      // Without this oidc-provider logs a warning for the default; we publish no pairwise subjects.
      pairwiseIdentifier: async (_ctx, accountId, client) =>
        createHash('sha256').update(`${client.sectorIdentifier ?? client.clientId}|${accountId}`).digest('base64url'),
    };
  }
}

function staticClientMetadata(client: AuthConfig['clients'][number]): ClientMetadata {
  return {
    client_id: client.clientId,
    ...(client.clientSecret
      ? { client_secret: HASHED_SECRET_PREFIX + hashSecret(client.clientSecret), token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    client_name: client.clientName,
    redirect_uris: client.redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
}
