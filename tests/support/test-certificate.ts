/**
 * A certificate authority made for one test, and a server certificate it issued, for TLS between a test and a
 * server of its own (nginx) without a public CA or a host name in DNS. openssl does the work. Nothing trusts the CA
 * until the test adds `caPem` to its own process's trust store (tls.setDefaultCACertificates).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  /** The CA's certificate (PEM), for the client's trust store. */
  readonly caPem: string;
}

export interface TestCertificateOptions {
  /** Where to write the server's certificate chain (PEM: the certificate, then the CA's). */
  readonly certificateFile: string;
  /** Where to write the server's private key (PEM, mode 0600). */
  readonly keyFile: string;
  /** The names the certificate is for, as openssl writes them: `IP:127.0.0.1`, `DNS:localhost`. */
  readonly subjectAltNames: readonly string[];
}

export function createTestCertificate({ certificateFile, keyFile, subjectAltNames }: TestCertificateOptions): TestCertificate {
  // The CA's key never leaves this directory, and the directory is removed before returning.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-test-ca-'));
  try {
    const file = (name: string) => path.join(work, name);
    const openssl = (args: readonly string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    openssl(['req', '-x509', ...ecKey, '-days', '2', '-subj', '/CN=sqlgate test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
    openssl(['req', '-new', ...ecKey, '-subj', `/CN=${subjectAltNames[0]!.replace(/^\w+:/, '')}`, '-keyout', file('server.key'), '-out', file('server.csr')]);
    fs.writeFileSync(file('server.ext'), [
      `subjectAltName=${subjectAltNames.join(',')}`, 'basicConstraints=critical,CA:FALSE', 'extendedKeyUsage=serverAuth', '',
    ].join('\n'));
    openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2',
      '-extfile', file('server.ext'), '-out', file('server.pem')]);
    const caPem = fs.readFileSync(file('ca.pem'), 'utf8');
    fs.mkdirSync(path.dirname(certificateFile), { recursive: true });
    fs.mkdirSync(path.dirname(keyFile), { recursive: true });
    fs.writeFileSync(certificateFile, fs.readFileSync(file('server.pem'), 'utf8') + caPem);
    fs.writeFileSync(keyFile, fs.readFileSync(file('server.key')), { mode: 0o600 });
    return { caPem };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
