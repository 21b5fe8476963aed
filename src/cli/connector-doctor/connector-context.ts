/**
 * What every connector check works from: the --public-url in its origin form, the mode (--insecure-allow-http), the
 * timeout and the probes. The URL rules live here as well, because run-cli.ts validates the options with the same
 * ones before any check runs, and because the fix the doctor gives most often is "sqlgate believes its URL is
 * another": `publicUrlFix` says it once for every check.
 */
import { ENVIRONMENT_NAME_PATTERN } from '../../config/schema.js';
import { NETWORK_PROBES, type ConnectorProbes } from './network-probes.js';

/** What the checks are asked to check, as run-cli.ts parsed it from the command line. */
export interface ConnectorCheckOptions {
  /** The origin Claude.ai is given, e.g. https://data.example.com (see parsePublicUrl). */
  readonly publicUrl: string;
  /** Environments to check; empty or absent: the ones /health lists. */
  readonly environments?: readonly string[];
  /** Accept http:// and loopback (for trying things out locally); Claude.ai itself never would. */
  readonly allowHttp: boolean;
  /** A user to sign in as, for the token, refresh and revocation checks. */
  readonly user?: { readonly name: string; readonly password: string };
  readonly timeoutMs?: number;
  readonly probes?: ConnectorProbes;
}

const DEFAULT_TIMEOUT_MS = 10_000;


/** What every check works from: the parsed public URL, the mode and the probes. */
export interface ConnectorContext {
  readonly base: string;
  readonly url: URL;
  readonly allowHttp: boolean;
  readonly timeoutMs: number;
  readonly probes: ConnectorProbes;
}

/** The context of one run: `publicUrl` in its origin form (it throws if it cannot be one), and the defaults. */
export function connectorContext(options: ConnectorCheckOptions): ConnectorContext {
  const base = parsePublicUrl(options.publicUrl);
  return { base, url: new URL(base), allowHttp: options.allowHttp, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, probes: options.probes ?? NETWORK_PROBES };
}

/** Why `value` cannot be a --public-url, or undefined. */
export function publicUrlProblem(value: string): string | undefined {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return 'expected an https:// URL, e.g. https://data.example.com';
  if (url.username || url.password) return 'must not contain a user name or password';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return 'must be the origin only (what auth.public_url is), e.g. https://data.example.com, not an MCP endpoint URL';
  }
  return undefined;
}

/** The origin form of a valid --public-url: no trailing slash, no default port. */
export function parsePublicUrl(value: string): string {
  const problem = publicUrlProblem(value);
  if (problem) throw new Error(problem);
  return new URL(value).origin;
}

/** Whether `name` can be an environment in a connector URL, `${base}/NAME/mcp`. */
export function isEnvironmentName(name: string): boolean {
  return ENVIRONMENT_NAME_PATTERN.test(name);
}

/** The public-URL fix, for whenever sqlgate names another base than the one Claude.ai is given. */
export function publicUrlFix(ctx: ConnectorContext): string {
  return `set auth.public_url to ${ctx.base} (or list the reverse proxy in auth.trusted_proxies so sqlgate believes its X-Forwarded-Host and X-Forwarded-Proto), then restart sqlgate`;
}
