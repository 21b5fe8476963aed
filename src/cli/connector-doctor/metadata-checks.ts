/**
 * The two OAuth discovery documents Claude.ai reads after the 401. The protected resource metadata (RFC 9728) must
 * name the connector URL exactly as `resource` and name the authorization server; that server's metadata (RFC
 * 8414) must offer PKCE S256, public clients and a way to register. A URL that does not match in either almost
 * always means sqlgate believes its public URL is another, so that is the fix they give.
 */
import { publicUrlFix, type ConnectorContext } from './connector-context.js';
import { fail, pass, warn, type Finding } from './report.js';
import { jsonOf, pathOf, sendRequest } from './send-request.js';

/** An environment's protected resource metadata, once it passed: what the sign-in check authorizes for. */
export interface ResourceMetadata {
  readonly environment: string;
  readonly resource: string;
  readonly authorizationServer: string;
  readonly scopes: readonly string[];
}

/** The finding; when it passes, the resource; whenever the document names one, its authorization server. */
export async function checkResourceMetadata(ctx: ConnectorContext, environment: string): Promise<{ finding: Finding; resource?: ResourceMetadata; authorizationServer?: string }> {
  const check = `${environment}: resource metadata`;
  const url = `${ctx.base}/.well-known/oauth-protected-resource/${environment}/mcp`;
  const expected = `${ctx.base}/${environment}/mcp`;
  const reply = await sendRequest(ctx, url, { isFollowingRedirects: true });
  const forward = 'the reverse proxy must forward /.well-known/* to sqlgate';
  if (!reply.ok) return { finding: fail(check, `GET ${pathOf(ctx, url)} failed: ${reply.error}.`, forward) };
  if (reply.status !== 200) {
    const who = jsonOf(reply)?.error?.toString().startsWith('SG_') ? '' : ', and not from sqlgate';
    return { finding: fail(check, `GET ${pathOf(ctx, url)} answered ${reply.status}${who}.`, who ? forward : 'make sure auth.mode is oauth and the environment exists') };
  }
  const document = jsonOf(reply);
  if (!document) {
    return { finding: fail(check, `GET ${pathOf(ctx, url)} answered 200 but not with JSON (${reply.headers.get('content-type') ?? 'no content type'}).`, `${forward} (not to a web site or a catch-all page)`) };
  }
  const problems: string[] = [];
  const fixes = new Set<string>();
  if (document.resource !== expected) {
    problems.push(`resource is ${JSON.stringify(document.resource)}; it must be exactly "${expected}"`);
    const given = typeof document.resource === 'string' ? URL.parse(document.resource) : null;
    if (given && given.origin !== ctx.base) fixes.add(publicUrlFix(ctx));
    else if (typeof document.resource === 'string' && document.resource === `${expected}/`) fixes.add('remove the trailing slash: Claude.ai compares resource with the connector URL exactly');
    else fixes.add(publicUrlFix(ctx));
  }
  const servers = document.authorization_servers;
  const first = Array.isArray(servers) && typeof servers[0] === 'string' ? servers[0] : undefined;
  if (!first) {
    problems.push('authorization_servers is missing or empty');
    fixes.add('sqlgate always names itself there: make sure this URL is answered by sqlgate with auth.mode: oauth');
  }
  if (problems.length > 0) return { finding: fail(check, `${problems.join('; ')}.`, [...fixes].join('; ')), ...(first ? { authorizationServer: first } : {}) };
  const scopes = Array.isArray(document.scopes_supported) ? document.scopes_supported.filter((s): s is string => typeof s === 'string') : [];
  return {
    finding: pass(check, `resource ${expected}, authorization server ${first}${scopes.length ? `, scopes ${scopes.join(' ')}` : ''}`),
    resource: { environment, resource: expected, authorizationServer: first!, scopes },
    authorizationServer: first!,
  };
}

/** The authorization server metadata as served: only the fields the checks read are typed. */
export interface AuthorizationServerMetadata {
  readonly issuer?: unknown;
  readonly authorization_endpoint?: string;
  readonly token_endpoint?: string;
  readonly registration_endpoint?: string;
  readonly revocation_endpoint?: string;
  readonly [key: string]: unknown;
}

/** Metadata that has what the sign-in check needs: its issuer and its authorization, token and registration endpoints. */
export type SignInMetadata = AuthorizationServerMetadata & { readonly issuer: string; readonly authorization_endpoint: string; readonly token_endpoint: string; readonly registration_endpoint: string };

/** RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path. */
export function authorizationServerMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/** The finding; the metadata too, unless it failed (a warning still lets registration and sign-in go on). */
export async function checkAuthorizationServer(ctx: ConnectorContext, issuer: string): Promise<{ finding: Finding; metadata?: AuthorizationServerMetadata }> {
  const check = 'authorization server metadata';
  const url = authorizationServerMetadataUrl(issuer);
  const reply = await sendRequest(ctx, url, { isFollowingRedirects: true });
  // sqlgate is its own authorization server: one elsewhere means it believes its URL is another.
  const forward = URL.parse(issuer)?.origin === ctx.base ? 'the reverse proxy must forward /.well-known/* to sqlgate' : `sqlgate names ${issuer} as its authorization server: ${publicUrlFix(ctx)}`;
  if (!reply.ok) return { finding: fail(check, `GET ${url} failed: ${reply.error}.`, forward) };
  const document = jsonOf(reply);
  if (reply.status !== 200 || !document) {
    return { finding: fail(check, `GET ${url} answered ${reply.status}${document ? '' : ' without JSON'}.`, forward) };
  }
  const metadata = document as AuthorizationServerMetadata;
  const problems: string[] = [];
  const warnings: string[] = [];
  const fixes = new Set<string>();
  const generic = `make sure ${url} is answered by sqlgate (auth.mode: oauth), not by another server`;
  if (metadata.issuer !== issuer) {
    problems.push(`issuer is ${JSON.stringify(metadata.issuer)}; expected "${issuer}"`);
    fixes.add(publicUrlFix(ctx));
  }
  for (const key of ['authorization_endpoint', 'token_endpoint'] as const) {
    if (typeof metadata[key] !== 'string') {
      problems.push(`${key} is missing`);
      fixes.add(generic);
    }
  }
  if (!includes(metadata.code_challenge_methods_supported, 'S256')) {
    problems.push('code_challenge_methods_supported does not include S256 (PKCE)');
    fixes.add(generic);
  }
  if (!includes(metadata.token_endpoint_auth_methods_supported, 'none')) {
    problems.push('token_endpoint_auth_methods_supported does not include "none" (public clients such as Claude.ai)');
    fixes.add(generic);
  }
  const hasRegistration = typeof metadata.registration_endpoint === 'string';
  const hasMetadataDocuments = metadata.client_id_metadata_document_supported === true;
  if (!hasRegistration && !hasMetadataDocuments) {
    problems.push('neither registration_endpoint nor client_id_metadata_document_supported: true, so Claude.ai cannot register');
    fixes.add('set auth.dynamic_registration: true and auth.client_id_metadata_documents: true (the defaults)');
  } else if (!hasMetadataDocuments) {
    warnings.push('client_id_metadata_document_supported is not true (Claude.ai falls back to registration)');
    fixes.add('set auth.client_id_metadata_documents: true (the default)');
  } else if (!hasRegistration) {
    warnings.push('no registration_endpoint (clients without a metadata document cannot register)');
    fixes.add('set auth.dynamic_registration: true (the default)');
  }
  if (!ctx.allowHttp) {
    const endpoints = ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'revocation_endpoint'] as const;
    const plain = endpoints.filter((key) => typeof metadata[key] === 'string' && !metadata[key]!.startsWith('https://'));
    if (plain.length > 0) {
      problems.push(`${plain.map((key) => `${key} (${metadata[key]})`).join(', ')} ${plain.length === 1 ? 'is' : 'are'} not https`);
      fixes.add(`sqlgate believes it is served over plain HTTP: ${publicUrlFix(ctx)}`);
    }
  }
  const fix = [...fixes].join('; ');
  if (problems.length > 0) return { finding: fail(check, `${[...problems, ...warnings].join('; ')}.`, fix) };
  if (warnings.length > 0) return { finding: warn(check, warnings.join('; '), fix), metadata };
  return { finding: pass(check, `issuer ${issuer}: PKCE S256, public clients, registration and client metadata documents`), metadata };
}

function includes(list: unknown, value: string): boolean {
  return Array.isArray(list) && list.includes(value);
}
