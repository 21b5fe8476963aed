/**
 * Sign-in with an upstream OpenID Connect provider (openid-client): the sign-in page offers "Sign in with …",
 * the browser goes to the provider with PKCE, state and nonce, and comes back to one fixed callback
 * (`/interaction/upstream/callback`, the URL to register at the provider). The ID token's claims name the user
 * and their groups; the configured mappings turn groups into roles: environments of their own, named roles, or both.
 *
 * Upstream users are kept as users in the store (so grants, audit and revocation work the same) with an unusable
 * password hash that marks them: they never sign in with a password, and a local user of the same name is never
 * taken over by an upstream identity. Their roles and named roles are rewritten at every sign-in.
 */
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { UpstreamConfig } from '../config/schema.js';
import type { OAuthRecordStore } from '../store/oauth-store.js';
import type { UserRole, UserStore } from '../store/user-store.js';
import { ALL_ENVIRONMENTS } from '../store/user-store.js';
import { hashSecret, matchesHash } from './hash-secret.js';
import { UPSTREAM_CALLBACK_PATH } from './upstream-callback.js';
import { UpstreamSignInError } from './upstream-sign-in-error.js';

/** The stored "password hash" of an upstream user: not a PHC string, so no password ever matches it. */
export const UPSTREAM_PASSWORD_MARK = '!upstream:';

/** A sign-in started and not finished yet, found again by its `state`. */
export interface PendingSignIn {
  readonly uid: string;
  readonly base: string;
  readonly verifier: string;
  readonly nonce: string;
  readonly expiresAt: number;
  /** SHA-256 of the value the starting browser keeps in a cookie. */
  readonly bindingHash: string;
}

/** A sign-in in progress lives this long; the ticket that carries its result to the interaction, one minute. */
const PENDING_TTL_SECONDS = 10 * 60;
const TICKET_TTL_SECONDS = 60;

/**
 * Sign-ins in progress and their results are kept in the state store (not in memory), so that the provider's
 * callback may reach another sqlgate instance than the one that sent the browser away.
 */
export class UpstreamSignIn {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(
    readonly config: UpstreamConfig,
    private readonly users: UserStore,
    private readonly records: OAuthRecordStore,
  ) {}

  /**
   * Where to send the browser for interaction `uid`, and a value for the browser to keep in a cookie: the callback
   * must come back with it, so a provider link started by someone else cannot finish in a victim's browser.
   * One sign-in per interaction is pending at a time (a new start replaces the previous one).
   */
  async start(uid: string, base: string): Promise<{ url: string; browserBinding: string }> {
    const configuration = await this.discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const browserBinding = randomBytes(32).toString('base64url');
    const expiresAt = Math.floor(Date.now() / 1000) + PENDING_TTL_SECONDS;
    const pending: PendingSignIn = { uid, base, verifier, nonce, expiresAt, bindingHash: hashSecret(browserBinding) };
    const previous = await this.records.findByUid('UpstreamSignIn', uid);
    if (previous) await this.records.destroy('UpstreamSignIn', previous.key);
    await this.records.upsert({ model: 'UpstreamSignIn', key: hashSecret(state), uid, payload: { ...pending }, expiresAt });
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: `${base}${UPSTREAM_CALLBACK_PATH}`,
      scope: this.config.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    }).toString();
    return { url, browserBinding };
  }

  /**
   * The sign-in a callback belongs to: undefined for an unknown or expired state, or a browser other than the one
   * that started it (its cookie value `browserBinding` does not match). Single use either way.
   */
  async take(state: string | undefined, browserBinding: string | undefined): Promise<PendingSignIn | undefined> {
    if (!state) return undefined;
    const record = await this.records.find('UpstreamSignIn', hashSecret(state));
    if (!record) return undefined;
    await this.records.destroy('UpstreamSignIn', hashSecret(state));
    const pending = record.payload as unknown as PendingSignIn;
    return browserBinding && matchesHash(browserBinding, pending.bindingHash) ? pending : undefined;
  }

  /** A one-minute, single-use ticket carrying a finished sign-in to its interaction. */
  async issueTicket(uid: string, user: string): Promise<string> {
    const ticket = randomBytes(32).toString('base64url');
    await this.records.upsert({ model: 'UpstreamTicket', key: hashSecret(ticket), payload: { uid, user }, expiresAt: Math.floor(Date.now() / 1000) + TICKET_TTL_SECONDS });
    return ticket;
  }

  /** The user a ticket signs in, when it was issued for interaction `uid`. Single use. */
  async redeemTicket(ticket: string | undefined, uid: string): Promise<string | undefined> {
    if (!ticket) return undefined;
    const record = await this.records.find('UpstreamTicket', hashSecret(ticket));
    if (!record) return undefined;
    await this.records.destroy('UpstreamTicket', hashSecret(ticket));
    return record.payload.uid === uid ? (record.payload.user as string) : undefined;
  }

  /**
   * Exchanges the code of `callbackUrl` (checking state, nonce, PKCE, issuer and the ID token), maps the claims
   * and stores the user. Throws UpstreamSignInError with a message for the user.
   */
  async finish(callbackUrl: URL, state: string, pending: PendingSignIn): Promise<string> {
    const configuration = await this.discover();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      const description = (err as { error_description?: string; error?: string }).error_description ?? (err as Error).message;
      throw new UpstreamSignInError(`${this.config.displayName} did not confirm the sign-in: ${description}`);
    }
    const name = claims?.[this.config.userClaim];
    if (typeof name !== 'string' || !/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
      throw new UpstreamSignInError(`${this.config.displayName} sent no usable "${this.config.userClaim}" claim to name you by.`);
    }
    // An address the provider has not verified names nobody: anyone could have typed it into their profile.
    if (this.config.userClaim === 'email' && claims?.email_verified === false) {
      throw new UpstreamSignInError(`${this.config.displayName} has not verified the address ${name}.`);
    }
    const { roles, namedRoles } = this.accessFor(claims?.[this.config.groupsClaim]);
    if (roles.length === 0 && namedRoles.length === 0) throw new UpstreamSignInError(`${name} is in none of the groups that may use sqlgate.`);
    // The user is bound to the provider's subject: another account that later shows the same name (a changed
    // e-mail address) is refused instead of becoming this user.
    const mark = `${UPSTREAM_PASSWORD_MARK}${this.config.issuer}#${String(claims?.sub ?? '')}`;
    const existing = await this.users.get(name);
    if (existing && !existing.passwordHash.startsWith(UPSTREAM_PASSWORD_MARK)) {
      throw new UpstreamSignInError(`A local sqlgate user named ${name} exists; sign in with its password instead.`);
    }
    if (existing && existing.passwordHash !== mark) {
      throw new UpstreamSignInError(`${name} is already taken by another ${this.config.displayName} account; ask the administrator.`);
    }
    if (existing) await this.users.setRoles(existing.name, roles, namedRoles);
    else await this.users.add({ name, passwordHash: mark, roles, namedRoles });
    return existing?.name ?? name;
  }

  /**
   * Takes from users of this provider what no mapping gives any more. Their access is rewritten at each sign-in,
   * but a client refreshing its token never signs in again: without this, deleting a group's mapping would leave its
   * members their roles for as long as their refresh tokens slide. (What a user keeps through another of their
   * groups' mappings cannot be told apart here, for sqlgate does not keep their groups: that waits for their next
   * sign-in.) Returns how many users lost something.
   */
  async dropUnmappedAccess(): Promise<number> {
    const anyGroups = this.config.roleMappings.map((m) => m.group);
    const possible = this.accessFor(anyGroups);
    const canWrite = new Map(possible.roles.map((r) => [r.environment, r.canWrite]));
    const everywhere = canWrite.get(ALL_ENVIRONMENTS);
    let changed = 0;
    for (const user of await this.users.list()) {
      if (!user.passwordHash.startsWith(`${UPSTREAM_PASSWORD_MARK}${this.config.issuer}#`)) continue;
      const roles = user.roles.flatMap((role) => {
        const allowed = canWrite.get(role.environment) ?? everywhere;
        if (allowed === undefined) return [];
        return [{ environment: role.environment, canWrite: role.canWrite && allowed }];
      });
      const namedRoles = user.namedRoles.filter((role) => possible.namedRoles.includes(role));
      const isSame = roles.length === user.roles.length && roles.every((r, i) => r.canWrite === user.roles[i]!.canWrite) && namedRoles.length === user.namedRoles.length;
      if (isSame) continue;
      await this.users.setRoles(user.name, roles, namedRoles);
      changed++;
    }
    return changed;
  }

  /**
   * The union of what the mappings of `groups` give: environments (write wins when two mappings name one) and
   * named roles (in name order, as the store keeps them).
   */
  accessFor(groups: unknown): { roles: UserRole[]; namedRoles: string[] } {
    const memberOf = new Set(Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : typeof groups === 'string' ? groups.split(' ') : []);
    const environments = new Map<string, boolean>();
    const namedRoles = new Set<string>();
    for (const mapping of this.config.roleMappings) {
      if (!memberOf.has(mapping.group)) continue;
      for (const environment of mapping.environments) environments.set(environment, (environments.get(environment) ?? false) || mapping.write);
      for (const role of mapping.roles) namedRoles.add(role);
    }
    const roles = environments.has(ALL_ENVIRONMENTS)
      ? [{ environment: ALL_ENVIRONMENTS, canWrite: environments.get(ALL_ENVIRONMENTS)! }]
      : [...environments].map(([environment, canWrite]) => ({ environment, canWrite }));
    return { roles, namedRoles: [...namedRoles].sort() };
  }

  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= oidc
      .discovery(
        new URL(this.config.issuer),
        this.config.clientId,
        this.config.clientSecret,
        this.config.clientSecret ? undefined : oidc.None(),
        this.config.allowInsecureHttp ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: Error) => {
        this.configuration = undefined; // try again on the next sign-in
        throw new UpstreamSignInError(`${this.config.displayName} cannot be reached right now (${err.message}).`);
      });
    return this.configuration;
  }
}
