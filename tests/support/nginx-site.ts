/**
 * deploy/nginx/ as an nginx of its own in a temp directory: the template rendered with envsubst exactly as
 * docs/operations/https.md renders it, the snippets where the template includes them, and a main nginx.conf that
 * stands in for the one of the nginx image or of Debian's package (`include conf.d/*.conf` inside `http`). Paths
 * outside the directory (/etc/letsencrypt, /var/www/certbot) are moved into it; nothing else of the site changes,
 * but for what the options below ask.
 *
 * Nothing starts here: deploy/setup-letsencrypt.sh --host starts nginx with `command`, as it would on a host (or a
 * test runs `command` itself).
 *
 * By default the site listens where the template says, on ports 80 and 443 of every address, as in production.
 * `ports` moves both listeners to loopback ports of the test's choosing instead, so that a test can run while another
 * one holds 80 and 443. `upstream` may list several instances: the template's one `server ${SQLGATE_UPSTREAM};`
 * line becomes one line per instance, as docs/operations/scale-out.md tells an operator to write it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './start-server.js';

const NGINX_DIR = path.join(REPO_ROOT, 'deploy', 'nginx');

export interface NginxSite {
  readonly dir: string;
  /** The nginx command line for this site (NGINX_CMD of setup-letsencrypt.sh): `nginx -p … -c … -e …`. */
  readonly command: string;
  readonly letsencryptDir: string;
  readonly webroot: string;
  errorLog(): string;
  /** Fast shutdown (open SSE streams would hold a graceful one for an hour); resolves once the master is gone. */
  stop(): Promise<void>;
}

export interface NginxSiteOptions {
  dir: string;
  domain: string;
  /** host:port of sqlgate (SQLGATE_UPSTREAM), or of each instance of sqlgate (one `server` line each). */
  upstream: string | readonly string[];
  /** Loopback ports instead of the template's 80 (ACME challenge and redirect) and 443 (TLS). */
  ports?: { readonly http: number; readonly https: number };
  /** Lines added to the main config's `http` block, e.g. server-wide defaults a test compares against. */
  http?: string;
}

export function renderNginxSite({ dir, domain, upstream, ports, http = '' }: NginxSiteOptions): NginxSite {
  // nginx's workers run as nobody: they must reach the webroot below this directory (and the ones above it).
  fs.chmodSync(dir, 0o755);
  const letsencryptDir = path.join(dir, 'letsencrypt');
  const webroot = path.join(dir, 'webroot');
  const template = fs.readFileSync(path.join(NGINX_DIR, 'templates', 'sqlgate.conf.template'), 'utf8');
  const upstreams = typeof upstream === 'string' ? [upstream] : upstream;
  if (upstreams.length === 0) throw new Error('renderNginxSite needs at least one upstream');
  const rendered = execFileSync('envsubst', ['${SQLGATE_DOMAIN} ${SQLGATE_UPSTREAM}'], {
    input: template,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, SQLGATE_DOMAIN: domain, SQLGATE_UPSTREAM: upstreams[0] },
  });
  const changes: Record<string, string> = { '/etc/letsencrypt/': `${letsencryptDir}/`, '/var/www/certbot;': `${webroot};` };
  if (upstreams.length > 1) changes[`    server ${upstreams[0]};\n`] = upstreams.map((address) => `    server ${address};\n`).join('');
  if (ports) Object.assign(changes, { '    listen 80;': `    listen 127.0.0.1:${ports.http};`, '    listen 443 ssl;': `    listen 127.0.0.1:${ports.https} ssl;` });
  fs.mkdirSync(path.join(dir, 'conf.d'));
  fs.writeFileSync(path.join(dir, 'conf.d', 'sqlgate.conf'), relocate(rendered, changes));
  fs.cpSync(path.join(NGINX_DIR, 'snippets'), path.join(dir, 'snippets', 'sqlgate'), { recursive: true });

  const temp = (name: string) => path.join(dir, 'tmp', name);
  fs.writeFileSync(path.join(dir, 'nginx.conf'), [
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    'events { worker_connections 512; }',
    'http {',
    `    access_log ${dir}/access.log;`,
    `    client_body_temp_path ${temp('body')}; proxy_temp_path ${temp('proxy')}; fastcgi_temp_path ${temp('fastcgi')};`,
    `    uwsgi_temp_path ${temp('uwsgi')}; scgi_temp_path ${temp('scgi')};`,
    '    default_type application/octet-stream;',
    http,
    '    include conf.d/*.conf;',
    '}',
    '',
  ].join('\n'));
  fs.mkdirSync(path.join(dir, 'tmp'));

  const command = `nginx -p ${dir}/ -c ${dir}/nginx.conf -e ${dir}/error.log`;
  const masterPid = () => {
    try {
      return Number(fs.readFileSync(path.join(dir, 'nginx.pid'), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const isAlive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const onParentExit = () => {
    const pid = masterPid();
    if (pid) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', onParentExit);
  return {
    dir,
    command,
    letsencryptDir,
    webroot,
    errorLog: () => (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''),
    stop: async () => {
      process.removeListener('exit', onParentExit);
      const pid = masterPid();
      if (!pid || !isAlive(pid)) return;
      process.kill(pid, 'SIGTERM'); // nginx's fast shutdown (`nginx -s stop`)
      for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}

/** Replaces each path (or line); each must occur, or the template changed under the test's feet. */
function relocate(text: string, paths: Record<string, string>): string {
  let result = text;
  for (const [from, to] of Object.entries(paths)) {
    if (!result.includes(from)) throw new Error(`the rendered nginx site no longer mentions ${from}`);
    result = result.split(from).join(to);
  }
  return result;
}
