/**
 * Pebble, Let's Encrypt's ACME test server (Debian's `pebble` package), for tests that get a certificate as
 * certbot gets one from Let's Encrypt: same protocol, same HTTP-01 validation, a throw-away CA.
 *
 * Pebble ships no certificate for its own HTTPS listener, so one is made here (self-signed, for localhost); ACME
 * clients trust it through REQUESTS_CA_BUNDLE (certbot) or `ca`. Pebble keeps everything in memory, its root CA
 * included: the root that signs the issued certificates is new at every start and is read from the management
 * listener (`/roots/0`).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { freePort } from './start-app.js';
import { createTestCertificate } from './tls-test-endpoint.js';

export interface Pebble {
  /** The ACME directory, e.g. https://localhost:41234/dir (certbot --server). */
  readonly directoryUrl: string;
  /** PEM file of the certificate pebble's listeners present (REQUESTS_CA_BUNDLE for certbot). */
  readonly listenerCaFile: string;
  /** PEM of the root CA that issued certificates chain to. */
  rootCertificate(): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

export interface StartPebbleOptions {
  /** A directory for pebble's config and listener certificate. */
  dir: string;
  /** The port pebble's validator connects to for HTTP-01: the HTTP port of the web server under test. */
  httpPort: number;
}

export async function startPebble({ dir, httpPort }: StartPebbleOptions): Promise<Pebble> {
  const listener = createTestCertificate('sqlgate-pebble-');
  const certFile = path.join(dir, 'pebble-listener.pem');
  const keyFile = path.join(dir, 'pebble-listener.key');
  fs.writeFileSync(certFile, listener.cert);
  fs.writeFileSync(keyFile, listener.key, { mode: 0o600 });
  listener.remove();

  const [acmePort, managementPort, tlsAlpnPort] = [await freePort(), await freePort(), await freePort()];
  const configFile = path.join(dir, 'pebble-config.json');
  // As /usr/share/doc/pebble/examples/pebble-config.json, on loopback, with our certificate and httpPort.
  fs.writeFileSync(configFile, JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: certFile,
      privateKey: keyFile,
      httpPort,
      tlsPort: tlsAlpnPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
    },
  }, null, 2));

  // PEBBLE_VA_NOSLEEP: no random delay before each validation. PEBBLE_WFE_NONCEREJECT=0: pebble otherwise refuses
  // 5 % of valid nonces on purpose, to exercise client retries; a test wants the same run every time.
  const child = spawn('pebble', ['-config', configFile], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onParentExit = () => child.kill('SIGKILL');
  process.once('exit', onParentExit);
  const stop = async () => {
    process.removeListener('exit', onParentExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pebble did not start within 15 s:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('ACME directory available')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pebble exited (code ${code}) before it was listening:\n${output}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });

  const ca = fs.readFileSync(certFile);
  return {
    directoryUrl: `https://localhost:${acmePort}/dir`,
    listenerCaFile: certFile,
    rootCertificate: () => httpsText(`https://localhost:${managementPort}/roots/0`, ca),
    output: () => output,
    stop,
  };
}

function httpsText(url: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${response.statusCode} ${body}`))));
    }).on('error', reject);
  });
}
