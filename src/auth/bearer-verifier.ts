/**
 * Checks the bearer token of a request to an environment and says who is calling. Two kinds of token:
 * - OAuth access tokens (opaque) issued by authorization-server.ts, looked up by hash in the store;
 * - personal access tokens (`sqg_pat_…`), created with `sqlgate tokens create`.
 *
 * Every check happens on every request, against the store and the user as they are now: a revoked grant, a
 * removed user, a password changed since the token was issued or a role taken from the user stops the token at once;
 * a named role removed from the configuration, once the server has restarted with it.
 * A token is bound to one environment: its audience must be that environment's resource URL on this base.
 */
import { InsufficientScopeError, UnauthorizedError } from '../errors.js';
import type { Identity } from '../environments/identity.js';
import type { OAuthRecord } from '../store/oauth-store.js';
import type { StateStore } from '../store/state-store.js';
import { StoreReadMemo } from '../store/store-read-memo.js';
import type { StoredUser } from '../store/user-store.js';
import { hashSecret } from './hash-secret.js';
import { isPersonalToken } from './personal-token.js';
import { ExternalJwtVerifier, ExternalTokenError } from './external-jwt.js';
import { resourceMetadataUrl, resourceUrl, type McpTransportPath } from './resource-urls.js';
import { environmentAccess, SCOPE_READ, SCOPE_WRITE } from './scopes.js';
import type { AuthorizationServer, ProtectedEnvironment } from './authorization-server.js';

export interface BearerCheck {
  /** The Authorization header as sent (undefined when absent). */
  readonly authorization: string | undefined;
  readonly base: string;
  readonly environment: ProtectedEnvironment;
  readonly transport: McpTransportPath;
}

interface AccessTokenPayload {
  accountId?: string;
  clientId?: string;
  aud?: string | string[];
  scope?: string;
  exp?: number;
  iat?: number;
  grantId?: string;
  kind?: string;
}

/** Personal tokens record their last use at most this often. */
const TOUCH_INTERVAL_MS = 60_000;

export class BearerVerifier {
  private readonly lastTouched = new Map<string, number>();
  private readonly externalVerifiers = new Map<string, ExternalJwtVerifier>();
  /** The store's answers while nothing in it changed: every check still sees the store as it is now. */
  private readonly reads: StoreReadMemo;

  constructor(
    private readonly server: AuthorizationServer,
    private readonly store: StateStore,
  ) {
    this.reads = new StoreReadMemo(store.version);
  }

  /** The caller's identity, or UnauthorizedError (401 + challenge) / InsufficientScopeError (403). */
  async verify(check: BearerCheck): Promise<Identity> {
    const refuse = (message: string, hint?: string): never => {
      throw new UnauthorizedError(message, challengeFor(check, 'invalid_token', message), { hint });
    };

    if (!check.authorization) {
      throw new UnauthorizedError(`Environment "${check.environment.name}" requires authorization.`, challengeFor(check), {
        hint: 'Connect with an MCP client that supports OAuth (it follows the WWW-Authenticate header), or send "Authorization: Bearer <token>" with a token from "sqlgate tokens create".',
      });
    }
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(check.authorization.trim());
    if (!match) return refuse('The Authorization header is not "Bearer <token>".');
    const token = match[1]!;

    const identity = check.environment.externalAuth
      ? await this.external(token, check)
      : isPersonalToken(token) ? await this.personal(token, check, refuse) : await this.oauth(token, check, refuse);
    if (!identity.scopes.includes(SCOPE_READ)) {
      throw new InsufficientScopeError(`The token lacks the ${SCOPE_READ} scope for "${check.environment.name}".`,
        challengeFor(check, 'insufficient_scope', `${SCOPE_READ} is required`, SCOPE_READ));
    }
    return identity;
  }

  /** The 403 for a write attempted with a token that may only read (step-up: the client may ask for sql:write). */
  insufficientScopeForWrite(check: Omit<BearerCheck, 'authorization'>): InsufficientScopeError {
    return new InsufficientScopeError(`Writing in "${check.environment.name}" needs the ${SCOPE_WRITE} scope, which this token lacks.`,
      challengeFor(check, 'insufficient_scope', `${SCOPE_WRITE} is required to write`, `${SCOPE_READ} ${SCOPE_WRITE}`),
      { hint: 'Re-authorize asking for sql:write; the user must be allowed to write in this environment.' });
  }

  private async oauth(token: string, check: BearerCheck, refuse: (message: string, hint?: string) => never): Promise<Identity> {
    const record = await this.findOAuth('AccessToken', hashSecret(token));
    const payload = record?.payload as AccessTokenPayload | undefined;
    const now = Math.floor(Date.now() / 1000);
    if (!payload || (payload.exp !== undefined && payload.exp <= now)) {
      return refuse('The access token is unknown, expired or revoked.', 'Refresh it, or connect again.');
    }
    const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
    const isForThis = audiences.some((aud) => this.server.environmentOf(aud, check.base)?.name === check.environment.name);
    if (!isForThis) return refuse(`The access token was not issued for "${check.environment.name}".`, `Connect to ${check.base}/${check.environment.name}/mcp to get a token for it.`);
    if (!payload.grantId || !(await this.findOAuth('Grant', hashSecret(payload.grantId)))) {
      return refuse('The authorization behind this token was revoked.', 'Connect again.');
    }
    if (!(await this.clientExists(payload.clientId))) return refuse('The client this token was issued to no longer exists.', 'Connect again.');
    const user = await this.currentUser(payload.accountId, payload.iat, refuse);
    const tokenScopes = (payload.scope ?? '').split(' ').filter(Boolean);
    const access = environmentAccess(user, check.environment.name, !check.environment.readOnly, this.server.roles);
    const scopes = access.scopes.filter((s) => tokenScopes.includes(s));
    return {
      user: user.name,
      clientId: payload.clientId,
      via: 'oauth',
      environment: check.environment.name,
      canWrite: scopes.includes(SCOPE_WRITE),
      scopes,
      roles: access.roles,
    };
  }

  private async external(token: string, check: BearerCheck): Promise<Identity> {
    const config = check.environment.externalAuth!;
    let verifier = this.externalVerifiers.get(check.environment.name);
    if (!verifier) this.externalVerifiers.set(check.environment.name, (verifier = new ExternalJwtVerifier(config)));
    try {
      // The configuration guarantees one of these (never the request's Host: see config/schema.ts).
      const audience = config.audience ?? resourceUrl(this.server.options.auth.publicUrl!, check.environment.name, 'mcp');
      const found = await verifier.verify(token, audience, !check.environment.readOnly);
      return { ...found, via: 'external-jwt', environment: check.environment.name, canWrite: found.scopes.includes(SCOPE_WRITE) };
    } catch (err) {
      if (!(err instanceof ExternalTokenError)) throw err;
      if (err.kind === 'forbidden') throw new InsufficientScopeError(err.message, challengeFor(check, 'insufficient_scope', err.message), { hint: `Ask the administrator of ${config.issuer} for a role that may use this environment.` });
      throw new UnauthorizedError(err.message, challengeFor(check, 'invalid_token', err.message), { hint: `Get a token from ${config.issuer} for this environment.` });
    }
  }

  /**
   * A removed client's tokens stop too. Static clients live in the configuration and metadata-document clients
   * (https URLs) on their owners' servers; registered ones must still be in the store.
   */
  private async clientExists(clientId: string | undefined): Promise<boolean> {
    if (!clientId) return false;
    if (clientId.startsWith('https://')) return true;
    if (this.server.options.auth.clients.some((c) => c.clientId === clientId)) return true;
    return (await this.findOAuth('Client', hashSecret(clientId))) !== undefined;
  }

  /** The store's live record (find() leaves out expired ones: so does a record kept past its expiry). */
  private async findOAuth(kind: 'AccessToken' | 'Grant' | 'Client', idHash: string): Promise<OAuthRecord | undefined> {
    const record = await this.reads.read(`oauth ${kind} ${idHash}`, () => this.store.oauth.find(kind, idHash));
    return record?.expiresAt === undefined || record.expiresAt > Date.now() / 1000 ? record : undefined;
  }

  private async personal(token: string, check: BearerCheck, refuse: (message: string, hint?: string) => never): Promise<Identity> {
    const tokenHash = hashSecret(token);
    const stored = await this.reads.read(`pat ${tokenHash}`, () => this.store.personalTokens.findByHash(tokenHash));
    if (!stored || stored.revokedAt || (stored.expiresAt && stored.expiresAt.getTime() <= Date.now())) {
      return refuse('The personal access token is unknown, expired or revoked.', 'Create a new one with "sqlgate tokens create".');
    }
    if (stored.environment !== check.environment.name) {
      return refuse(`The personal access token was created for "${stored.environment}", not "${check.environment.name}".`);
    }
    const user = await this.currentUser(stored.userName, undefined, refuse);
    const access = environmentAccess(user, check.environment.name, !check.environment.readOnly, this.server.roles);
    const scopes = stored.canWrite ? access.scopes : access.scopes.filter((s) => s !== SCOPE_WRITE);
    const now = Date.now();
    if ((this.lastTouched.get(stored.id) ?? 0) < now - TOUCH_INTERVAL_MS) {
      this.lastTouched.set(stored.id, now);
      await this.store.personalTokens.touch(stored.id, new Date(now));
    }
    return { user: user.name, via: 'personal-token', environment: check.environment.name, canWrite: scopes.includes(SCOPE_WRITE), scopes, roles: access.roles };
  }

  private async currentUser(name: string | undefined, issuedAt: number | undefined, refuse: (message: string) => never): Promise<StoredUser> {
    const user = name ? await this.reads.read(`user ${name}`, () => this.store.users.get(name)) : undefined;
    if (!user) return refuse('The user this token was issued to no longer exists.');
    if (issuedAt !== undefined && Math.floor(user.passwordChangedAt.getTime() / 1000) > issuedAt) {
      return refuse('The password changed after this token was issued.');
    }
    return user;
  }
}

/** The WWW-Authenticate value (RFC 6750 with RFC 9728's resource_metadata) for a refusal at `check`'s endpoint. */
function challengeFor(check: Omit<BearerCheck, 'authorization'>, error?: string, description?: string, scope = SCOPE_READ): string {
  return [
    `Bearer resource_metadata="${resourceMetadataUrl(check.base, check.environment.name, check.transport)}"`,
    `scope="${scope}"`,
    ...(error ? [`error="${error}"`] : []),
    ...(description ? [`error_description="${description.replace(/["\\]/g, '')}"`] : []),
  ].join(', ');
}
