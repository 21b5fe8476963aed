/**
 * Resource-server mode: an environment that trusts an existing identity provider's JWT access tokens. jose checks
 * the signature against the provider's published keys (fetched, cached and re-fetched on an unknown key id), the
 * issuer, the audience, the expiry and the algorithm (asymmetric ones only, so `alg: none` and HS256 tokens made
 * with a public key fail). Roles come from a claim, mapped to read and write by the configuration.
 */
import type * as Jose from 'jose';
import type { JWTPayload } from 'jose';
import type { ExternalAuthConfig } from '../config/schema.js';
import { SCOPE_READ, SCOPE_WRITE } from './scopes.js';

export interface ExternalIdentity {
  readonly user: string;
  readonly clientId?: string;
  readonly scopes: string[];
}

/** Why a token was refused, safe to show (no key material, no claims beyond names). */
/** The longest external user name accepted: room for any e-mail address or subject identifier. */
const MAX_USER_CHARS = 320;

export class ExternalTokenError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'forbidden',
  ) {
    super(message);
  }
}

const DISCOVERY_TIMEOUT_MS = 5_000;

type KeySet = ReturnType<typeof Jose.createRemoteJWKSet>;

/**
 * jose loads with the first external token checked: a server with no environment in resource-server mode never
 * needs it, though bearer-verifier.ts imports this module for every server with auth on (issue 12).
 */
const loadJose = (): Promise<typeof Jose> => import('jose');

export class ExternalJwtVerifier {
  private keys: KeySet | undefined;
  private discovering: Promise<KeySet> | undefined;

  constructor(private readonly config: ExternalAuthConfig) {}

  /** The identity a token for `audience` proves. Throws ExternalTokenError. */
  async verify(token: string, audience: string, environmentIsWritable: boolean): Promise<ExternalIdentity> {
    if (token.split('.').length !== 3) throw new ExternalTokenError('The access token is not a JWT from the identity provider.', 'invalid');
    const { jwtVerify, errors: joseErrors } = await loadJose();
    let payload: JWTPayload;
    let header: { typ?: string };
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(token, await this.keySet(), {
        issuer: this.config.issuer,
        audience,
        algorithms: this.config.algorithms,
        clockTolerance: 30,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw new ExternalTokenError(describeJoseError(err, joseErrors), 'invalid');
    }
    // An ID token is proof of a sign-in to some client, not a grant to call this server (RFC 9068 §4): one with
    // a nonce, or typed as anything but an access token, is refused even when its audience happens to match.
    if (payload.nonce !== undefined || (header.typ !== undefined && !/^(at\+jwt|application\/at\+jwt|jwt)$/i.test(header.typ))) {
      throw new ExternalTokenError('The token is not an access token (it looks like an ID token).', 'invalid');
    }
    const user = payload[this.config.userClaim];
    if (typeof user !== 'string' || user === '') throw new ExternalTokenError(`The token has no "${this.config.userClaim}" claim naming the user.`, 'invalid');
    // The name goes into the log, the audit trail (PostgreSQL text takes no NUL) and session_context: one line of
    // printable text, of a length any of them takes, or the token is refused rather than the name altered.
    if (user.length > MAX_USER_CHARS || /\p{Cc}/u.test(user)) {
      throw new ExternalTokenError(`The token's "${this.config.userClaim}" claim is not a usable user name (control characters, or longer than ${MAX_USER_CHARS} characters).`, 'invalid');
    }
    const roles = rolesOf(payload[this.config.rolesClaim]);
    const canWrite = environmentIsWritable && this.config.writeRoles.some((r) => roles.has(r));
    const canRead = canWrite || this.config.readRoles.length === 0 || [...this.config.readRoles, ...this.config.writeRoles].some((r) => roles.has(r));
    if (!canRead) {
      throw new ExternalTokenError(`${user} has none of the roles that may use this environment (${[...this.config.readRoles, ...this.config.writeRoles].join(', ')}).`, 'forbidden');
    }
    const clientId = typeof payload.azp === 'string' ? payload.azp : typeof payload.client_id === 'string' ? payload.client_id : undefined;
    return { user, clientId, scopes: canWrite ? [SCOPE_READ, SCOPE_WRITE] : [SCOPE_READ] };
  }

  private async keySet(): Promise<KeySet> {
    if (this.keys) return this.keys;
    this.discovering ??= this.discoverKeys().finally(() => (this.discovering = undefined));
    this.keys = await this.discovering;
    return this.keys;
  }

  private async discoverKeys(): Promise<KeySet> {
    const { createRemoteJWKSet } = await loadJose();
    let uri = this.config.jwksUri;
    if (!uri) {
      const base = this.config.issuer.replace(/\/$/, '');
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
        const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) }).catch(() => undefined);
        const document = response?.ok ? ((await response.json().catch(() => undefined)) as { jwks_uri?: unknown } | undefined) : undefined;
        if (typeof document?.jwks_uri === 'string') {
          uri = document.jwks_uri;
          break;
        }
      }
      if (!uri) throw new ExternalTokenError(`The identity provider's keys could not be found (no jwks_uri at ${base}/.well-known/openid-configuration).`, 'invalid');
    }
    return createRemoteJWKSet(new URL(uri), { timeoutDuration: DISCOVERY_TIMEOUT_MS, cooldownDuration: 30_000 });
  }
}

function rolesOf(claim: unknown): Set<string> {
  if (Array.isArray(claim)) return new Set(claim.filter((r): r is string => typeof r === 'string'));
  if (typeof claim === 'string') return new Set(claim.split(' ').filter(Boolean));
  return new Set();
}

function describeJoseError(err: unknown, joseErrors: typeof Jose.errors): string {
  if (err instanceof ExternalTokenError) return err.message;
  if (err instanceof joseErrors.JWTExpired) return 'The access token has expired.';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `The access token's "${err.claim}" claim is not accepted here (${err.reason}).`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'The access token is signed with an algorithm this environment does not accept.';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'The access token signature is not valid.';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'The access token was signed with a key the identity provider does not publish.';
  if (err instanceof joseErrors.JWKSTimeout) return "The identity provider's keys could not be fetched in time.";
  if (err instanceof joseErrors.JOSEError) return `The access token is not valid (${err.code}).`;
  return "The access token could not be checked (the identity provider's keys are unreachable).";
}
