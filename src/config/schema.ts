/**
 * The configuration schema: the single source of defaults and types. YAML snake_case keys become camelCase here,
 * and the rest of sqlgate only ever sees the frozen `Config` this produces (see load.ts).
 */
import { z } from 'zod';
import type { DatabaseTarget, NetworkTarget } from './database-url.js';
import { authSchema, CLAUDE_REDIRECT_URIS, type StaticClientConfig, type UpstreamConfig } from './auth-schema.js';
import { durationSchema } from './duration-schema.js';
import { IDLE_MARGIN_MS, serverSchema, type ServerConfig } from './server-schema.js';
import { limitSetSchema, limitsSchema, type LimitsConfig } from './limits-schema.js';
import { metricsSchema, type MetricsConfig } from './metrics-schema.js';
import { policySchema } from './policy-schema.js';
import { telemetrySchema, type TelemetryConfig } from './telemetry-schema.js';
import { EVERY_ENVIRONMENT, rolesSchema, type NamedRoles } from './roles-schema.js';
import { unknownNameIssue } from './unknown-name-issue.js';
import { environmentToolsSchema } from './tool-schema.js';

/** Path prefixes that an environment may not take, because the server itself answers them. */
export const RESERVED_ENVIRONMENT_NAMES = new Set([
  'health', 'ready', 'metrics', 'authorize', 'token', 'register', 'revoke', 'jwks', 'login', 'consent',
  'oauth', 'admin', 'static', 'assets', 'mcp', 'sse', 'messages', 'favicon.ico', 'robots.txt',
  'interaction', 'logout', 'userinfo', 'introspect', 'par', 'device', 'backchannel', 'session', '.well-known',
]);

/** An environment name: it becomes the first segment of its URL paths. */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const environmentName = z
  .string()
  .regex(ENVIRONMENT_NAME_PATTERN, 'lower-case letters, digits, "-" and "_", starting with a letter or digit (it becomes the URL path)')
  .refine((name) => !RESERVED_ENVIRONMENT_NAMES.has(name), {
    message: 'is reserved for the server\'s own routes; choose another name',
  });

const tlsSchema = z
  .strictObject({
    /** Use TLS for the connection. Unset: whatever the URL says (sslmode, encrypt, ssl). */
    enabled: z.boolean().optional(),
    /** Verify the server certificate against the trusted CAs. */
    reject_unauthorized: z.boolean().default(true),
    ca_file: z.string().optional(),
    cert_file: z.string().optional(),
    key_file: z.string().optional(),
    /** Host name to verify the certificate against, when it differs from the connection host. */
    servername: z.string().optional(),
  })
  .transform((t) => ({
    enabled: t.enabled,
    rejectUnauthorized: t.reject_unauthorized,
    caFile: t.ca_file,
    certFile: t.cert_file,
    keyFile: t.key_file,
    servername: t.servername,
  }));

const poolSchema = z
  .strictObject({
    /** Connections per environment; also the number of statements that may run at once. */
    max: z.int().min(1).max(200).default(5),
    /** How long a request waits for a free connection before it is told the environment is busy. */
    acquire_timeout_ms: z.int().min(1).max(600_000).default(5_000),
    idle_timeout_ms: z.int().min(1_000).max(3_600_000).default(60_000),
  })
  .transform((p) => ({ max: p.max, acquireTimeoutMs: p.acquire_timeout_ms, idleTimeoutMs: p.idle_timeout_ms }));

/** An https URL (keys fetched over plain http could be swapped in transit), or http on loopback for local setups. */
const secureUrl = z.url().refine((u) => /^https:\/\//i.test(u) || /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i.test(u), {
  message: 'must be an https URL (http only to 127.0.0.1, localhost or [::1])',
});

/**
 * Resource-server mode: the environment accepts JWT access tokens from an existing identity provider (Entra ID,
 * Okta, Keycloak …) instead of sqlgate's own authorization server, and names that server in its metadata.
 */
const externalAuthSchema = z
  .strictObject({
    /** The identity provider's issuer; tokens must carry exactly this `iss`. */
    issuer: secureUrl,
    /** Where its signing keys are. Unset: read from the issuer's discovery document. */
    jwks_uri: secureUrl.optional(),
    /** The `aud` tokens must carry. Unset: the environment's resource URL (<public_url>/<env>/mcp). */
    audience: z.string().min(1).optional(),
    /** The claim that names the user in the audit log. */
    user_claim: z.string().min(1).default('sub'),
    /** The claim holding the user's groups or roles (an array or a space-separated string). */
    roles_claim: z.string().min(1).default('roles'),
    /** Group/role values that may read. Empty: any valid token may read. */
    read_roles: z.array(z.string().min(1)).default([]),
    /** Group/role values that may also write (where the environment is writable). */
    write_roles: z.array(z.string().min(1)).default([]),
    /** Accepted signature algorithms (asymmetric only: a shared-secret HS* key would let anyone with it mint tokens). */
    algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1).default(['RS256', 'PS256', 'ES256', 'EdDSA']),
  })
  .transform((a) => ({
    issuer: a.issuer,
    jwksUri: a.jwks_uri,
    audience: a.audience,
    userClaim: a.user_claim,
    rolesClaim: a.roles_claim,
    readRoles: a.read_roles,
    writeRoles: a.write_roles,
    algorithms: a.algorithms,
  }));

/** environments.<name>.audit: record_parameters overrides audit.record_parameters for this environment's calls. */
const environmentAuditSchema = z
  .strictObject({ record_parameters: z.boolean().optional() })
  .transform((a) => ({ recordParameters: a.record_parameters }));

export const environmentSchema = z
  .strictObject({
    /** Database URL; `${VAR}` is expanded. Use `database_file` to read it from a secret file instead. */
    database: z.string().min(1, 'must not be empty'),
    /** Overrides the URL's password (e.g. `password_file: /run/secrets/db_password`). */
    password: z.string().optional(),
    description: z.string().max(500).optional(),
    /** Fill this SQLite file with the generated demo sales database when it does not exist. */
    demo: z.boolean().default(false),
    read_only: z.boolean().default(true),
    /**
     * Read-only environments: refuse to start when the database login could write or reach the server's files
     * (what `sqlgate doctor` checks), instead of only warning. A database that is down at start is not checked.
     */
    strict_privileges: z.boolean().default(false),
    /** Writable environments only: allow CREATE/ALTER/DROP/TRUNCATE and other schema changes. */
    allow_ddl: z.boolean().default(false),
    /**
     * Writable environments: what happens to statements that destroy data in bulk (DELETE/UPDATE without WHERE,
     * DROP, TRUNCATE). `confirm` asks the user through MCP elicitation when the client supports it, else refuses.
     */
    destructive_statements: z.enum(['confirm', 'refuse', 'allow']).default('confirm'),
    /**
     * Pass the caller (user, roles, OAuth client) into every statement's session, where row-level security can read
     * it and the statement cannot change it: docs/session-context.md.
     */
    session_context: z.boolean().default(false),
    /** User-defined functions the statement gate allows in reads (lower-case, optionally schema-qualified). */
    allowed_functions: z.array(z.string().min(1).max(200).transform((f) => f.toLowerCase())).default([]),
    max_rows: z.int().min(1).max(100_000).default(1_000),
    statement_timeout_ms: z.int().min(100).max(3_600_000).default(30_000),
    connect_timeout_ms: z.int().min(100).max(120_000).default(10_000),
    /** Binary values are shown base64-encoded up to this many bytes, then cut with a marker. */
    max_binary_bytes: z.int().min(0).max(1_048_576).default(1_024),
    /**
     * Characters a tool result may take in all (text for the model plus structured rows). Claude.ai refuses tool
     * results much above 150,000 characters; rows past the budget are cut with a notice.
     */
    max_result_chars: z.int().min(1_000).max(10_000_000).default(100_000),
    /** A single text value longer than this is cut with a notice (a blob of text must not eat the whole budget). */
    max_cell_chars: z.int().min(16).max(1_000_000).default(4_000),
    /**
     * Bytes of row data one call may receive from the database, counted on the wire as rows arrive: a statement
     * whose rows (or one value) would exceed it is stopped before they are held in memory (issue 15).
     */
    max_result_bytes: z.int().min(65_536).max(1_073_741_824).default(64 * 1_048_576),
    pool: z.preprocess((v) => v ?? {}, poolSchema),
    tls: tlsSchema.optional(),
    /** Accept JWTs from an existing identity provider for this environment (instead of sqlgate's own sign-in). */
    external_auth: externalAuthSchema.optional(),
    /** Tools defined here (description, parameters, sql), and `<built-in>: false` to switch a built-in tool off. */
    tools: z.preprocess((v) => v ?? {}, environmentToolsSchema),
    /** How much one user may do here: calls_per_minute, concurrent_queries, rows_per_hour (docs/limits.md). */
    limits: z.preprocess((v) => v ?? {}, limitSetSchema),
    /** The audit settings of this environment's tool calls; those not set follow the top-level `audit`. */
    audit: z.preprocess((v) => v ?? {}, environmentAuditSchema),
    /** Tables and columns denied or masked here, with per-role exceptions (docs/governance.md). */
    policy: policySchema.optional(),
  })
  .transform((e) => ({
    databaseUrl: e.database,
    password: e.password,
    description: e.description,
    isDemo: e.demo,
    readOnly: e.read_only,
    strictPrivileges: e.strict_privileges,
    allowDdl: e.allow_ddl,
    destructiveStatements: e.destructive_statements,
    sessionContext: e.session_context,
    allowedFunctions: e.allowed_functions,
    maxRows: e.max_rows,
    statementTimeoutMs: e.statement_timeout_ms,
    connectTimeoutMs: e.connect_timeout_ms,
    maxBinaryBytes: e.max_binary_bytes,
    maxResultChars: e.max_result_chars,
    maxCellChars: e.max_cell_chars,
    maxResultBytes: e.max_result_bytes,
    pool: e.pool,
    tls: e.tls,
    externalAuth: e.external_auth,
    tools: e.tools,
    limits: e.limits,
    audit: e.audit,
    policy: e.policy,
  }));

/**
 * Where sqlgate keeps its own state (users, personal tokens, OAuth clients, grants, token hashes, signing keys):
 * a SQLite file (the default; one instance), or a PostgreSQL database that several instances behind a load
 * balancer share. load.ts parses the URL and checks its parameters.
 */
const storeSchema = z.strictObject({
  url: z
    .string()
    .regex(
      /^(sqlite:|postgres(ql)?:\/\/)/i,
      'must be a sqlite: or postgres:// URL such as "sqlite:./data/sqlgate-state.sqlite" or "postgres://sqlgate:PASSWORD@db.internal:5432/sqlgate"',
    )
    .default('sqlite:./data/sqlgate-state.sqlite'),
});

/**
 * The audit trail: one record per tool call, hash-chained and committed before the result goes back. Its own SQLite
 * file by default, apart from the state store: it grows without bound until pruned, and is read by other people. A
 * PostgreSQL database lets several instances write one trail. load.ts parses the URL and checks its parameters.
 */
const auditSchema = z
  .strictObject({
    url: z
      .string()
      .regex(
        /^(sqlite:|postgres(ql)?:\/\/)/i,
        'must be a sqlite: or postgres:// URL such as "sqlite:./data/sqlgate-audit.sqlite" or "postgres://sqlgate:PASSWORD@db.internal:5432/sqlgate_audit"',
      )
      .default('sqlite:./data/sqlgate-audit.sqlite'),
    /** Record the arguments a tool was called with (the SQL text is always recorded). */
    record_parameters: z.boolean().default(true),
    /**
     * How long records are kept: older ones are pruned at start and then hourly, and the chain is anchored at the
     * last one pruned so the rest still verifies. At least a day, so that `retention: 365` (seconds) is caught.
     */
    retention: durationSchema({ maxDays: 36_500, minSeconds: 86_400, minMessage: 'must be at least 1 day (a bare number is seconds: write "365d")' })
      .default(365 * 86_400),
    /** Also write every record, once committed, as one JSON line: "stdout", or a file appended to (created 0600). */
    stream: z.string().trim().min(1, 'must be "stdout" or a file path')
      .refine((s) => s !== 'stderr', 'must be "stdout" or a file path (stderr carries the log)')
      .optional(),
  })
  .transform((a) => ({ url: a.url, recordParameters: a.record_parameters, retentionSeconds: a.retention, stream: a.stream }));

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const configSchema = z.strictObject({
  server: z.preprocess((v) => v ?? {}, serverSchema),
  log: z.preprocess(
    (v) => v ?? {},
    z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }),
  ),
  store: z.preprocess((v) => v ?? {}, storeSchema),
  audit: z.preprocess((v) => v ?? {}, auditSchema),
  limits: z.preprocess((v) => v ?? {}, limitsSchema),
  /** Prometheus metrics: a bearer token for /metrics on the main port, or a listener of its own (docs/operations/metrics.md). */
  metrics: z.preprocess((v) => v ?? {}, metricsSchema),
  /** OpenTelemetry traces over OTLP/HTTP; off unless otlp_endpoint is set. */
  telemetry: z.preprocess((v) => v ?? {}, telemetrySchema),
  auth: z.preprocess((v) => v ?? {}, authSchema),
  /** Named roles: users (`users add --role`) and upstream groups get them by name. */
  roles: z.preprocess((v) => v ?? {}, rolesSchema),
  environments: z
    .record(environmentName, environmentSchema)
    .refine((envs) => Object.keys(envs).length > 0, { message: 'must name at least one environment' }),
}).superRefine((config, ctx) => {
  for (const [name, environment] of Object.entries(config.environments)) {
    if (!environment.externalAuth) continue;
    if (config.auth.mode === 'none') {
      ctx.addIssue({ code: 'custom', path: ['environments', name, 'external_auth'], message: 'needs auth.mode: oauth (with auth.mode: none no token is checked at all)' });
    } else if (!environment.externalAuth.audience && !config.auth.publicUrl) {
      // The default audience is the resource URL; built from a request's Host it would accept tokens the provider
      // issued for another server whose environment has the same name.
      ctx.addIssue({ code: 'custom', path: ['environments', name, 'external_auth', 'audience'], message: 'must be set, or auth.public_url must be (the default audience is <public_url>/<env>/mcp)' });
    }
  }
  // The checks below read the sections as parsed: they run only when every section parsed (a section with an
  // issue of its own is still in its raw form here).
  if (ctx.issues.length > 0) return;
  // A tool call sends nothing while its statement runs: an idle timeout shorter than that would cut its answer off.
  for (const [name, environment] of Object.entries(config.environments)) {
    if (config.server.idleTimeoutMs >= environment.statementTimeoutMs + IDLE_MARGIN_MS) continue;
    ctx.addIssue({ code: 'custom', path: ['server', 'idle_timeout'], message: `must be at least ${IDLE_MARGIN_MS / 1_000} s longer than environments.${name}.statement_timeout_ms (${environment.statementTimeoutMs / 1_000} s): a tool call sends nothing while its statement runs` });
  }
  // A misspelt name would give nothing and say nothing: the role's users would find out at sign-in.
  const environmentNames = Object.keys(config.environments);
  for (const [name, role] of config.roles) {
    for (const environment of role.environments.keys()) {
      if (environment === EVERY_ENVIRONMENT || Object.hasOwn(config.environments, environment)) continue;
      ctx.addIssue(unknownNameIssue(['roles', name, 'environments'], 'environment', environment, environmentNames));
    }
  }
  for (const [name, environment] of Object.entries(config.environments)) {
    for (const role of environment.policy?.roles.keys() ?? []) {
      if (!config.roles.has(role)) ctx.addIssue(unknownNameIssue(['environments', name, 'policy', 'roles'], 'role', role, [...config.roles.keys()]));
    }
  }
  for (const [i, mapping] of (config.auth.upstream?.roleMappings ?? []).entries()) {
    for (const role of mapping.roles) {
      if (!config.roles.has(role)) ctx.addIssue(unknownNameIssue(['auth', 'upstream', 'role_mappings', i, 'roles'], 'role', role, [...config.roles.keys()]));
    }
  }
});

export type { ServerConfig };
export type AuthConfig = z.output<typeof authSchema>;
export { CLAUDE_REDIRECT_URIS };
export type ExternalAuthConfig = z.output<typeof externalAuthSchema>;
export type { StaticClientConfig, UpstreamConfig };
export type TlsConfig = z.output<typeof tlsSchema>;
export type { LimitSet, LimitsConfig, LimitsStoreConfig, StoreErrorPolicy } from './limits-schema.js';
export type { MetricsConfig, MetricsListenAddress } from './metrics-schema.js';
export type { NamedRole, NamedRoles, RoleAccess } from './roles-schema.js';
export type { MaskKind, PolicyConfig } from './policy-schema.js';
export type { TelemetryConfig } from './telemetry-schema.js';
export type PoolConfig = z.output<typeof poolSchema>;

/** One environment's configuration, with its database URL parsed. */
export type EnvironmentConfig = Omit<z.output<typeof environmentSchema>, 'databaseUrl' | 'password'> & {
  readonly name: string;
  readonly target: DatabaseTarget;
  /** The URL with its password masked: safe for logs and /health. */
  readonly maskedUrl: string;
};

/**
 * libpq's sslmode values, as a PostgreSQL state store URL may give them (`?sslmode=verify-full`). Unset: prefer.
 * The store has no `tls` block: certificates are checked against Node's trusted CAs (add one with NODE_EXTRA_CA_CERTS).
 */
export const STORE_SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type StoreSslMode = (typeof STORE_SSL_MODES)[number];

/** A parsed postgres:// or postgresql:// URL. */
export type PostgresTarget = NetworkTarget & { readonly dialect: 'postgres' };

/**
 * The audit trail: where it is kept (audit.url, resolved as store.url is), whether tool arguments are recorded (each
 * environment may override that: EnvironmentConfig.audit), its retention and its stream.
 */
export interface AuditConfig {
  readonly store: StoreConfig;
  readonly recordParameters: boolean;
  /** Records older than this are pruned (audit.retention). */
  readonly retentionSeconds: number;
  /** Where every committed record is also written as a JSON line (audit.stream); absent: nowhere. */
  readonly stream?: AuditStreamTarget;
}

/** audit.stream: standard output, or a file (absolute path) appended to. */
export type AuditStreamTarget = { readonly kind: 'stdout' } | { readonly kind: 'file'; readonly file: string };

/**
 * A store's URL resolved (store.url, audit.url): a SQLite file (absolute path; relative ones are taken from the
 * working directory), or a PostgreSQL database (`maskedUrl` is the URL with its password masked, for messages).
 */
export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly target: PostgresTarget; readonly maskedUrl: string };

/**
 * An environment as every command knows it, whether or not its database was loaded: enough to name it in roles and
 * to give a token for it. Its database URL and password are not here (see Config.environments for those).
 */
export type ConfiguredEnvironment = Pick<EnvironmentConfig, 'name' | 'readOnly'>;

export interface Config {
  readonly server: ServerConfig;
  readonly store: StoreConfig;
  readonly audit: AuditConfig;
  /** Where the limit counters live and what happens when that store does not answer (each environment has its own limits). */
  readonly limits: LimitsConfig;
  /** Whether and where /metrics is served (metrics.token, metrics.listen); neither set: not at all. */
  readonly metrics: MetricsConfig;
  readonly telemetry: TelemetryConfig;
  readonly auth: AuthConfig;
  /** The named roles (`roles`), by name; empty when there are none. Each names only configured environments. */
  readonly roles: NamedRoles;
  readonly log: { readonly level: (typeof LOG_LEVELS)[number] };
  /**
   * The environments whose databases the command opens (loadConfig's `environmentsToOpen`: every one for serve,
   * the one named for `stdio --env`, none for the admin commands), fully loaded: database secrets expanded, read
   * from their files and checked. Each is also in `configuredEnvironments`.
   */
  readonly environments: readonly EnvironmentConfig[];
  /** Every environment in the configuration, in file order, whether or not its database was loaded. */
  readonly configuredEnvironments: readonly ConfiguredEnvironment[];
  /** Where the configuration came from, for the start-up banner. */
  readonly source: ConfigSource;
}

export type ConfigSource =
  | { kind: 'file'; path: string }
  | { kind: 'legacy-env' }
  | { kind: 'demo'; file: string };
