/**
 * Sign-in and consent: what happens between oidc-provider sending the browser to /interaction/<uid> and it
 * finishing the authorization. Works on Node's request/response (oidc-provider reads its signed interaction
 * cookie from them) and returns a page or a redirect; http/ sends it.
 *
 * Defences, each on its own: the interaction cookie (SameSite=Lax, signed) binds the uid to this browser; a CSRF
 * token (HMAC of the uid) must come back with every form; a cross-site Origin is refused; failed sign-ins are
 * throttled per user name and per address with a lockout; an unknown user costs as much time as a wrong password.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { LimitsUnavailableError } from '../errors.js';
import { USER_NAME_PATTERN, type UserStore } from '../store/user-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { AuthorizationServer } from './authorization-server.js';
import { errorPage, renderConsentPage, renderLoginPage, renderNotAllowedPage, type Page, type RequestSummary } from './pages.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import { allowedScopes } from './scopes.js';
import type { SignInThrottle, SignInVerdict } from './sign-in-throttle.js';
import { UPSTREAM_BINDING_COOKIE, UPSTREAM_CALLBACK_PATH } from './upstream-callback.js';
import { UpstreamSignInError } from './upstream-sign-in-error.js';
// Only the type: openid-client loads with upstream-sign-in.ts, and only when single sign-on is configured.
import type { UpstreamSignIn } from './upstream-sign-in.js';

/** A page, or a redirect (with Set-Cookie values, when the next step needs the browser to keep something). */
export type InteractionOutcome = { readonly page: Page } | { readonly redirect: string; readonly cookies?: readonly string[] };

export interface InteractionRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The public base URL this request came in on (the issuer). */
  readonly base: string;
  readonly uid: string;
  /** The client's address (after trusted-proxy resolution), for throttling. */
  readonly clientAddress: string;
  /** What the per-address sign-in limit counts (the address, or an IPv6 client's /64). */
  readonly rateLimitKey: string;
  readonly origin?: string;
  /** The browser's Sec-Fetch-Site header, when it sends one. */
  readonly fetchSite?: string;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export class InteractionHandler {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly server: AuthorizationServer,
    private readonly users: UserStore,
    /** Failed sign-ins per name and per address, counted with every instance (auth/sign-in-throttle.ts). */
    private readonly throttle: SignInThrottle,
    private readonly logger: Logger,
    private readonly upstream?: UpstreamSignIn,
  ) {}

  async show(request: InteractionRequest): Promise<InteractionOutcome> {
    const details = await this.details(request);
    if (!details) return { page: expired() };
    const summary = await this.summarize(request, details);
    if (details.prompt.name === 'login') return { page: this.loginPage(details.uid, summary) };
    return this.consentPage(details, summary);
  }

  /** "Sign in with …": sends the browser to the upstream identity provider. */
  async startUpstream(request: InteractionRequest, form: Record<string, string | undefined>): Promise<InteractionOutcome> {
    const details = await this.checkedDetails(request, form);
    if ('page' in details) return details;
    if (!this.upstream) return { page: errorPage('not_found', 'Single sign-on is not configured on this server.', 404) };
    try {
      const { url, browserBinding } = await this.upstream.start(details.uid, request.base);
      const secure = request.base.startsWith('https:') ? '; Secure' : '';
      return { redirect: url, cookies: [`${UPSTREAM_BINDING_COOKIE}=${browserBinding}; Path=${UPSTREAM_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=600${secure}`] };
    } catch (err) {
      if (!(err instanceof UpstreamSignInError)) throw err;
      return { page: this.loginPage(details.uid, await this.summarize(request, details), err.message, 503) };
    }
  }

  /**
   * The identity provider's redirect back (`/interaction/upstream/callback`). Its path is fixed (registered at the
   * provider), so the interaction cookie — scoped to /interaction/<uid> — is not sent here: the result travels to
   * /interaction/<uid>/upstream/finish in a single-use ticket.
   */
  async upstreamCallback(callbackUrl: URL, browserBinding: string | undefined): Promise<InteractionOutcome> {
    const state = callbackUrl.searchParams.get('state') ?? undefined;
    const pending = this.upstream && (await this.upstream.take(state, browserBinding));
    if (!this.upstream || !pending) return { page: expired() };
    try {
      // The token request must repeat the redirect_uri exactly: rebuild it on the public base (a proxy may have
      // changed what this server saw).
      const publicCallback = new URL(`${pending.base}${UPSTREAM_CALLBACK_PATH}${callbackUrl.search}`);
      const user = await this.upstream.finish(publicCallback, state!, pending);
      const ticket = await this.upstream.issueTicket(pending.uid, user);
      return { redirect: `${pending.base}/interaction/${encodeURIComponent(pending.uid)}/upstream/finish?ticket=${encodeURIComponent(ticket)}` };
    } catch (err) {
      if (!(err instanceof UpstreamSignInError)) throw err;
      this.logger.info({ reason: err.message }, 'single sign-on refused');
      await this.server.recordEvent({ kind: 'auth', action: 'sign_in_failed', verdict: 'refused', reason: err.message, details: { via: 'upstream' } });
      return { page: errorPage('access_denied', err.message, 403) };
    }
  }

  async finishUpstream(request: InteractionRequest, ticket: string | undefined): Promise<InteractionOutcome> {
    // The ticket is spent first, whatever happens next: a ticket that failed once cannot be replayed.
    const user = this.upstream ? await this.upstream.redeemTicket(ticket, request.uid) : undefined;
    const details = await this.details(request);
    if (!details || !user) return { page: expired() };
    this.logger.info({ user, client: details.params.client_id, via: 'upstream' }, 'signed in');
    await this.server.recordEvent({ kind: 'auth', action: 'sign_in', verdict: 'allowed', user, client_id: String(details.params.client_id), actor: request.clientAddress, details: { via: 'upstream' } });
    const provider = await this.server.providerFor(request.base);
    return { redirect: await provider.interactionResult(request.req, request.res, { login: { accountId: user } }, { mergeWithLastSubmission: false }) };
  }

  private loginPage(uid: string, request: RequestSummary, error?: string, status?: number, userName?: string): Page {
    return renderLoginPage({ uid, csrf: this.csrf(uid), request, error, status, userName, upstreamName: this.upstream?.config.displayName });
  }

  async login(request: InteractionRequest, form: Record<string, string | undefined>): Promise<InteractionOutcome> {
    const details = await this.checkedDetails(request, form);
    if ('page' in details) return details;
    const summary = await this.summarize(request, details);
    const name = (form.username ?? '').trim().slice(0, 64);
    // What was typed is anyone's text (a password typed in the wrong field, newlines that would forge lines in
    // `sqlgate audit list`): the log and the audit trail get it only when it could be a user name.
    const attempted = USER_NAME_PATTERN.test(name) ? name : '(not a user name)';
    const password = (form.password ?? '').slice(0, 1_024);
    const relogin = (error: string, status: number) => ({ page: this.loginPage(details.uid, summary, error, status, name) });

    const userKey = name.toLowerCase();
    // Every attempt is counted before the slow password check (see SignInThrottle.attempt).
    let verdict: SignInVerdict;
    try {
      verdict = await this.throttle.attempt(userKey, request.rateLimitKey);
    } catch (err) {
      if (!(err instanceof LimitsUnavailableError)) throw err;
      // limits.on_store_error.sign_in: closed. Failures could not be counted, so no password is checked at all.
      await this.server.recordEvent({ kind: 'auth', action: 'sign_in_failed', verdict: 'refused', user: attempted, client_id: String(details.params.client_id), actor: request.clientAddress, reason: 'limits store unreachable' });
      return relogin('Sign-in is unavailable right now: the server cannot reach its limits store to count failed attempts. Try again in a minute.', 503);
    }
    if (verdict.isLocked) {
      const { waitSeconds } = verdict;
      this.logger.warn({ user: attempted, address: request.clientAddress }, 'sign-in refused: locked after failed attempts');
      await this.server.recordEvent({ kind: 'auth', action: 'locked_out', verdict: 'refused', user: attempted, client_id: String(details.params.client_id), actor: request.clientAddress, reason: 'too many failed sign-ins' });
      return relogin(`Too many failed sign-ins. Try again in ${Math.max(1, Math.ceil(waitSeconds / 60))} minute(s).`, 429);
    }
    const user = name ? await this.users.get(name) : undefined;
    // Users from single sign-on have no password hash; checking them costs the same as anyone else.
    const isValid = user?.passwordHash.startsWith('$') ? await verifyPassword(user.passwordHash, password) : await this.spendTime(password);
    if (!user || !isValid) {
      this.logger.info({ user: attempted, address: request.clientAddress }, 'sign-in failed');
      await this.server.recordEvent({
        kind: 'auth', action: 'sign_in_failed', verdict: 'refused', user: attempted, client_id: String(details.params.client_id), actor: request.clientAddress,
        reason: user ? 'wrong password' : 'no such user', details: { via: 'password' },
      });
      return relogin('Wrong user name or password.', 401);
    }
    await this.throttle.succeeded(userKey, request.rateLimitKey);
    this.logger.info({ user: user.name, client: details.params.client_id }, 'signed in');
    await this.server.recordEvent({ kind: 'auth', action: 'sign_in', verdict: 'allowed', user: user.name, client_id: String(details.params.client_id), actor: request.clientAddress, details: { via: 'password' } });
    const provider = await this.server.providerFor(request.base);
    const returnTo = await provider.interactionResult(request.req, request.res, { login: { accountId: user.name } }, { mergeWithLastSubmission: false });
    return { redirect: returnTo };
  }

  async confirm(request: InteractionRequest, form: Record<string, string | undefined>): Promise<InteractionOutcome> {
    const details = await this.checkedDetails(request, form);
    if ('page' in details) return details;
    const accountId = details.session?.accountId;
    const user = accountId ? await this.users.get(accountId) : undefined;
    if (details.prompt.name !== 'consent' || !user) return { page: expired() };
    const provider = await this.server.providerFor(request.base);
    const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined)
      ?? new provider.Grant({ accountId: user.name, clientId: String(details.params.client_id) });
    const promptDetails = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (promptDetails.missingOIDCScope) grant.addOIDCScope(promptDetails.missingOIDCScope.join(' '));
    for (const [resource, requested] of Object.entries(promptDetails.missingResourceScopes ?? {})) {
      const environment = this.server.environmentOf(resource, request.base);
      const allowed = environment ? allowedScopes(user, environment.name, !environment.readOnly, this.server.roles) : [];
      const granted = requested.filter((s) => allowed.includes(s));
      if (granted.length === 0) {
        await this.server.recordEvent({ kind: 'auth', action: 'consent_refused', verdict: 'refused', user: user.name, client_id: String(details.params.client_id), actor: request.clientAddress, reason: `may not use ${resource}`, details: { resource } });
        return this.finish(request, { error: 'access_denied', error_description: `${user.name} may not use ${resource}` });
      }
      grant.addResourceScope(resource, granted.join(' '));
      // Record the scopes the user may not have as rejected: oidc-provider would otherwise still find them missing,
      // ask for consent again, and that second answer (nothing left to grant) would deny the whole request — a
      // read-only user of a writable environment could never connect a client that asks for sql:write.
      const refused = requested.filter((s) => !allowed.includes(s));
      if (refused.length > 0) grant.rejectResourceScope(resource, refused.join(' '));
    }
    const grantId = await grant.save();
    this.logger.info({ user: user.name, client: details.params.client_id, grantId }, 'consent given');
    await this.server.recordEvent({
      kind: 'auth', action: 'consent_given', verdict: 'allowed', user: user.name, client_id: String(details.params.client_id), actor: request.clientAddress,
      details: { grant_id: grantId, requested: promptDetails.missingResourceScopes ?? {} },
    });
    return this.finish(request, { consent: { grantId } });
  }

  async abort(request: InteractionRequest, form: Record<string, string | undefined>): Promise<InteractionOutcome> {
    const details = await this.checkedDetails(request, form);
    if ('page' in details) return details;
    await this.server.recordEvent({ kind: 'auth', action: 'consent_denied', verdict: 'refused', user: details.session?.accountId ?? null, client_id: String(details.params.client_id), actor: request.clientAddress, reason: 'the user declined' });
    return this.finish(request, { error: 'access_denied', error_description: 'The user declined.' });
  }

  private async finish(request: InteractionRequest, result: Record<string, unknown>): Promise<InteractionOutcome> {
    const provider = await this.server.providerFor(request.base);
    return { redirect: await provider.interactionResult(request.req, request.res, result, { mergeWithLastSubmission: true }) };
  }

  private async consentPage(details: Details, summary: RequestSummary): Promise<InteractionOutcome> {
    const user = details.session?.accountId ? await this.users.get(details.session.accountId) : undefined;
    if (!user) return { page: expired() };
    const environment = summary.environment ? this.server.environments.find((e) => e.name === summary.environment) : undefined;
    const scopes = environment ? allowedScopes(user, environment.name, !environment.readOnly, this.server.roles).filter((s) => summary.scopes.includes(s)) : [];
    const csrf = this.csrf(details.uid);
    if (scopes.length === 0) return { page: renderNotAllowedPage({ uid: details.uid, csrf, request: summary, userName: user.name }) };
    return { page: renderConsentPage({ uid: details.uid, csrf, request: { ...summary, scopes }, userName: user.name }) };
  }

  /** Interaction details, or undefined when the interaction is unknown, expired or belongs to another browser. */
  private async details(request: InteractionRequest): Promise<Details | undefined> {
    // Outside the try: oidc-provider failing to load is a server error, not an expired page.
    const provider = await this.server.providerFor(request.base);
    try {
      const details = await provider.interactionDetails(request.req, request.res);
      return details.uid === request.uid ? details : undefined;
    } catch {
      return undefined;
    }
  }

  private async checkedDetails(request: InteractionRequest, form: Record<string, string | undefined>): Promise<Details | { page: Page }> {
    // A browser says where a form post comes from: Sec-Fetch-Site, and Origin ("null" when it withholds it).
    const isCrossSite = request.fetchSite !== undefined && request.fetchSite !== 'same-origin' && request.fetchSite !== 'none';
    const isForeignOrigin = request.origin !== undefined && request.origin !== 'null' && request.origin !== request.base;
    const isOpaqueOrigin = request.origin === 'null' && request.fetchSite !== 'same-origin';
    if (isCrossSite || isForeignOrigin || isOpaqueOrigin) {
      return { page: errorPage('forbidden', 'This form was sent from another site.', 403) };
    }
    const details = await this.details(request);
    if (!details) return { page: expired() };
    if (!this.isValidCsrf(details.uid, form.csrf)) {
      return { page: errorPage('forbidden', 'The form is missing its security token or it does not match. Reload the page and try again.', 403) };
    }
    return details;
  }

  private async summarize(request: InteractionRequest, details: Details): Promise<RequestSummary> {
    const provider = await this.server.providerFor(request.base);
    const clientId = String(details.params.client_id);
    const client = await provider.Client.find(clientId).catch(() => undefined);
    const redirect = URL.parse(String(details.params.redirect_uri ?? ''));
    const resource = typeof details.params.resource === 'string' ? details.params.resource : undefined;
    const environment = resource ? this.server.environmentOf(resource, request.base)?.name : undefined;
    return {
      clientName: client?.clientName ?? clientId,
      clientId,
      redirectHost: redirect?.host ?? 'unknown',
      redirectOrigin: redirect?.origin,
      environment,
      scopes: String(details.params.scope ?? '').split(' ').filter(Boolean),
    };
  }

  private csrf(uid: string): string {
    return createHmac('sha256', this.server.formKey).update(`csrf|${uid}`).digest('base64url');
  }

  private isValidCsrf(uid: string, presented: string | undefined): boolean {
    if (!presented) return false;
    const expected = Buffer.from(this.csrf(uid));
    const actual = Buffer.from(presented);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  /** An unknown user name takes as long as a wrong password, so timing does not reveal which names exist. */
  private async spendTime(password: string): Promise<false> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await verifyPassword(await this.dummyHash, password);
    return false;
  }
}

function expired(): Page {
  return errorPage('interaction_expired', 'This sign-in page has expired or was opened in another browser. Go back to the application and connect again.', 400);
}
