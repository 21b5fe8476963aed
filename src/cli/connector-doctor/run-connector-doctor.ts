/**
 * `sqlgate doctor --public-url URL`: the connector doctor. It checks from the outside, the way Claude.ai's servers
 * will, what makes a custom connector fail without saying why: DNS (a public IPv4 address), HTTPS (a certificate
 * valid for the host), the 401 challenge of each MCP endpoint, the protected resource and authorization server
 * metadata, registration with Claude's callbacks and, given a test user, sign-in, token, refresh and revocation.
 *
 * This is the entry run-cli.ts calls. It runs the checks in that order because each starts from what an earlier one
 * found (the resource metadata names the authorization server, whose metadata names the registration endpoint), and
 * records a skipped check, with the reason, where an earlier failure leaves nothing to check. The checks live beside
 * it, one concern per file; DNS, TLS, fetch and the clock go through `ConnectorProbes`, so tests need no internet.
 * No Hono, no database drivers: this is a client of the server, not part of it.
 */
import { CLAUDE_REDIRECT_URIS } from '../../config/schema.js';
import { EXIT_FAILURE } from '../exit.js';
import { checkChallenge, discoverEnvironments } from './challenge-checks.js';
import { connectorContext, type ConnectorCheckOptions } from './connector-context.js';
import { checkAuthorizationServer, checkResourceMetadata, type ResourceMetadata, type SignInMetadata } from './metadata-checks.js';
import { checkDns, checkHttps } from './network-checks.js';
import { checkClaudeRegistration } from './registration-check.js';
import { formatFindings, formatJsonReport, hasFailure, skipped, type Finding } from './report.js';
import { checkSignIn } from './sign-in-check.js';

/** The command's options: the checks' own, plus how to write the report. */
export interface ConnectorDoctorOptions extends ConnectorCheckOptions {
  readonly isJson: boolean;
  readonly write: (text: string) => void;
}

/** Runs every check and writes the report; resolves with the exit code (0 unless a check failed). */
export async function runConnectorDoctor(options: ConnectorDoctorOptions): Promise<number> {
  const findings = await runConnectorChecks(options);
  options.write(options.isJson ? formatJsonReport(options.publicUrl, findings) : formatFindings(options.publicUrl, findings));
  return hasFailure(findings) ? EXIT_FAILURE : 0;
}

/** Every check's findings, in the order the report lists them; never throws for what the server answers. */
export async function runConnectorChecks(options: ConnectorCheckOptions): Promise<Finding[]> {
  const ctx = connectorContext(options);
  const findings: Finding[] = [await checkDns(ctx), await checkHttps(ctx)];

  let environments = [...(options.environments ?? [])];
  if (environments.length === 0) {
    const discovered = await discoverEnvironments(ctx);
    findings.push(discovered.finding);
    environments = discovered.names;
  }

  let resource: ResourceMetadata | undefined;
  let issuer: string | undefined;
  for (const environment of environments) {
    const challenge = await checkChallenge(ctx, environment);
    findings.push(challenge.finding);
    if (!challenge.asksForToken) {
      findings.push(skipped(`${environment}: resource metadata`, 'the MCP endpoint did not answer 401 (see above)'));
      continue;
    }
    const metadata = await checkResourceMetadata(ctx, environment);
    findings.push(metadata.finding);
    resource ??= metadata.resource;
    issuer ??= metadata.authorizationServer;
  }

  const as = issuer
    ? await checkAuthorizationServer(ctx, issuer)
    : { finding: skipped('authorization server metadata', 'no protected resource metadata named an authorization server (see above)') };
  findings.push(as.finding);
  const registrationEndpoint = as.metadata?.registration_endpoint;
  for (const redirectUri of CLAUDE_REDIRECT_URIS) {
    const check = `registration (${new URL(redirectUri).host} callback)`;
    findings.push(registrationEndpoint
      ? await checkClaudeRegistration(ctx, registrationEndpoint, redirectUri, check)
      : skipped(check, as.metadata ? 'the authorization server has no registration_endpoint' : 'needs the authorization server metadata (see above)'));
  }

  if (!options.user) {
    findings.push(skipped('sign-in, token and refresh', 'pass --user NAME and --password-stdin to test sign-in, token and refresh'));
  } else if (!as.metadata || !resource || !registrationEndpoint) {
    findings.push(skipped('sign-in, token and refresh', 'needs the resource metadata, the authorization server metadata and registration (see above)'));
  } else {
    findings.push(...await checkSignIn(ctx, options.user, resource, as.metadata as SignInMetadata));
  }
  return findings;
}
