/**
 * With --user, the authorization code flow end to end, as Claude.ai runs it: register a test client with a
 * loopback callback, authorize with PKCE S256 and the resource, sign in and consent, exchange the code, call the
 * MCP endpoint with the access token, refresh (the refresh token must rotate) and revoke (the revoked token must
 * then be refused). Whatever step fails, it revokes the grant on the way out, so no live token is left behind.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { initializeRequest, MCP_HEADERS } from './challenge-checks.js';
import { publicUrlFix, type ConnectorContext } from './connector-context.js';
import type { ResourceMetadata, SignInMetadata } from './metadata-checks.js';
import { register } from './registration-check.js';
import { fail, pass, sentence, skipped, type Finding } from './report.js';
import { CLIENT_NAME, jsonOf, oauthErrorOf, sendRequest } from './send-request.js';
import { signInAndConsent } from './sign-in-forms.js';

/** Signs `user` in to `resource`'s environment and runs the tokens through their life; one finding per step reached. */
export async function checkSignIn(ctx: ConnectorContext, user: { name: string; password: string }, resource: ResourceMetadata, as: SignInMetadata): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { environment } = resource;
  const redirectUri = `http://127.0.0.1:${randomInt(20_000, 60_000)}/callback`;
  const registered = await register(ctx, as.registration_endpoint, redirectUri, `${CLIENT_NAME} (sign-in test)`);
  if (!('clientId' in registered)) {
    return [fail('sign-in', `registering the test client (${redirectUri}) failed (${oauthErrorOf(registered.reply)}).`, 'loopback redirects are always allowed: check the server log')];
  }
  const { clientId } = registered;
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorizeUrl = new URL(as.authorization_endpoint);
  for (const [key, value] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    resource: resource.resource,
    ...(resource.scopes.length > 0 ? { scope: resource.scopes.join(' ') } : {}),
  })) authorizeUrl.searchParams.set(key, value);

  const check = `sign-in (${user.name} → ${environment})`;
  const signIn = await signInAndConsent(ctx, check, authorizeUrl, user, environment);
  if ('finding' in signIn) return [signIn.finding];
  const callback = signIn.callback;
  const code = callback.searchParams.get('code');
  const callbackError = callback.searchParams.get('error');
  if (callback.origin + callback.pathname !== redirectUri) return [fail(check, `the flow ended at ${callback.toString()}, not at the client's callback.`, 'check the server log')];
  if (callbackError) return [fail(check, sentence(`the authorization ended with ${callbackError}: ${callback.searchParams.get('error_description') ?? ''}`), 'check the server log, and the user\'s roles (sqlgate users list)')];
  if (callback.searchParams.get('state') !== state) return [fail(check, 'the callback did not return the state that was sent.', 'check that nothing between Claude.ai and sqlgate rewrites redirects')];
  const iss = callback.searchParams.get('iss');
  if (iss !== null && iss !== as.issuer) return [fail(check, `the callback names issuer ${iss}, not ${as.issuer}.`, publicUrlFix(ctx))];
  if (!code) return [fail(check, 'the callback carries no code.', 'check the server log')];
  findings.push(pass(check, `signed in as ${user.name} and allowed "${CLIENT_NAME} (sign-in test)" to use ${environment}`));

  const tokens = await sendRequest(ctx, as.token_endpoint, {
    form: { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier, resource: resource.resource },
    headers: { accept: 'application/json' },
  });
  const issued = jsonOf(tokens);
  if (!tokens.ok || tokens.status !== 200 || typeof issued?.access_token !== 'string') {
    return [...findings, fail('token', `exchanging the code failed (${oauthErrorOf(tokens)}).`, 'check the server log for "token request refused"')];
  }
  const accessToken = issued.access_token;
  let refreshToken = typeof issued.refresh_token === 'string' ? issued.refresh_token : undefined;
  let isRevoked = false;
  try {
    if (!refreshToken) {
      findings.push(fail('token', 'the token response has no refresh_token: Claude.ai would make users sign in again whenever the access token expires.', 'check that the client\'s grant_types include refresh_token and the server log'));
      return findings;
    }
    findings.push(pass('token', `exchanged the code (PKCE) for an access token${typeof issued.expires_in === 'number' ? ` (expires in ${issued.expires_in} s)` : ''} and a refresh token`));

    const mcpCheck = `${environment}: MCP with the token`;
    const call = await sendRequest(ctx, resource.resource, { json: initializeRequest(), headers: { ...MCP_HEADERS, authorization: `Bearer ${accessToken}` } });
    if (!call.ok || call.status !== 200) {
      const refusal = call.ok ? /error_description="([^"]*)"/.exec(call.headers.get('www-authenticate') ?? '')?.[1] : undefined;
      findings.push(fail(mcpCheck, `initialize with the access token answered ${call.ok ? call.status : call.error}${refusal ? `: ${refusal}` : ''}.`,
        call.ok && call.status === 401 ? `the token is for ${resource.resource}: if sqlgate sees another URL, ${publicUrlFix(ctx)}` : 'check the server log'));
      return findings;
    }
    findings.push(pass(mcpCheck, 'initialize with the access token: 200'));

    const refreshed = await sendRequest(ctx, as.token_endpoint, {
      form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, resource: resource.resource },
      headers: { accept: 'application/json' },
    });
    const renewed = jsonOf(refreshed);
    if (!refreshed.ok || refreshed.status !== 200 || typeof renewed?.access_token !== 'string') {
      findings.push(fail('refresh', `refreshing failed (${oauthErrorOf(refreshed)}): Claude.ai would make users sign in again every time the access token expires.`, 'check the server log for "token request refused"'));
      return findings;
    }
    const rotated = typeof renewed.refresh_token === 'string' ? renewed.refresh_token : undefined;
    if (!rotated || rotated === refreshToken || renewed.access_token === accessToken) {
      findings.push(fail('refresh', 'the refresh did not return a new access token and a new (rotated) refresh token.', 'check the server log'));
      return findings;
    }
    refreshToken = rotated;
    findings.push(pass('refresh', 'got a new access token and a rotated refresh token'));

    if (typeof as.revocation_endpoint !== 'string') {
      findings.push(skipped('revocation', 'the authorization server metadata has no revocation_endpoint'));
      return findings;
    }
    const revoked = await sendRequest(ctx, as.revocation_endpoint, { form: { token: refreshToken, token_type_hint: 'refresh_token', client_id: clientId } });
    if (!revoked.ok || revoked.status !== 200) {
      findings.push(fail('revocation', `revoking the refresh token failed (${oauthErrorOf(revoked)}).`, 'the reverse proxy must forward /revoke to sqlgate'));
      return findings;
    }
    isRevoked = true;
    const reused = await sendRequest(ctx, as.token_endpoint, { form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, resource: resource.resource } });
    findings.push(reused.ok && reused.status === 400
      ? pass('revocation', 'revoked the refresh token; using it again is refused')
      : fail('revocation', `the revoked refresh token still answered ${reused.ok ? reused.status : reused.error} when used again.`, 'check the server log'));
    return findings;
  } finally {
    // Leave no live grant behind when a later step failed.
    if (!isRevoked && refreshToken && typeof as.revocation_endpoint === 'string') {
      await sendRequest(ctx, as.revocation_endpoint, { form: { token: refreshToken, token_type_hint: 'refresh_token', client_id: clientId } });
    }
  }
}
