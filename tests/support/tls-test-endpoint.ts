/**
 * Shared pieces of the TLS tests: a throw-away self-signed certificate for "localhost", a database URL pointed at
 * a test proxy's port, and one `SELECT 1` through an environment built from given settings.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runQuery } from '../../src/db/run-query.js';
import { SqlgateError } from '../../src/errors.js';
import { openEnvironment } from './test-databases.js';

export interface TestCertificate {
  readonly dir: string;
  readonly certFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  remove(): void;
}

export function createTestCertificate(prefix: string): TestCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return {
    dir,
    certFile,
    cert: fs.readFileSync(certFile),
    key: fs.readFileSync(keyFile),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** `adminUrl` with another port and query string. */
export function urlVia(adminUrl: string, port: number, query: string): string {
  const url = new URL(adminUrl);
  url.port = String(port);
  url.search = query;
  return url.toString();
}

/** Runs SELECT 1 in an environment built from these settings; returns `CODE: message`, or 'ok'. */
export async function attemptSelectOne(url: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const env = await openEnvironment('tls', url, { connect_timeout_ms: 3_000, ...overrides });
  try {
    await runQuery(env.dialect, { sql: 'SELECT 1', params: [], readOnly: true, maxRows: 1, timeoutMs: 5_000, maxBinaryBytes: 0 });
    return 'ok';
  } catch (err) {
    if (!(err instanceof SqlgateError)) throw err;
    return `${err.code}: ${err.message}`;
  } finally {
    await env.dialect.close();
  }
}
