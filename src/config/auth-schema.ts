/**
 * The `auth` section of the configuration: sqlgate's own OAuth 2.1 authorization server (lifetimes, redirects,
 * registration, sign-in throttling), its static clients, and single sign-on through an upstream provider. Part of
 * the schema in schema.ts, kept apart to keep each file about one thing.
 */
import { z } from 'zod';
import { durationSchema } from './duration-schema.js';

/** A duration: a number of seconds, or a string such as "90s", "15m", "1h", "30d". */
const duration = durationSchema({ maxDays: 400 });

/** Claude's OAuth callbacks: the redirect URIs allowed when auth.allowed_redirects is not set. */
export const CLAUDE_REDIRECT_URIS = ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'];

const staticClientSchema = z
  .strictObject({
    client_id: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, 'must be 1 to 128 letters, digits, ".", "_", "~" or "-"'),
    /** Omit for a public client (PKCE only); otherwise it authenticates with client_secret_basic or _post. */
    client_secret: z.string().min(32, 'must be at least 32 characters (generate one with: openssl rand -hex 32)').optional(),
    client_name: z.string().min(1).max(200).optional(),
    redirect_uris: z.array(z.url()).min(1),
  })
  .transform((c) => ({ clientId: c.client_id, clientSecret: c.client_secret, clientName: c.client_name, redirectUris: c.redirect_uris }));

/** One upstream group and what it gives. */
const roleMappingSchema = z
  .strictObject({
    group: z.string().min(1),
    environments: z.array(z.string().min(1)).min(1).optional(),
    /** Whether `environments` may be written; a named role says for itself whether it writes. */
    write: z.boolean().default(false),
    /** Named roles (the top-level `roles` section) the group's members get. */
    roles: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((m) => m.environments !== undefined || m.roles !== undefined, 'must give environments, roles or both')
  .refine((m) => !m.write || m.environments !== undefined, {
    message: 'applies to environments, and this mapping names none (a named role says itself whether it writes)',
    path: ['write'],
  })
  .transform((m) => ({ group: m.group, environments: m.environments ?? [], write: m.write, roles: m.roles ?? [] }));

/** Sign-in with an OpenID Connect provider (Entra ID, Okta, Google, Keycloak …), its groups mapped to roles. */
const upstreamSchema = z
  .strictObject({
    issuer: z.url(),
    client_id: z.string().min(1),
    /** Omit for a public client (PKCE only). Use ${VAR} to keep it out of the file. */
    client_secret: z.string().min(1).optional(),
    /** Shown on the sign-in button: "Sign in with …". */
    display_name: z.string().min(1).max(80).default('single sign-on'),
    scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email']),
    /** The ID-token claim that becomes the sqlgate user name. */
    user_claim: z.string().min(1).default('email'),
    /** The claim holding the user's groups (an array or a space-separated string). */
    groups_claim: z.string().min(1).default('groups'),
    /**
     * What a group gives: environments (with `write`), named roles (`roles`), or both. A user gets the union over
     * their groups. schema.ts checks the role names against the `roles` section.
     */
    role_mappings: z
      .array(roleMappingSchema)
      .min(1, 'map at least one group to environments or roles, or nobody could use sqlgate'),
    /** Development only: an issuer on plain http (a local test provider). */
    allow_insecure_http: z.boolean().default(false),
  })
  .transform((u) => ({
    issuer: u.issuer,
    clientId: u.client_id,
    clientSecret: u.client_secret,
    displayName: u.display_name,
    scopes: u.scopes,
    userClaim: u.user_claim,
    groupsClaim: u.groups_claim,
    roleMappings: u.role_mappings,
    allowInsecureHttp: u.allow_insecure_http,
  }));

export const authSchema = z
  .strictObject({
    /** `oauth`: sqlgate is the OAuth 2.1 authorization server and every MCP request needs a token. `none`: no auth. */
    mode: z.enum(['oauth', 'none']).default('oauth'),
    /**
     * The URL users reach sqlgate at (e.g. https://data.example.com): the OAuth issuer and the base of every
     * resource URL. Unset: taken from the request's Host (and X-Forwarded-* from trusted proxies).
     */
    public_url: z.url().refine((u) => /^https?:\/\/[^/]+\/?$/.test(u), 'must be an origin without a path, e.g. https://data.example.com').optional(),
    /** Addresses of reverse proxies whose X-Forwarded-Proto/Host headers are believed. */
    trusted_proxies: z.array(z.string().min(1)).default([]),
    /**
     * Redirect URIs that clients may register, besides loopback ones (RFC 8252). A full URL matches exactly; a
     * bare host name allows any https URL on that host. Default: Claude's two callbacks.
     */
    allowed_redirects: z.array(z.string().min(1)).default(CLAUDE_REDIRECT_URIS),
    access_token_ttl: duration.default(3_600),
    /** Refresh tokens rotate on every use; each new one lives this long again (sliding). */
    refresh_token_ttl: duration.default(30 * 86_400),
    authorization_code_ttl: duration.default(60),
    /** How long a browser stays signed in to sqlgate (it skips the password while this lasts). */
    session_ttl: duration.default(86_400),
    /** Client ID Metadata Documents: a client_id that is an https URL is fetched and validated. */
    client_id_metadata_documents: z.boolean().default(true),
    /**
     * Development only: fetch client metadata documents from loopback and private addresses (normally refused to
     * protect the network behind sqlgate). Link-local addresses, where cloud instance metadata answers, stay refused.
     */
    allow_private_metadata_fetch: z.boolean().default(false),
    /** Dynamic Client Registration (RFC 7591), which Claude uses when it does not send a metadata document URL. */
    dynamic_registration: z.boolean().default(true),
    /** Registrations accepted per source address per hour. */
    registrations_per_hour: z.int().min(1).max(100_000).default(30),
    /** A registered client nobody has used for this long (and that holds no live grant) is deleted. */
    unused_client_ttl: duration.default(30 * 86_400),
    /** Failed sign-ins per user name (and per address) before it is locked for `lockout`. */
    max_failed_logins: z.int().min(1).max(1_000).default(5),
    lockout: duration.default(900),
    clients: z.array(staticClientSchema).default([]),
    /** Sign-in with an OpenID Connect provider, besides (or instead of) local users. */
    upstream: upstreamSchema.optional(),
  })
  .transform((a) => ({
    mode: a.mode,
    publicUrl: a.public_url?.replace(/\/$/, ''),
    trustedProxies: a.trusted_proxies,
    allowedRedirects: a.allowed_redirects,
    accessTokenTtl: a.access_token_ttl,
    refreshTokenTtl: a.refresh_token_ttl,
    authorizationCodeTtl: a.authorization_code_ttl,
    sessionTtl: a.session_ttl,
    clientIdMetadataDocuments: a.client_id_metadata_documents,
    allowPrivateMetadataFetch: a.allow_private_metadata_fetch,
    dynamicRegistration: a.dynamic_registration,
    registrationsPerHour: a.registrations_per_hour,
    unusedClientTtl: a.unused_client_ttl,
    maxFailedLogins: a.max_failed_logins,
    lockout: a.lockout,
    clients: a.clients,
    upstream: a.upstream,
  }));

export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type StaticClientConfig = z.output<typeof staticClientSchema>;
