/**
 * deploy/docker-compose.yml and its companions, without a Docker engine (none runs on this machine): the compose
 * file against the Compose Specification's JSON schema (the copy dclint ships), the files it mounts, the
 * variables it needs, sqlgate.example.yaml through sqlgate's own config loader, and setup-letsencrypt.sh's syntax
 * and the docker commands of its compose mode. tests/deploy/nginx-acme.test.ts runs the same script for real, in
 * its --host mode, against nginx, certbot and pebble.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { REPO_ROOT } from '../support/start-server.js';

const require = createRequire(import.meta.url);
const DEPLOY = path.join(REPO_ROOT, 'deploy');
const SCRIPT = path.join(DEPLOY, 'setup-letsencrypt.sh');
const compose = parse(fs.readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8')) as Compose;
// ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

interface Service {
  ports?: string[];
  volumes?: (string | { type: string; source: string; target: string })[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string; restart?: boolean }>;
  [key: string]: unknown;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

function composeSchemaValidator() {
  // dclint's exports map hides its files, but not its package.json: the schema sits beside it.
  const dclint = path.dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(fs.readFileSync(path.join(dclint, 'schemas', 'compose.schema.json'), 'utf8')) as Record<string, unknown>;
  // strict: false, because the schema uses annotation keywords ajv does not know (`deprecated`); they validate nothing.
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  // The schema names draft-07 as https://json-schema.org/draft-07/schema; ajv knows it as http://…/schema#.
  const draft07 = require('ajv/dist/refs/json-schema-draft-07.json') as Record<string, unknown>;
  ajv.addMetaSchema({ ...draft07, $id: schema.$schema as string });
  return ajv.compile(schema);
}

describe('deploy/docker-compose.yml', () => {
  const validate = composeSchemaValidator();

  it('is valid under the Compose Specification schema', () => {
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
    // The same validator refuses a misspelt key: the check above is not vacuous.
    expect(validate({ ...compose, services: { ...compose.services, nginx: { ...compose.services.nginx, restrat: 'always' } } })).toBe(false);
  });

  it('runs sqlgate, nginx and certbot, and publishes only nginx', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['certbot', 'nginx', 'sqlgate']);
    expect(compose.services.nginx!.ports).toEqual(['80:80', '443:443']);
    expect(compose.services.sqlgate!.ports).toBeUndefined();
    expect(compose.services.certbot!.ports).toBeUndefined();
    expect(compose.services.nginx!.environment?.SQLGATE_UPSTREAM).toBe('sqlgate:8008');
    expect(compose.services.nginx!.depends_on?.sqlgate).toEqual({ condition: 'service_started', restart: true });
  });

  it('keeps certificates, the webroot and sqlgate state in volumes, shared where they must be', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['certbot-webroot', 'letsencrypt', 'sqlgate-data']);
    const mounts = (service: string) => (compose.services[service]!.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    expect(mounts('sqlgate')).toContain('sqlgate-data:/data');
    expect(mounts('certbot')).toEqual(['letsencrypt:/etc/letsencrypt', 'certbot-webroot:/var/www/certbot']);
    expect(mounts('nginx')).toEqual(expect.arrayContaining(['letsencrypt:/etc/letsencrypt:ro', 'certbot-webroot:/var/www/certbot:ro']));
  });

  it('mounts files that exist, at the paths the nginx template includes', () => {
    const template = fs.readFileSync(path.join(DEPLOY, 'nginx/templates/sqlgate.conf.template'), 'utf8');
    for (const volume of compose.services.nginx!.volumes!) {
      if (typeof volume !== 'string' || !volume.startsWith('./')) continue;
      expect(fs.existsSync(path.join(DEPLOY, volume.split(':')[0]!)), volume).toBe(true);
    }
    expect(compose.services.nginx!.volumes).toContain('./nginx/snippets:/etc/nginx/snippets/sqlgate:ro');
    const includes = [...template.matchAll(/include snippets\/sqlgate\/([\w.-]+);/g)].map((m) => m[1]!);
    expect(new Set(includes)).toEqual(new Set(fs.readdirSync(path.join(DEPLOY, 'nginx/snippets'))));
    // sqlgate.yaml is the operator's copy of sqlgate.example.yaml (git ignores the name).
    const config = compose.services.sqlgate!.volumes!.find((v) => typeof v !== 'string') as { source: string; target: string };
    expect(config).toMatchObject({ source: './sqlgate.yaml', target: '/etc/sqlgate/sqlgate.yaml' });
    expect(fs.existsSync(path.join(DEPLOY, 'sqlgate.example.yaml'))).toBe(true);
  });

  it('needs no variable that .env.example does not name', () => {
    const text = fs.readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8');
    const used = new Set([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const example = fs.readFileSync(path.join(DEPLOY, '.env.example'), 'utf8');
    const named = new Set([...example.matchAll(/^#? ?([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    expect([...used].filter((name) => !named.has(name))).toEqual([]);
    expect(used).toContain('SQLGATE_DOMAIN');
  });
});

describe('deploy/sqlgate.example.yaml', () => {
  it('is a valid sqlgate configuration whose public URL and allowed host follow SQLGATE_DOMAIN', () => {
    const config = loadConfig({ configPath: path.join(DEPLOY, 'sqlgate.example.yaml'), env: { SQLGATE_DOMAIN: 'data.example.com' }, cwd: os.tmpdir() });
    expect(config.auth.publicUrl).toBe('https://data.example.com');
    expect(config.server.allowedHosts).toEqual(['data.example.com']);
    expect(config.auth.trustedProxies).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
    expect(config.environments.map((environment) => environment.name)).toEqual(['demo']);
  });
});

describe('deploy/setup-letsencrypt.sh', () => {
  const temp: string[] = [];
  afterAll(() => {
    for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is valid POSIX sh and bash, and is executable', () => {
    for (const shell of ['sh', 'dash', 'bash']) {
      const result = spawnSync(shell, ['-n', SCRIPT], { encoding: 'utf8' });
      expect(result.stderr, shell).toBe('');
      expect(result.status, shell).toBe(0);
    }
    expect(fs.statSync(SCRIPT).mode & 0o111).not.toBe(0);
    expect(fs.readFileSync(SCRIPT, 'utf8')).toMatch(/^#!\/bin\/sh\n[\s\S]*^set -eu$/m);
    expect(execFileSync('sh', [SCRIPT, '--help'], { encoding: 'utf8' })).toContain('--host');
  });

  /** deploy/'s script and examples in a temp directory, with a stand-in `docker` that records its arguments. */
  function composeCopy(): { dir: string; run: (args: string[], env?: Record<string, string>) => { status: number | null; stderr: string; calls: string[] } } {
    // There is no Docker engine here. The one command that asks whether a certificate exists answers "no".
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-setup-compose-'));
    temp.push(dir);
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'docker'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${dir}/docker.log"\ncase "$*" in *"test -f"*) exit 1 ;; esac\n`, { mode: 0o755 });
    for (const file of ['setup-letsencrypt.sh', '.env.example', 'sqlgate.example.yaml']) fs.copyFileSync(path.join(DEPLOY, file), path.join(dir, file));
    fs.chmodSync(path.join(dir, 'setup-letsencrypt.sh'), 0o755);
    const run = (args: string[], env: Record<string, string> = {}) => {
      fs.rmSync(path.join(dir, 'docker.log'), { force: true });
      const result = spawnSync('sh', ['-c', args.join(' ')], { cwd: dir, encoding: 'utf8', env: { PATH: `${dir}/bin:${process.env.PATH}`, ...env } });
      const log = path.join(dir, 'docker.log');
      return { status: result.status, stderr: result.stderr, calls: fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [] };
    };
    return { dir, run };
  }

  it('in compose mode, as https.md runs it: placeholder, nginx up, certbot, reload, the rest up', () => {
    const { dir, run } = composeCopy();
    expect(run(['cp .env.example .env && cp sqlgate.example.yaml sqlgate.yaml']).status).toBe(0);
    fs.writeFileSync(path.join(dir, '.env'), fs.readFileSync(path.join(dir, '.env'), 'utf8').replace(/^SQLGATE_DOMAIN=.*$/m, 'SQLGATE_DOMAIN=data.example.com'));

    const staging = run(['./setup-letsencrypt.sh', '--staging']);
    expect(staging.status, staging.stderr).toBe(0);
    expect(staging.calls.find((call) => call.includes('certonly'))).toContain('--server https://acme-staging-v02.api.letsencrypt.org/directory');

    const { status, stderr, calls } = run(['./setup-letsencrypt.sh']);
    expect(status, stderr).toBe(0);
    expect(calls).toHaveLength(7);
    expect(calls[0]).toBe('compose run --rm --no-deps --entrypoint sh certbot -c test -f /etc/letsencrypt/renewal/data.example.com.conf');
    expect(calls[1]).toMatch(/^compose run --rm --no-deps --entrypoint sh certbot -c rm -rf \/etc\/letsencrypt\/live\/data\.example\.com && .*openssl req -x509 .*-subj \/CN=data\.example\.com/);
    expect(calls[2]).toBe('compose up -d nginx');
    expect(calls[3]).toMatch(/^compose run .*certbot -c rm -rf \/etc\/letsencrypt\/live\/data\.example\.com \/etc\/letsencrypt\/archive\/data\.example\.com /);
    expect(calls[4]).toBe('compose run --rm --no-deps --entrypoint certbot certbot certonly --webroot -w /var/www/certbot -d data.example.com '
      + '--config-dir /etc/letsencrypt --register-unsafely-without-email --server https://acme-v02.api.letsencrypt.org/directory '
      + '--agree-tos --non-interactive --no-eff-email');
    expect(calls[5]).toBe('compose exec nginx nginx -s reload');
    expect(calls[6]).toBe('compose up -d');
  });

  it('reads .env as compose does, and lets the environment override it', () => {
    const { dir, run } = composeCopy();
    fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), 'environments: {}\n');
    fs.writeFileSync(path.join(dir, '.env'), '# comment\n\nSQLGATE_DOMAIN=data.example.com\nLETSENCRYPT_EMAIL="ops@example.org"\nACME_SERVER=https://wrong.example/dir');
    const { status, stderr, calls } = run(['./setup-letsencrypt.sh'], { ACME_SERVER: 'https://acme.example/dir' });
    expect(status, stderr).toBe(0);
    expect(calls.find((call) => call.includes('certonly'))).toContain('-d data.example.com --config-dir /etc/letsencrypt --email ops@example.org --server https://acme.example/dir ');
  });

  it('refuses to start without a domain, or without sqlgate.yaml in compose mode', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-setup-refuse-'));
    temp.push(dir);
    fs.copyFileSync(SCRIPT, path.join(dir, 'setup-letsencrypt.sh'));
    const run = (env: Record<string, string>) => spawnSync('sh', [path.join(dir, 'setup-letsencrypt.sh')], { encoding: 'utf8', env: { PATH: process.env.PATH!, ...env } });
    expect(run({}).stderr).toContain('SQLGATE_DOMAIN is not set');
    expect(run({ SQLGATE_DOMAIN: 'a.example; rm -rf /' }).stderr).toContain('is not a host name');
    expect(run({ SQLGATE_DOMAIN: 'data.example.com', LETSENCRYPT_EMAIL: 'a@b.example --server https://evil.example' }).stderr).toContain('is not an address');
    const missing = run({ SQLGATE_DOMAIN: 'data.example.com' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cp sqlgate.example.yaml sqlgate.yaml');
  });
});
