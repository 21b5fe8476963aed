/**
 * Dynamic client registration (RFC 7591) of a public client for each of Claude's two callback URLs, as Claude.ai
 * registers itself when a user adds the connector. The usual reason it is refused is a redirect URI that
 * auth.allowed_redirects leaves out, and the fix says so. The sign-in check registers its test client through
 * `register` as well.
 */
import type { ConnectorContext } from './connector-context.js';
import { fail, pass, warn, type Finding } from './report.js';
import { CLIENT_NAME, jsonOf, oauthErrorOf, pathOf, sendRequest, type Reply } from './send-request.js';

function registrationRequest(redirectUri: string, clientName = CLIENT_NAME) {
  return {
    client_name: clientName,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}

/** Registers a public client for `redirectUri`: its client_id, or the reply that refused it. */
export async function register(ctx: ConnectorContext, endpoint: string, redirectUri: string, clientName?: string): Promise<{ clientId: string } | { reply: Reply }> {
  const reply = await sendRequest(ctx, endpoint, { json: registrationRequest(redirectUri, clientName), headers: { accept: 'application/json' } });
  const clientId = jsonOf(reply)?.client_id;
  return reply.ok && reply.status === 201 && typeof clientId === 'string' ? { clientId } : { reply };
}

/** Registers a client for one of Claude's callbacks; `check` names the finding. */
export async function checkClaudeRegistration(ctx: ConnectorContext, endpoint: string, redirectUri: string, check: string): Promise<Finding> {
  const result = await register(ctx, endpoint, redirectUri);
  if ('clientId' in result) return pass(check, `registered a client for ${redirectUri} (client_id ${result.clientId.slice(0, 12)}…)`);
  const { reply } = result;
  const error = oauthErrorOf(reply);
  if (reply.ok && reply.status === 429) return warn(check, `registration was rate-limited (${error})`, 'run the doctor again later, or raise auth.registrations_per_hour');
  if (reply.ok && reply.status === 400 && /redirect/i.test(error)) {
    return fail(check, `registering a client for ${redirectUri} was refused (${error}).`,
      `add ${redirectUri} to auth.allowed_redirects (or remove auth.allowed_redirects: its default allows Claude's two callbacks)`);
  }
  if (reply.ok && reply.status === 404) return fail(check, `POST ${pathOf(ctx, endpoint)} answered 404.`, 'the reverse proxy must forward /register to sqlgate');
  return fail(check, `registering a client for ${redirectUri} failed (${error}).`, 'check the server log for "registration"');
}
