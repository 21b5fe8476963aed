/**
 * The environment's URL and `tls` block → pg client options.
 *
 * TLS follows libpq's `sslmode` (docs/dialects/postgres.md has the table): the `tls` block, when it sets
 * `enabled`, wins over the URL; `tls.reject_unauthorized: false` switches certificate checks off in every mode.
 * Certificate files are read here, at open(), so a missing file fails at start rather than at the first query.
 */
import fs from 'node:fs';
import tls from 'node:tls';
import type { ClientConfig } from 'pg';
import type { NetworkTarget } from '../../config/database-url.js';
import type { TlsConfig } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** What a connection needs from the environment config. */
export interface PostgresConnectionConfig {
  readonly name: string;
  readonly target: NetworkTarget;
  readonly tls?: TlsConfig | undefined;
  readonly connectTimeoutMs: number;
}

/** pg client options for one environment, ready to connect (certificate files already read). */
export interface PostgresConnectionOptions {
  /** Options of the first attempt. */
  readonly client: ClientConfig;
  /** allow/prefer: when the server says it has no TLS, connect again without it (what libpq does). */
  readonly plaintextFallback: ClientConfig | null;
}

/** libpq URL parameters that name files: sqlgate takes certificates from the `tls` block only. */
const FILE_PARAMS: Record<string, string> = { sslrootcert: 'ca_file', sslcert: 'cert_file', sslkey: 'key_file' };

/** The TLS mode an environment asks for. Throws ConfigError for an unknown sslmode or a libpq file parameter. */
export function resolveSslMode(config: PostgresConnectionConfig): SslMode {
  const where = `environments.${config.name}`;
  for (const [param, key] of Object.entries(FILE_PARAMS)) {
    if (config.target.params[param] !== undefined) {
      throw new ConfigError(`${where}.database: the URL parameter ${param} is not read; set ${where}.tls.${key} instead.`);
    }
  }
  const fromUrl = config.target.params.sslmode?.toLowerCase();
  if (fromUrl !== undefined && !(SSL_MODES as readonly string[]).includes(fromUrl)) {
    throw new ConfigError(`${where}.database: sslmode "${fromUrl}" is not one of ${SSL_MODES.join(', ')}.`);
  }
  const urlMode = fromUrl as SslMode | undefined;
  if (config.tls?.enabled === false) return 'disable';
  if (config.tls?.enabled === true) {
    if (urlMode === 'require' || urlMode === 'verify-ca' || urlMode === 'verify-full') return urlMode;
    return config.tls.rejectUnauthorized ? 'verify-full' : 'require';
  }
  return urlMode ?? 'prefer';
}

/** Builds the client options, reading the certificate files named in the `tls` block. */
export function postgresConnectionOptions(
  config: PostgresConnectionConfig,
  readFile: (path: string) => Buffer = (path) => fs.readFileSync(path),
): PostgresConnectionOptions {
  const mode = resolveSslMode(config);
  const { target } = config;
  const base: ClientConfig = {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    application_name: 'sqlgate',
    connectionTimeoutMillis: config.connectTimeoutMs,
    // Pooled connections sit idle for minutes; keepalive lets a dead peer surface as an error instead of a hang.
    keepAlive: true,
  };
  if (mode === 'disable') return { client: { ...base, ssl: false }, plaintextFallback: null };
  const ssl = sslOptions(mode, config, readFile);
  const isOptional = mode === 'allow' || mode === 'prefer';
  return { client: { ...base, ssl }, plaintextFallback: isOptional ? { ...base, ssl: false } : null };
}

function sslOptions(mode: Exclude<SslMode, 'disable'>, config: PostgresConnectionConfig, readFile: (path: string) => Buffer): tls.ConnectionOptions {
  const settings = config.tls;
  const read = (path: string | undefined, key: string): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFile(path);
    } catch (err) {
      throw new ConfigError(`environments.${config.name}.tls.${key}: cannot read "${path}".`, { cause: err });
    }
  };
  const ca = read(settings?.caFile, 'ca_file');
  const cert = read(settings?.certFile, 'cert_file');
  const key = read(settings?.keyFile, 'key_file');
  // libpq: allow/prefer encrypt without checking; require checks the chain only when a CA file is given.
  const checksChain = mode === 'verify-ca' || mode === 'verify-full' || (mode === 'require' && ca !== undefined);
  const servername = settings?.servername;
  return {
    ...(ca && { ca }),
    ...(cert && { cert }),
    ...(key && { key }),
    rejectUnauthorized: checksChain && settings?.rejectUnauthorized !== false,
    ...(servername !== undefined && { servername }),
    // pg sets the SNI name to the connection host after our options, so a different name to verify against
    // (tls.servername) is enforced here; verify-ca and require check the chain but not the name.
    checkServerIdentity:
      mode === 'verify-full'
        ? (host: string, certificate: tls.PeerCertificate) => tls.checkServerIdentity(servername ?? host, certificate)
        : () => undefined,
  };
}
