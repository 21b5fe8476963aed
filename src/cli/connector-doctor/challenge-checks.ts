/**
 * Which environments to check (those /health lists, unless --env names them) and how each MCP endpoint answers a
 * request without a token. Claude.ai starts from that 401: the `resource_metadata` in its `WWW-Authenticate: Bearer`
 * header is how it finds where to sign in. So anything else (a 200, a redirect, a proxy's own 401, a 404 that is not
 * sqlgate's) is diagnosed here by what usually causes it.
 */
import { SQLGATE_VERSION } from '../../version.js';
import { isEnvironmentName, publicUrlFix, type ConnectorContext } from './connector-context.js';
import { fail, pass, warn, type Finding } from './report.js';
import { CLIENT_NAME, isSqlgateError, jsonOf, sendRequest } from './send-request.js';

const MCP_PROTOCOL_VERSION = '2025-06-18';

/** The environments /health lists, with a finding; no names, and a failed finding, when it cannot list any. */
export async function discoverEnvironments(ctx: ConnectorContext): Promise<{ finding: Finding; names: string[] }> {
  const check = 'environments';
  const reply = await sendRequest(ctx, `${ctx.base}/health`, { isFollowingRedirects: true });
  const health = jsonOf(reply);
  const environments = health?.environments;
  if (reply.ok && reply.status === 200 && health?.status !== undefined && environments === undefined) {
    // sqlgate with sign-in on lists its environments only to its own machine.
    return { finding: fail(check, '/health does not list the environments to other machines.', `pass --env NAME (NAME as in ${ctx.base}/NAME/mcp)`), names: [] };
  }
  if (!reply.ok || reply.status !== 200 || !environments || typeof environments !== 'object') {
    const what = reply.ok ? `GET /health answered ${reply.status}${health ? '' : ' without sqlgate\'s JSON'}` : `GET /health failed: ${reply.error}`;
    return { finding: fail(check, `could not list the environments (${what}).`, `pass --env NAME (NAME as in ${ctx.base}/NAME/mcp); if sqlgate should be answering here, check that the server runs and that the proxy forwards to it`), names: [] };
  }
  const entries = Object.entries(environments as Record<string, { database?: { status?: string } }>).filter(([name]) => isEnvironmentName(name));
  const names = entries.map(([name]) => name);
  if (names.length === 0) return { finding: fail(check, '/health lists no environments.', 'pass --env NAME'), names };
  const down = entries.filter(([, e]) => e?.database?.status === 'down').map(([name]) => name);
  const finding = down.length > 0
    ? warn(check, `${names.join(', ')} (from /health); the database of ${down.join(', ')} is down, so its tools will fail`, 'run "sqlgate doctor" (without --public-url) on the server to see why')
    : pass(check, `${names.join(', ')} (from /health)`);
  return { finding, names };
}

/** An MCP initialize request, the first thing Claude.ai sends to an endpoint. */
export function initializeRequest() {
  return {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: CLIENT_NAME, version: SQLGATE_VERSION } },
  };
}

export const MCP_HEADERS = { accept: 'application/json, text/event-stream' };

/** The endpoint's answer without a token; `asksForToken` when it is a Bearer 401, so the metadata is worth checking. */
export async function checkChallenge(ctx: ConnectorContext, environment: string): Promise<{ finding: Finding; asksForToken: boolean }> {
  const check = `${environment}: 401 challenge`;
  const endpoint = `${ctx.base}/${environment}/mcp`;
  const expected = `${ctx.base}/.well-known/oauth-protected-resource/${environment}/mcp`;
  const reply = await sendRequest(ctx, endpoint, { json: initializeRequest(), headers: MCP_HEADERS });
  const done = (finding: Finding, asksForToken = false) => ({ finding, asksForToken });
  const post = `POST /${environment}/mcp without a token`;
  if (!reply.ok) {
    return done(fail(check, `${post} failed: ${reply.error}.`, 'check that sqlgate (and the proxy in front of it) is running and reachable from the internet'));
  }
  const { status } = reply;
  if (status >= 200 && status < 300) {
    return done(fail(check, `${post} answered ${status}: the endpoint asks nobody to sign in, so Claude.ai offers no sign-in and anyone who finds the URL can use ${environment}.`,
      'enable auth.mode: oauth (the default: remove auth.mode: none or --auth none), then restart sqlgate'));
  }
  if (status >= 300 && status < 400) {
    return done(fail(check, `${post} answered ${status}, a redirect to ${reply.headers.get('location') ?? '(no Location)'}; MCP clients do not follow redirects on POST.`,
      'give Claude.ai the URL that answers directly, and use its origin as --public-url and auth.public_url'));
  }
  if (status === 404) {
    if (isSqlgateError(reply, 'SG_NOT_FOUND')) {
      const known = await listEnvironments(ctx);
      return done(fail(check, `there is no environment "${environment}" on this server.`,
        known.length > 0 ? `use one of: ${known.join(', ')} (the connector URL is ${ctx.base}/NAME/mcp)` : `check the name in ${ctx.base}/NAME/mcp against the environments in the configuration`));
    }
    return done(fail(check, `${post} answered 404, and not from sqlgate.`, `the reverse proxy must forward /${environment}/mcp (and /.well-known/*, /authorize, /token, /register, /revoke, /interaction/*) to sqlgate`));
  }
  if (status === 403 && /host/i.test(reply.body)) {
    return done(fail(check, `${post} answered 403: sqlgate refused the Host header ${ctx.url.host}.`, `add ${ctx.url.hostname} to server.allowed_hosts`));
  }
  if (status === 502 || status === 503 || status === 504) {
    return done(fail(check, `${post} answered ${status}: the proxy could not reach sqlgate.`, 'start sqlgate, and check the address the proxy forwards to'));
  }
  if (status !== 401) return done(fail(check, `${post} answered ${status}; expected 401.`, 'make sure this URL reaches sqlgate with auth.mode: oauth'));

  const challenge = reply.headers.get('www-authenticate') ?? '';
  if (!/(^|,\s*)Bearer\b/i.test(challenge)) {
    return done(fail(check, `${post} answered 401 with ${challenge ? `WWW-Authenticate: ${challenge.slice(0, 120)}` : 'no WWW-Authenticate header'}: something in front of sqlgate asks for its own sign-in.`,
      `remove the proxy's own authentication for /${environment}/mcp, /.well-known/*, /authorize, /token, /register, /revoke and /interaction/*: Claude.ai can only sign in through sqlgate`));
  }
  const metadataUrl = /resource_metadata="([^"]*)"/i.exec(challenge)?.[1];
  if (metadataUrl === undefined) {
    return done(fail(check, `${post} answered 401, but its WWW-Authenticate has no resource_metadata="…", so Claude.ai cannot find where to sign in.`,
      'sqlgate always sends it: make sure the proxy passes WWW-Authenticate through unchanged'), true);
  }
  if (metadataUrl !== expected) {
    const otherBase = URL.parse(metadataUrl)?.origin;
    return done(fail(check, `resource_metadata is ${metadataUrl}; expected ${expected}.`,
      otherBase && otherBase !== ctx.base ? `sqlgate believes its URL is ${otherBase}: ${publicUrlFix(ctx)}` : 'make sure nothing rewrites the WWW-Authenticate header'), true);
  }
  return done(pass(check, `${post}: 401 with resource_metadata="${metadataUrl}"`), true);
}

async function listEnvironments(ctx: ConnectorContext): Promise<string[]> {
  const health = jsonOf(await sendRequest(ctx, `${ctx.base}/health`, { isFollowingRedirects: true }));
  const environments = health?.environments;
  return environments && typeof environments === 'object' ? Object.keys(environments).filter(isEnvironmentName) : [];
}
