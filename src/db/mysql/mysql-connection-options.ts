/**
 * mysql2 connection options for an environment: address, credentials, timeouts, character set and TLS.
 *
 * TLS is off unless asked for. The URL asks with `ssl-mode` (MySQL client names), `sslmode` (libpq names too) or
 * `ssl=true|false`, and sets how much is verified. The `tls` block can switch TLS on or off (`enabled`), switch
 * verification off (`reject_unauthorized: false`), and supplies CA, client certificate and server name.
 * Values that the driver cannot honour are refused at start instead of silently weakened.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { ConnectionOptions, SslOptions } from 'mysql2';
import type { NetworkTarget } from '../../config/database-url.js';
import type { EnvironmentConfig, TlsConfig } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import { castMysqlValue } from './mysql-types.js';

/** How much of the server's certificate is checked. */
type Verification = 'none' | 'chain' | 'identity';
type UrlTlsMode = { enabled: false } | { enabled: true; verification: Verification };

const URL_TLS_MODES: Readonly<Record<string, UrlTlsMode>> = {
  disabled: { enabled: false },
  disable: { enabled: false },
  false: { enabled: false },
  '0': { enabled: false },
  // MySQL's REQUIRED means "encrypted, certificate not checked"; ssl=true asks for the safe default instead.
  required: { enabled: true, verification: 'none' },
  require: { enabled: true, verification: 'none' },
  verify_ca: { enabled: true, verification: 'chain' },
  'verify-ca': { enabled: true, verification: 'chain' },
  verify_identity: { enabled: true, verification: 'identity' },
  'verify-full': { enabled: true, verification: 'identity' },
  true: { enabled: true, verification: 'identity' },
  '1': { enabled: true, verification: 'identity' },
};

const TLS_PARAMS = ['ssl-mode', 'sslmode', 'ssl'] as const;

export type MysqlEnvironmentConfig = EnvironmentConfig & { target: NetworkTarget };

export function mysqlConnectionOptions(config: MysqlEnvironmentConfig): ConnectionOptions {
  const { target } = config;
  const options: ConnectionOptions = {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectTimeout: config.connectTimeoutMs,
    // One statement per call: a second statement hidden after ";" is a syntax error in the server.
    multipleStatements: false,
    // LOAD DATA LOCAL lets the *server* ask the client for files; sqlgate never sends any.
    flags: ['-LOCAL_FILES'],
    charset: 'UTF8MB4_UNICODE_CI',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    typeCast: castMysqlValue,
    enableKeepAlive: true,
  };
  const ssl = sslOptions(config);
  if (!ssl) return options;
  const servername = config.tls?.servername;
  if (ssl.verifyIdentity && net.isIP(servername ?? target.host)) {
    // mysql2 sends no server name for an IP address, and Node then checks the certificate against "localhost".
    throw new ConfigError(`environments.${config.name}: the driver cannot verify a TLS certificate against an IP address.`, {
      hint: "Connect by host name, set tls.servername to the name in the server's certificate, or use ssl-mode=VERIFY_CA.",
    });
  }
  if (servername && servername !== target.host) {
    // mysql2 verifies the certificate against `host`; so name the certificate's host there and dial the real one.
    return { ...options, ssl, host: servername, stream: () => net.connect(target.port, target.host).setNoDelay(true) };
  }
  return { ...options, ssl };
}

function sslOptions(config: MysqlEnvironmentConfig): SslOptions | undefined {
  const urlMode = urlTlsMode(config);
  const tls = config.tls;
  const isEnabled = tls?.enabled ?? urlMode?.enabled ?? false;
  if (!isEnabled) return undefined;
  let verification: Verification = urlMode?.enabled ? urlMode.verification : 'identity';
  // Given a CA, REQUIRED checks the chain, as the mysql client does with --ssl-ca.
  if (verification === 'none' && tls?.caFile) verification = 'chain';
  if (tls && !tls.rejectUnauthorized) verification = 'none';
  return {
    rejectUnauthorized: verification !== 'none',
    verifyIdentity: verification === 'identity',
    ...certificateFiles(config.name, tls),
  };
}

function urlTlsMode(config: MysqlEnvironmentConfig): UrlTlsMode | undefined {
  const param = TLS_PARAMS.find((name) => config.target.params[name] !== undefined);
  if (!param) return undefined;
  const value = config.target.params[param]!.toLowerCase();
  const mode = URL_TLS_MODES[value];
  if (mode) return mode;
  const isPreferred = value === 'preferred' || value === 'prefer';
  throw new ConfigError(`environments.${config.name}.database: ${param}=${value} is not supported for MySQL/MariaDB.`, {
    hint: isPreferred
      ? 'The driver has no opportunistic TLS: use ssl-mode=REQUIRED (or VERIFY_IDENTITY) to encrypt, or DISABLED.'
      : 'Use ssl-mode=DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY.',
  });
}

function certificateFiles(environment: string, tls: TlsConfig | undefined): Pick<SslOptions, 'ca' | 'cert' | 'key'> {
  const read = (key: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`environments.${environment}.tls.${key} ("${file}") cannot be read.`, {
        hint: 'Check the path and that sqlgate may read the file.',
        cause: err,
      });
    }
  };
  return {
    ca: read('ca_file', tls?.caFile),
    cert: read('cert_file', tls?.certFile),
    key: read('key_file', tls?.keyFile),
  };
}
