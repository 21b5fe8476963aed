/**
 * Two sqlgate instances behind one nginx, as docs/operations/scale-out.md sets them up: two `node dist/main.js serve`
 * processes on ports of their own with one configuration (a PostgreSQL state store and audit trail in fresh
 * databases, Redis for limits under a key prefix of their own), and Debian's nginx rendered from deploy/nginx with
 * the upstream listing both, over TLS with a CA made here and trusted by this process until stop().
 *
 * nginx listens on free loopback ports (not the template's 80 and 443, which tests/deploy/nginx-acme.test.ts takes),
 * logs which instance answered each request (nginx-upstream-log.ts), and has one more plain-HTTP port whose upstream
 * hashes on the Authorization header: scale-out.md's recipe for legacy SSE, without the template's edge rate limits.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { stringify } from 'yaml';
import { fixtureStatements } from './fixture/index.js';
import { renderNginxSite, type NginxSite } from './nginx-site.js';
import { readUpstreamLog, upstreamLogDirectives, type UpstreamLogLine } from './nginx-upstream-log.js';
import { freePort } from './start-app.js';
import { assertBuilt, startServerProcess, type ServerProcess } from './start-server.js';
import { createTestCertificate } from './test-certificate.js';
import type pg from 'pg';
import { createTestDatabase, withPgClient, type TestDatabase } from './test-databases.js';
import { deleteKeysUnder, REDIS_URL, uniqueKeyPrefix } from './test-redis.js';

/** nginx's server name and the certificate's: an address, so that no /etc/hosts entry is needed. */
const DOMAIN = '127.0.0.1';

export interface TwoInstances {
  /** nginx as clients reach it (auth.public_url): TLS, and the template's upstream with both instances. */
  readonly origin: string;
  /** The same nginx, plain HTTP, upstream hashed on the bearer token; no edge rate limits. */
  readonly stickyOrigin: string;
  /** The configuration both instances serve, for `sqlgate … --config`. */
  readonly configFile: string;
  readonly a: ServerProcess;
  readonly b: ServerProcess;
  readonly site: NginxSite;
  /** The database the environments serve: the shared fixture and a table `gate` (a lock on it holds calls in flight). */
  readonly data: TestDatabase;
  readonly audit: TestDatabase;
  /** limits.key_prefix: the Redis keys under it are deleted by stop(). */
  readonly keyPrefix: string;
  /** nginx's log of which instance answered each request, so far. */
  upstreamLog(): UpstreamLogLine[];
  /** Every record of the audit trail, oldest first: its fields (as `audit list --format jsonl` prints them) and seq. */
  auditRecords(): Promise<Record<string, any>[]>;
  stop(): Promise<void>;
}

export interface TwoInstancesOptions {
  /** The configuration's `environments`, given the URL of the database they serve. */
  environments: (dataUrl: string) => Record<string, unknown>;
}

export async function startTwoInstances({ environments }: TwoInstancesOptions): Promise<TwoInstances> {
  assertBuilt();
  const missing = ['nginx', 'openssl', 'envsubst'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) throw new Error(`two sqlgate instances behind nginx need ${missing.join(', ')}: sudo apt-get install -y nginx openssl gettext-base (.ci/run does this).`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-two-instances-'));
  const keyPrefix = uniqueKeyPrefix('two-instances');
  const defaultCas = tls.getCACertificates('default');
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }), () => deleteKeysUnder(keyPrefix));
  try {
    const [state, audit, data] = await Promise.all([
      createTestDatabase('postgres', []),
      createTestDatabase('postgres', []),
      createTestDatabase('postgres', [...fixtureStatements('postgres'), 'CREATE TABLE gate (id INTEGER PRIMARY KEY)', 'INSERT INTO gate VALUES (1), (2), (3)']),
    ]);
    cleanups.push(() => Promise.all([state.drop(), audit.drop(), data.drop()]));
    const [httpPort, httpsPort, stickyPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const origin = `https://${DOMAIN}:${httpsPort}`;

    const configFile = path.join(dir, 'sqlgate.yaml');
    fs.writeFileSync(configFile, stringify({
      log: { level: 'warn' },
      server: { host: '127.0.0.1' },
      auth: { mode: 'oauth', public_url: origin, trusted_proxies: ['127.0.0.1'] },
      store: { url: state.url },
      audit: { url: audit.url },
      limits: { store: REDIS_URL, key_prefix: keyPrefix },
      environments: environments(data.url),
    }));
    // Both at once, as an orchestrator starts replicas: both migrate the same new databases.
    const started = await Promise.allSettled([0, 1].map(() => startServerProcess({ args: ['serve', '--config', configFile, '--auth', 'oauth'] })));
    for (const result of started) if (result.status === 'fulfilled') cleanups.push(() => result.value.stop());
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [a, b] = started.map((result) => (result as PromiseFulfilledResult<ServerProcess>).value) as [ServerProcess, ServerProcess];

    const nginxDir = path.join(dir, 'nginx');
    fs.mkdirSync(nginxDir);
    const upstreamLogFile = path.join(nginxDir, 'upstream.log');
    const site = renderNginxSite({
      dir: nginxDir,
      domain: DOMAIN,
      upstream: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`],
      ports: { http: httpPort, https: httpsPort },
      // scale-out.md's legacy SSE recipe: the template's upstream with `hash` added, proxied as proxy.conf and
      // streaming.conf do (the forwarded headers nginx would send on the TLS port).
      http: `${upstreamLogDirectives(upstreamLogFile)}
    upstream sqlgate_by_token {
        hash $http_authorization consistent;
        server 127.0.0.1:${a.port};
        server 127.0.0.1:${b.port};
        keepalive 16;
        keepalive_timeout 4s;
    }
    server {
        listen 127.0.0.1:${stickyPort};
        location / {
            proxy_pass http://sqlgate_by_token;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host ${DOMAIN};
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }
    }`,
    });
    const certificate = createTestCertificate({
      certificateFile: path.join(site.letsencryptDir, 'live', DOMAIN, 'fullchain.pem'),
      keyFile: path.join(site.letsencryptDir, 'live', DOMAIN, 'privkey.pem'),
      subjectAltNames: [`IP:${DOMAIN}`],
    });
    cleanups.push(() => site.stop());
    execFileSync('sh', ['-c', site.command], { stdio: 'pipe' }); // nginx starts its master in the background and returns
    tls.setDefaultCACertificates([...defaultCas, certificate.caPem]);
    cleanups.push(() => tls.setDefaultCACertificates(defaultCas));

    return {
      origin, stickyOrigin: `http://127.0.0.1:${stickyPort}`, configFile, a, b, site, data, audit, keyPrefix,
      upstreamLog: () => readUpstreamLog(upstreamLogFile),
      auditRecords: async () => {
        const { rows } = await withPgClient(audit.url, (client) => client.query('SELECT seq, payload FROM audit_records ORDER BY seq'));
        return rows.map((row) => ({ seq: Number(row.seq), ...(JSON.parse(row.payload as string) as Record<string, unknown>) }));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Statements waiting for a lock on `gate`: a test that holds the lock (LOCK TABLE gate, in `client`'s transaction)
 * keeps every call that reads it in flight, and counts them here.
 */
export async function countWaitingOnGate(client: pg.Client): Promise<number> {
  // Inside a transaction, pg_stat_activity would show the same snapshot every time.
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM gate%'",
  );
  return rows[0].n as number;
}
