/**
 * An environment's `sqlserver://` URL and `tls` block → tedious connection options.
 *
 * Encryption is on unless the URL or the `tls` block turns it off. The server certificate is trusted blindly only
 * when asked for (`trustServerCertificate=true`, or `tls.reject_unauthorized: false`). A read-only environment
 * connects with ApplicationIntent=ReadOnly, so an availability group routes it to a readable secondary. Unknown or
 * malformed URL parameters are configuration errors at start, naming the parameter but never the password.
 */
import fs from 'node:fs';
import type { ConnectionConfiguration } from 'tedious';
import type { NetworkTarget } from '../../config/database-url.js';
import type { EnvironmentConfig } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';

/** URL query parameters we understand (keys arrive lower-cased), each with what it does, for the error message. */
export const MSSQL_URL_PARAMETERS = {
  encrypt: 'true (default), false or strict (TDS 8.0)',
  trustservercertificate: 'true or false (default): accept any server certificate',
  applicationintent: 'ReadOnly or ReadWrite (default: ReadOnly for read-only environments)',
  instancename: 'named instance, resolved through SQL Server Browser (the port is then ignored)',
  multisubnetfailover: 'true or false (default)',
  hostnameincertificate: 'host name to verify the server certificate against',
} as const;

export type MssqlEnvironmentConfig = EnvironmentConfig & { target: NetworkTarget };

/** Builds the tedious configuration; throws ConfigError for a parameter or TLS file it cannot use. */
export function mssqlConnectionOptions(config: MssqlEnvironmentConfig): ConnectionConfiguration {
  const { target, tls } = config;
  const params = readParams(config);
  const encrypt = tls?.enabled ?? params.encrypt ?? true;
  const isTrusting = params.trustServerCertificate === true || tls?.rejectUnauthorized === false;
  const credentials = encrypt === false ? undefined : readTlsFiles(config);
  const certificateName = tls?.servername ?? params.hostNameInCertificate;
  return {
    server: target.host,
    authentication: { type: 'default', options: { userName: target.user, password: target.password } },
    options: {
      database: target.database,
      ...(params.instanceName === undefined ? { port: target.port } : { instanceName: params.instanceName }),
      encrypt,
      trustServerCertificate: isTrusting,
      ...(credentials ? { cryptoCredentialsDetails: credentials } : {}),
      ...(certificateName ? { serverName: certificateName } : {}),
      readOnlyIntent: params.readOnlyIntent ?? config.readOnly,
      multiSubnetFailover: params.multiSubnetFailover ?? false,
      connectTimeout: config.connectTimeoutMs,
      // Every request sets its own timeout (statement timeout, or a short one for our own batches).
      requestTimeout: 0,
      appName: 'sqlgate',
      // Temporal values are read as written, never shifted by the time zone sqlgate runs in.
      useUTC: true,
      lowerCaseGuids: true,
      // One row = an array in column order (duplicate column names stay distinct).
      useColumnNames: false,
      rowCollectionOnDone: false,
      rowCollectionOnRequestCompletion: false,
    },
  };
}

interface MssqlUrlParams {
  encrypt?: boolean | 'strict';
  trustServerCertificate?: boolean;
  readOnlyIntent?: boolean;
  instanceName?: string;
  multiSubnetFailover?: boolean;
  hostNameInCertificate?: string;
}

function readParams(config: MssqlEnvironmentConfig): MssqlUrlParams {
  const out: MssqlUrlParams = {};
  for (const [key, value] of Object.entries(config.target.params)) {
    switch (key) {
      case 'encrypt':
        out.encrypt = value.toLowerCase() === 'strict' ? 'strict' : parseBoolean(config, key, value);
        break;
      case 'trustservercertificate':
        out.trustServerCertificate = parseBoolean(config, key, value);
        break;
      case 'applicationintent': {
        const intent = value.toLowerCase();
        if (intent !== 'readonly' && intent !== 'readwrite') throw badParam(config, key, 'expected ReadOnly or ReadWrite');
        out.readOnlyIntent = intent === 'readonly';
        break;
      }
      case 'instancename':
        if (!/^[A-Za-z0-9_$#-]{1,16}$/.test(value)) throw badParam(config, key, 'expected an instance name such as SQLEXPRESS');
        out.instanceName = value;
        break;
      case 'multisubnetfailover':
        out.multiSubnetFailover = parseBoolean(config, key, value);
        break;
      case 'hostnameincertificate':
        if (value === '') throw badParam(config, key, 'expected a host name');
        out.hostNameInCertificate = value;
        break;
      default:
        throw new ConfigError(
          `environments.${config.name}.database: unknown SQL Server URL parameter "${key}". ` +
            `Accepted: ${Object.keys(MSSQL_URL_PARAMETERS).join(', ')} (case-insensitive).`,
        );
    }
  }
  return out;
}

function parseBoolean(config: MssqlEnvironmentConfig, key: string, value: string): boolean {
  const normalized = value.toLowerCase();
  if (['true', 'yes', '1'].includes(normalized)) return true;
  if (['false', 'no', '0'].includes(normalized)) return false;
  throw badParam(config, key, 'expected true or false');
}

function badParam(config: MssqlEnvironmentConfig, key: string, expected: string): ConfigError {
  // Parameter values are not secrets, but the message never needs more than the key and what is expected.
  return new ConfigError(`environments.${config.name}.database: URL parameter "${key}" is invalid: ${expected}.`);
}

function readTlsFiles(config: MssqlEnvironmentConfig): { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined {
  const tls = config.tls;
  if (!tls || (!tls.caFile && !tls.certFile && !tls.keyFile)) return undefined;
  const read = (key: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new ConfigError(`environments.${config.name}.tls.${key}: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
  };
  const ca = read('ca_file', tls.caFile);
  const cert = read('cert_file', tls.certFile);
  const key = read('key_file', tls.keyFile);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}
