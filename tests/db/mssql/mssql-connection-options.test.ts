/** sqlserver:// URLs and the tls block → tedious connection options. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEnvironmentConfig } from '../../../src/config/load.js';
import type { NetworkTarget } from '../../../src/config/database-url.js';
import { mssqlConnectionOptions } from '../../../src/db/mssql/mssql-connection-options.js';
import { SqlgateError } from '../../../src/errors.js';

function optionsFor(url: string, overrides: Record<string, unknown> = {}) {
  const config = parseEnvironmentConfig('sales', { database: url, ...overrides }, process.cwd());
  return mssqlConnectionOptions({ ...config, target: config.target as NetworkTarget });
}

function configError(run: () => unknown): SqlgateError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(SqlgateError);
    expect((err as SqlgateError).code).toBe('SG_CONFIG');
    return err as SqlgateError;
  }
  throw new Error('expected a configuration error');
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-mssql-tls-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('mssqlConnectionOptions', () => {
  it('takes host, port, database and the login from the URL; encryption on, certificate verified', () => {
    const options = optionsFor('sqlserver://reader:p%40ss@db.example:14330/DemoDB');
    expect(options.server).toBe('db.example');
    expect(options.authentication).toEqual({ type: 'default', options: { userName: 'reader', password: 'p@ss' } });
    expect(options.options).toMatchObject({
      port: 14330,
      database: 'DemoDB',
      encrypt: true,
      trustServerCertificate: false,
      appName: 'sqlgate',
      useUTC: true,
      lowerCaseGuids: true,
      useColumnNames: false,
    });
    expect(options.options?.instanceName).toBeUndefined();
  });

  it('uses port 1433 when the URL names none, and the environment connect timeout', () => {
    const options = optionsFor('mssql://u:p@db.example/Sales', { connect_timeout_ms: 2_500 });
    expect(options.options).toMatchObject({ port: 1433, connectTimeout: 2_500, requestTimeout: 0 });
  });

  it('reads encrypt and trustServerCertificate in any case, as the seed\'s MSSQL_* variables write them', () => {
    expect(optionsFor('sqlserver://u:p@h/DemoDB?encrypt=true&trustServerCertificate=true').options).toMatchObject({
      encrypt: true,
      trustServerCertificate: true,
    });
    expect(optionsFor('sqlserver://u:p@h/DemoDB?ENCRYPT=False').options?.encrypt).toBe(false);
    expect(optionsFor('sqlserver://u:p@h/DemoDB?encrypt=strict').options?.encrypt).toBe('strict');
    expect(optionsFor('sqlserver://u:p@h/DemoDB?trustservercertificate=no').options?.trustServerCertificate).toBe(false);
  });

  it('asks for ApplicationIntent=ReadOnly in read-only environments unless the URL says otherwise', () => {
    expect(optionsFor('sqlserver://u:p@h/D').options?.readOnlyIntent).toBe(true);
    expect(optionsFor('sqlserver://u:p@h/D', { read_only: false }).options?.readOnlyIntent).toBe(false);
    expect(optionsFor('sqlserver://u:p@h/D?applicationIntent=ReadWrite').options?.readOnlyIntent).toBe(false);
    expect(optionsFor('sqlserver://u:p@h/D?ApplicationIntent=readonly', { read_only: false }).options?.readOnlyIntent).toBe(true);
  });

  it('connects to a named instance through SQL Browser, without a port', () => {
    const options = optionsFor('sqlserver://u:p@db.example/Sales?instanceName=SQLEXPRESS');
    expect(options.options?.instanceName).toBe('SQLEXPRESS');
    expect(options.options?.port).toBeUndefined();
  });

  it('passes multiSubnetFailover and hostNameInCertificate', () => {
    const options = optionsFor('sqlserver://u:p@10.0.0.5/Sales?multiSubnetFailover=true&hostNameInCertificate=db.example');
    expect(options.options).toMatchObject({ multiSubnetFailover: true, serverName: 'db.example' });
  });

  it('refuses malformed and unknown parameters with the key and what is expected', () => {
    expect(configError(() => optionsFor('sqlserver://u:p@h/D?encrypt=maybe')).message).toContain('"encrypt" is invalid: expected true or false');
    expect(configError(() => optionsFor('sqlserver://u:p@h/D?applicationIntent=write')).message).toContain('ReadOnly or ReadWrite');
    expect(configError(() => optionsFor('sqlserver://u:p@h/D?instanceName=a%20b')).message).toContain('"instancename"');
    const unknown = configError(() => optionsFor('sqlserver://u:secret@h/D?sslmode=require'));
    expect(unknown.message).toContain('unknown SQL Server URL parameter "sslmode"');
    expect(unknown.message).toContain('trustservercertificate');
    expect(unknown.message).not.toContain('secret');
  });

  describe('the tls block', () => {
    it('turns encryption on or off, whatever the URL says', () => {
      expect(optionsFor('sqlserver://u:p@h/D?encrypt=false', { tls: { enabled: true } }).options?.encrypt).toBe(true);
      expect(optionsFor('sqlserver://u:p@h/D', { tls: { enabled: false } }).options?.encrypt).toBe(false);
    });

    it('trusts any certificate only with reject_unauthorized: false', () => {
      expect(optionsFor('sqlserver://u:p@h/D', { tls: {} }).options?.trustServerCertificate).toBe(false);
      expect(optionsFor('sqlserver://u:p@h/D', { tls: { reject_unauthorized: false } }).options?.trustServerCertificate).toBe(true);
    });

    it('reads the CA, certificate and key files, and sets the name to verify', () => {
      const ca = path.join(tmp, 'ca.pem');
      const cert = path.join(tmp, 'client.pem');
      const key = path.join(tmp, 'client.key');
      fs.writeFileSync(ca, 'CA');
      fs.writeFileSync(cert, 'CERT');
      fs.writeFileSync(key, 'KEY');
      const options = optionsFor('sqlserver://u:p@10.0.0.5/D', { tls: { ca_file: ca, cert_file: cert, key_file: key, servername: 'db.example' } });
      const credentials = options.options?.cryptoCredentialsDetails as { ca: Buffer; cert: Buffer; key: Buffer };
      expect(credentials.ca.toString()).toBe('CA');
      expect(credentials.cert.toString()).toBe('CERT');
      expect(credentials.key.toString()).toBe('KEY');
      expect(options.options?.serverName).toBe('db.example');
      expect(options.options?.trustServerCertificate).toBe(false);
    });

    it('names the tls key of a file it cannot read', () => {
      const error = configError(() => optionsFor('sqlserver://u:p@h/D', { tls: { ca_file: path.join(tmp, 'missing.pem') } }));
      expect(error.message).toContain('environments.sales.tls.ca_file');
      expect(error.message).toContain('ENOENT');
    });
  });
});
