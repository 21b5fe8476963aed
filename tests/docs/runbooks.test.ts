/**
 * The operations pages' commands are tested, not promised (docs/operations/README.md#how-the-commands-are-tested).
 * Every command line of every ```sh block in docs/operations/*.md must be one of:
 *
 * - run here, by a scenario below, in deploy.md's layout in a temp directory (tests/support/runbook-workspace.ts:
 *   deploy.md's configuration and `sqlgate` wrapper, a SQLite state store, the server started as deploy.md's systemd
 *   unit says, the built CLI), checking its exit code and a key part of its output, and between commands what the
 *   page claims about it;
 * - run by another test file, declared below, which must exist and contain the command's program and options;
 * - marked in the page as not run here, with the reason (or, for a page whose author has not marked it, declared
 *   below with the reason).
 *
 * The last test fails on any other command, naming the page and line, and on a declaration the page no longer needs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { FormBrowser, csrfOf, mcpCall, obtainTokens, postForm, postJson, TEST_PASSWORD } from '../support/oauth-client.js';
import { programsAndOptions, readShellCommands } from '../support/runbook-commands.js';
import { OPERATIONS_DOCS, removeCompileCache, RunbookWorkspace, type ShellOptions, type ShellResult } from '../support/runbook-workspace.js';
import { assertBuilt, REPO_ROOT } from '../support/start-server.js';
import { freePort } from '../support/start-app.js';

const NEW_PASSWORD = 'a different horse, same battery';
/** Each scenario starts the built CLI a dozen times (about a second of CPU each) and a server or two: generous, for a loaded machine. */
const SCENARIO_TIMEOUT_MS = 180_000;

/** Commands of pages these scenarios do not run: run by another test file, or not run here (the page's author has not marked them). */
const NO_CLUSTER = 'needs a Kubernetes cluster (tests/deploy/helm.test.ts renders and checks the chart with helm lint and helm template)';
const PUBLIC_NAME = 'against the public host name (tests/deploy/nginx-acme.test.ts makes the same requests through nginx, with fetch)';
const DECLARED: Record<string, Record<string, { runBy: string } | { notRun: string }>> = {
  'backup.md': {
    'pg_dump --format=custom --no-owner --file=sqlgate-state.dump "postgres://sqlgate@db.internal/sqlgate"': { runBy: 'tests/cli/backup-postgres.test.ts' },
    'pg_restore --no-owner --exit-on-error --dbname="postgres://sqlgate@db.internal/sqlgate_restored" sqlgate-state.dump': { runBy: 'tests/cli/backup-postgres.test.ts' },
  },
  'container.md': {
    'apt-get install podman runc mmdebstrap': { notRun: 'installs packages (.ci/run installs them for the tests)' },
    'deploy/build-image.sh': { runBy: 'tests/deploy/container.test.ts' },
    'deploy/build-image.sh --tag registry.example.com/sqlgate:0.1.0': { runBy: 'tests/deploy/container.test.ts' },
    'podman --runtime runc run -d --name sqlgate --network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -v sqlgate-data:/data -e SQLGATE_HEALTHCHECK_URL=http://127.0.0.1:8008/health sqlgate:0.1.0 serve --host 127.0.0.1 --port 8008 --auth none': { runBy: 'tests/deploy/container.test.ts' },
    "podman healthcheck run sqlgate && podman inspect --format '{{.State.Health.Status}}' sqlgate": { runBy: 'tests/deploy/container.test.ts' },
  },
  'https.md': {
    "git clone <sqlgate's repository URL> sqlgate && cd sqlgate/deploy   # not run by the tests": { notRun: 'the repository URL is a placeholder' },
    'cp .env.example .env': { runBy: 'tests/deploy/compose.test.ts' },
    'cp sqlgate.example.yaml sqlgate.yaml': { runBy: 'tests/deploy/compose.test.ts' },
    'docker compose build': { notRun: 'needs a Docker engine (tests/deploy/container.test.ts builds the image with podman)' },
    './setup-letsencrypt.sh --staging': { runBy: 'tests/deploy/compose.test.ts' },
    './setup-letsencrypt.sh': { runBy: 'tests/deploy/compose.test.ts' },
    'docker compose exec sqlgate sqlgate users add alice --env demo': { notRun: 'needs a Docker engine (tests/deploy/nginx-acme.test.ts runs the same users add on the host)' },
    'sudo apt-get install -y nginx certbot gettext-base': { notRun: 'installs packages (.ci/run installs them for the tests)' },
    'node dist/main.js users add alice --env demo --config /etc/sqlgate/sqlgate.yaml': { runBy: 'tests/deploy/nginx-acme.test.ts' },
    'node dist/main.js serve --config /etc/sqlgate/sqlgate.yaml': { runBy: 'tests/deploy/nginx-acme.test.ts' },
    'sudo mkdir -p /etc/nginx/snippets/sqlgate': { runBy: 'tests/support/nginx-site.ts' },
    'sudo cp deploy/nginx/snippets/*.conf /etc/nginx/snippets/sqlgate/': { runBy: 'tests/support/nginx-site.ts' },
    'export SQLGATE_DOMAIN=data.example.com SQLGATE_UPSTREAM=127.0.0.1:8008': { runBy: 'tests/support/nginx-site.ts' },
    "envsubst '${SQLGATE_DOMAIN} ${SQLGATE_UPSTREAM}' < deploy/nginx/templates/sqlgate.conf.template | sudo tee /etc/nginx/conf.d/sqlgate.conf >/dev/null": {
      notRun: 'writes /etc/nginx as root (tests/support/nginx-site.ts renders the template with the same envsubst call and writes the file itself)',
    },
    'sudo SQLGATE_DOMAIN=data.example.com deploy/setup-letsencrypt.sh --host': { runBy: 'tests/deploy/nginx-acme.test.ts' },
    'sudo certbot renew --force-renewal --no-random-sleep-on-renew': { runBy: 'tests/deploy/nginx-acme.test.ts' },
    "curl -si https://data.example.com/demo/mcp | grep -i '^HTTP\\|www-authenticate'": { notRun: PUBLIC_NAME },
    'curl -s https://data.example.com/.well-known/oauth-protected-resource/demo/mcp': { notRun: PUBLIC_NAME },
    'curl -s https://data.example.com/.well-known/oauth-authorization-server': { notRun: PUBLIC_NAME },
    "curl -si http://data.example.com/demo/mcp | grep -i '^HTTP\\|location'": { notRun: PUBLIC_NAME },
    'sqlgate doctor --public-url https://data.example.com': { notRun: 'needs the public host name, its DNS record and a trusted certificate' },
  },
  'kubernetes.md': {
    'kubectl create namespace sqlgate': { notRun: NO_CLUSTER },
    "kubectl -n sqlgate create secret generic sqlgate-secrets --from-literal=analytics-password='…' --from-literal=store-password='…' --from-literal=redis-password='…'": { notRun: NO_CLUSTER },
    'helm install sqlgate deploy/helm/sqlgate -n sqlgate -f values.yaml --wait': { notRun: NO_CLUSTER },
    'kubectl -n sqlgate exec -it deployment/sqlgate -- sqlgate users add admin --all-envs': { notRun: NO_CLUSTER },
    'helm upgrade sqlgate deploy/helm/sqlgate -n sqlgate -f values.yaml --wait': { notRun: NO_CLUSTER },
    'helm history sqlgate -n sqlgate': { notRun: NO_CLUSTER },
    'helm rollback sqlgate <REVISION> -n sqlgate --wait': { notRun: NO_CLUSTER },
  },
};

/** Every command each scenario ran, by page, for the last test. */
const ran = new Map<string, Set<string>>();
const workspaces: RunbookWorkspace[] = [];
afterAll(async () => {
  await Promise.all(workspaces.map((w) => w.remove()));
  removeCompileCache();
});

interface Expected {
  readonly code: number;
  /** Each must match stdout and stderr together. */
  readonly output?: readonly RegExp[];
  readonly absent?: readonly RegExp[];
}

/** A page's commands, run in a workspace of their own; `run` accepts only the page's unmarked commands, as written. */
class Page {
  private readonly commands: Set<string>;

  constructor(readonly name: string, readonly ws: RunbookWorkspace) {
    this.commands = new Set(readShellCommands(path.join(OPERATIONS_DOCS, name)).filter((c) => !c.notRun).map((c) => c.text));
  }

  static async open(name: string, overrides: Record<string, unknown> = {}): Promise<Page> {
    const ws = await RunbookWorkspace.create(overrides);
    workspaces.push(ws);
    return new Page(name, ws);
  }

  /** Runs one command, or several lines in one shell (a variable set by the first used by the next); the exit code is the last one's. */
  async run(command: string | readonly string[], expected: Expected, options: ShellOptions = {}): Promise<ShellResult> {
    const lines = typeof command === 'string' ? [command] : command;
    for (const line of lines) {
      if (!this.commands.has(line)) throw new Error(`${this.name} has no unmarked command ${JSON.stringify(line)}: the page changed, so change this test too`);
    }
    const result = await this.ws.shell(lines.join('\n'), options);
    const context = `${this.name}: ${lines.join(' ; ')}\n${result.output}`;
    expect(result.code, context).toBe(expected.code);
    for (const pattern of expected.output ?? []) expect(result.output, context).toMatch(pattern);
    for (const pattern of expected.absent ?? []) expect(result.output, context).not.toMatch(pattern);
    const done = ran.get(this.name) ?? new Set<string>();
    for (const line of lines) done.add(line);
    ran.set(this.name, done);
    return result;
  }

  /** A setup step that is not one of the page's commands (same shell, same rewriting). */
  async setup(command: string, options: ShellOptions = {}): Promise<ShellResult> {
    const result = await this.ws.shell(command, options);
    expect(result.code, `setup: ${command}\n${result.output}`).toBe(0);
    return result;
  }

  /**
   * A setup command of sqlgate's own, run in this process (as the wrapper would: the service's directory and
   * configuration) to spare a Node start; the pages' own commands always run the built CLI.
   */
  async cli(args: string[], stdin?: string): Promise<{ stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runCli({
      argv: ['node', 'sqlgate', ...args], env: { SQLGATE_CONFIG: this.ws.path('/etc/sqlgate/sqlgate.yaml') }, cwd: this.ws.path('/var/lib/sqlgate'),
      stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t),
      stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]),
    });
    expect(code, `setup: sqlgate ${args.join(' ')}\n${stderr}`).toBe(0);
    return { stdout, stderr };
  }

  async addUser(name: string): Promise<void> {
    await this.cli(['users', 'add', name, '--env', 'demo', '--password-stdin'], TEST_PASSWORD);
  }

  /** A personal access token for `user` on demo: the token and its id. */
  async personalToken(user: string): Promise<{ token: string; id: string }> {
    const created = await this.cli(['tokens', 'create', '--user', user, '--env', 'demo']);
    return { token: created.stdout.trim(), id: /pat_[0-9a-f]+/.exec(created.stderr)![0] };
  }

  /** Signs `user` in through sqlgate's pages with a registered client: its access and refresh tokens. */
  signIn(user: string, password = TEST_PASSWORD) {
    return obtainTokens(this.ws.url, { user, password, resource: `${this.ws.url}/demo/mcp` });
  }

  /** The status of an MCP request with `token` on demo. */
  async mcpStatus(token: string): Promise<number> {
    return (await mcpCall(`${this.ws.url}/demo/mcp`, token, 'tools/list')).status;
  }
}

describe('docs/operations runbooks', () => {
  assertBuilt();

  it.concurrent('deploy.md: configuration, first user, the service, health and readiness', async () => {
    const page = await Page.open('deploy.md');
    await page.run('sqlgate doctor', { code: 0, output: [/demo: OK \(SQLite, read-only\)/, /All 1 environment passed\./] });
    // On a terminal, as an admin types it: asked twice, never echoed.
    await page.run('sqlgate users add alice --env demo', {
      code: 0, output: [/New password: /, /Repeat it: /, /Added user alice: demo \(read\)\./], absent: [new RegExp(TEST_PASSWORD)],
    }, { answers: [[/New password: /, TEST_PASSWORD], [/Repeat it: /, TEST_PASSWORD]] });
    await page.run('sqlgate users list', { code: 0, output: [/alice\s+demo \(read\)/] });
    expect(fs.statSync(page.ws.path('/var/lib/sqlgate/data/sqlgate-state.sqlite')).mode & 0o777).toBe(0o600);

    await page.ws.start();
    await page.run('curl -s http://127.0.0.1:8008/health', { code: 0, output: [/^\{"status":"ok"/, /"demo":\{"dialect":"SQLite","read_only":true,"database":\{"status":"connected"/] });
    await page.run('curl -s http://127.0.0.1:8008/ready', { code: 0, output: [/^\{"status":"ready"/, /"audit_store":\{"status":"ok"/, /"state_store":\{"status":"ok"/] });
    await page.run(`curl -si -H 'Host: data.example.com' http://127.0.0.1:8008/demo/mcp | grep -i '^HTTP\\|www-authenticate'`, {
      code: 0, output: [/^HTTP\/1\.1 401 Unauthorized/m, /^www-authenticate: Bearer resource_metadata="https:\/\/data\.example\.com\/\.well-known\/oauth-protected-resource\/demo\/mcp"/im],
    });
    await page.run(`curl -s http://127.0.0.1:9464/metrics | grep '^sqlgate_build_info'`, { code: 0, output: [/^sqlgate_build_info\{version="\d+\.\d+\.\d+"\} 1$/m] });
    await page.run('sqlgate backup /var/backups/sqlgate/sqlgate-$(date +%F).sqlgate', {
      code: 0, output: [/^Backed up state \(\d+ bytes\) and audit \(\d+ bytes\) to \S+\/var\/backups\/sqlgate\/sqlgate-\d{4}-\d\d-\d\d\.sqlgate/m],
    });
  }, SCENARIO_TIMEOUT_MS);

  it.concurrent('backup.md: sqlgate backup, and restore into a fresh directory and over existing stores', async () => {
    const source = await Page.open('backup.md');
    const target = await Page.open('backup.md');
    await source.addUser('alice');
    await source.run('sqlgate backup /backups/sqlgate-$(date +%F).sqlgate', { code: 0, output: [/^Backed up state \(\d+ bytes\) and audit/m] });
    const [made] = fs.readdirSync(source.ws.path('/backups'));
    fs.copyFileSync(path.join(source.ws.path('/backups'), made!), target.ws.path('/backups/sqlgate-2026-12-07.sqlgate'));
    await target.run('sqlgate restore /backups/sqlgate-2026-12-07.sqlgate', { code: 0, output: [/The state store opens: 1 user\./, /The restored audit trail verifies: \d+ records\./] });
    await target.run('sqlgate restore /backups/sqlgate-2026-12-07.sqlgate --force', { code: 0, output: [/The state store opens: 1 user\./] });
    expect((await target.cli(['users', 'list'])).stdout).toMatch(/alice/);
  }, SCENARIO_TIMEOUT_MS);

  it.concurrent('upgrade.md: back up, a store migrated by a newer version refused, rolled back by the backup', async () => {
    const page = await Page.open('upgrade.md');
    await page.addUser('alice');
    await page.ws.start();
    const version = (await page.run('sqlgate --version', { code: 0, output: [/^\d+\.\d+\.\d+$/m] })).stdout.trim();
    await page.run('curl -s http://127.0.0.1:8008/health | jq -r .version', { code: 0, output: [new RegExp(`^${version.replace(/\./g, '\\.')}$`, 'm')] });
    const schema = Number((await page.run(`sqlite3 /var/lib/sqlgate/data/sqlgate-state.sqlite 'SELECT max(version) FROM sqlgate_schema'`, { code: 0, output: [/^\d+$/m] })).stdout);
    await page.ws.stop();
    await page.run('sqlgate backup /var/backups/sqlgate/before-0.2.0.sqlgate', { code: 0, output: [/^Backed up state/m] });

    // What "0.2.0" does after the upgrade: a user added, and its first start migrates the store one version up.
    await page.addUser('bob');
    await page.setup(`sqlite3 /var/lib/sqlgate/data/sqlgate-state.sqlite "INSERT INTO sqlgate_schema VALUES (${schema + 1}, 'a later sqlgate', '2027-01-01T00:00:00Z')"`);

    const refused = await page.run('sqlgate users list', {
      code: 78, output: [new RegExp(`has schema version ${schema + 1}, newer than this sqlgate knows \\(${schema}\\)\\.`), /Run the sqlgate version that last wrote it, or a newer one\./],
    });
    // The message as upgrade.md shows it, paths aside.
    expect(refused.stderr.replaceAll(page.ws.root, '')).toContain('The state store /var/lib/sqlgate/data/sqlgate-state.sqlite has schema version');
    await page.run('sqlgate backup /var/backups/sqlgate/after-0.2.0.sqlgate', { code: 0, output: [/^Backed up state/m] });
    await page.run('sqlgate restore /var/backups/sqlgate/before-0.2.0.sqlgate --force', {
      code: 0, output: [/The state store opens: 1 user\./, /The restored audit trail verifies: \d+ records\./],
    });
    await page.run('sqlgate users list', { code: 0, output: [/alice/], absent: [/bob/] });
    await page.run('sqlgate audit verify', { code: 0, output: [/each unchanged and in place/] });
    await page.run(`sqlite3 /var/backups/sqlgate/after-0.2.0.sqlgate "SELECT writefile('/var/backups/sqlgate/audit-0.2.0.sqlite', content) FROM parts WHERE name = 'audit'"`, { code: 0 });
    await page.run(`sqlite3 /var/backups/sqlgate/audit-0.2.0.sqlite 'SELECT seq, time, kind, user_name, tool, verdict FROM audit_records ORDER BY seq DESC LIMIT 20'`, {
      code: 0, output: [/\|admin\|bob\|\|allowed$/m],
    });
    await page.ws.start();
    await page.run('curl -s http://127.0.0.1:8008/ready', { code: 0, output: [/^\{"status":"ready"/] });
  }, SCENARIO_TIMEOUT_MS);

  it.concurrent('keys-and-passwords.md: rotated keys leave tokens working; a new database password checked before the restart', async () => {
    const page = await Page.open('keys-and-passwords.md', {
      environments: { analytics: { database: 'sqlite:./data/analytics.sqlite', demo: true, read_only: true, password_file: '/etc/sqlgate/secrets/analytics_password' } },
    });
    fs.copyFileSync(page.ws.path('/var/lib/sqlgate/data/demo.sqlite'), page.ws.path('/var/lib/sqlgate/data/analytics.sqlite'));
    fs.writeFileSync(page.ws.path('/etc/sqlgate/secrets/analytics_password'), 'the old one\n');
    await page.addUser('alice');
    await page.ws.start(['--public-url', page.ws.url]);
    const oauth = await page.signIn('alice');
    const personal = await page.personalToken('alice');
    // A sign-in page opened before the restart, sent after it.
    const browser = new FormBrowser(page.ws.url);
    const signInPage = await browser.open(await authorizeUrl(page.ws.url));
    const uid = /\/interaction\/([^/"]+)\/login"/.exec(signInPage.body)![1]!;

    const jwks = `curl -s http://127.0.0.1:8008/jwks | jq -r '.keys[].kid'`;
    const kids = async () => (await page.run(jwks, { code: 0 })).stdout.trim().split('\n');
    const original = await kids();
    expect(original).toHaveLength(2);
    const first = /New signing keys: (\S+), (\S+)\. Restart/.exec((await page.run('sqlgate keys rotate', { code: 0, output: [/^New signing keys: /] })).stdout)!.slice(1, 3);
    await page.ws.restart();
    expect(await kids()).toEqual([...first, ...original]);
    expect(await page.mcpStatus(oauth.access_token)).toBe(200);
    expect(await page.mcpStatus(personal.token)).toBe(200);
    const refreshed = await postForm(`${page.ws.url}/token`, { grant_type: 'refresh_token', refresh_token: oauth.refresh_token!, client_id: oauth.clientId });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    const stale = await browser.open(`${page.ws.url}/interaction/${uid}/login`, { csrf: csrfOf(signInPage.body), username: 'alice', password: TEST_PASSWORD });
    expect(stale.status).toBe(403);
    expect(stale.body).toContain('The form is missing its security token or it does not match. Reload the page and try again.');
    const reloaded = await browser.open(signInPage.url);
    const retried = await browser.open(`${page.ws.url}/interaction/${uid}/login`, { csrf: csrfOf(reloaded.body), username: 'alice', password: TEST_PASSWORD });
    expect(retried.body).toContain('Allow access?');

    await page.run('sqlgate keys rotate', { code: 0 });
    await page.ws.restart();
    const second = await kids();
    expect(second.slice(2)).toEqual(first);
    expect(second.some((kid) => original.includes(kid))).toBe(false);
    expect(await page.mcpStatus(refreshed.body.access_token as string)).toBe(200);

    await page.run(['NEW_PASSWORD=$(openssl rand -hex 24)', `printf '%s\\n' "$NEW_PASSWORD" | sudo tee /etc/sqlgate/secrets/analytics_password >/dev/null`], { code: 0 });
    expect(fs.readFileSync(page.ws.path('/etc/sqlgate/secrets/analytics_password'), 'utf8')).toMatch(/^[0-9a-f]{48}\n$/);
    await page.run('sqlgate doctor --env analytics', { code: 0, output: [/^analytics: OK/m, /connection {4}connected/] });
    await page.run('sqlgate users list', { code: 0, output: [/alice/] });
  }, SCENARIO_TIMEOUT_MS);

  it.concurrent('revoke-access.md: grants, personal tokens, sign-out, password and removal stop at once', async () => {
    const page = await Page.open('revoke-access.md');
    await page.addUser('alice');
    await page.ws.start(['--public-url', page.ws.url]);
    const first = await page.signIn('alice');
    const personal = await page.personalToken('alice');
    const grants = JSON.parse((await page.cli(['grants', 'list', '--user', 'alice', '--json'])).stdout) as { grants: { id: string }[] };
    page.ws.ids.set('Gk3xV0r8zq2NwYl5dT1aP', grants.grants[0]!.id);
    page.ws.ids.set('pat_3f9c2a71b0de', personal.id);
    const stream = await openSse(page.ws.url, first.access_token);

    await page.run('sqlgate grants list --user alice', { code: 0, output: [new RegExp(grants.grants[0]!.id), /\/demo\/mcp \(sql:read\)/] });
    await page.run('sqlgate grants revoke Gk3xV0r8zq2NwYl5dT1aP', { code: 0, output: [/^Revoked grant \S+ \(\d+ record\(s\): the grant and its tokens\)\./] });
    const refused = await mcpCall(`${page.ws.url}/demo/mcp`, first.access_token, 'tools/list');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token", error_description="The access token is unknown, expired or revoked."');
    expect((await postForm(`${page.ws.url}/token`, { grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: first.clientId })).body.error).toBe('invalid_grant');
    expect(await page.mcpStatus(personal.token)).toBe(200);
    // The open SSE stream stays, but nothing more runs through it.
    expect((await fetch(`${page.ws.url}${stream.endpoint}`, { method: 'POST', headers: { authorization: `Bearer ${first.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) })).status).toBe(401);
    expect(await stream.isOpen()).toBe(true);
    await stream.close();

    await page.run('sqlgate tokens list --user alice', { code: 0, output: [new RegExp(`${personal.id}\\s+alice\\s+demo\\s+read.*active`)] });
    await page.run('sqlgate tokens revoke pat_3f9c2a71b0de', { code: 0, output: [new RegExp(`^Revoked personal access token ${personal.id}\\.`, 'm')] });
    expect(await page.mcpStatus(personal.token)).toBe(401);

    const second = await page.signIn('alice');
    const kept = await page.personalToken('alice');
    await page.run('sqlgate users signout alice', { code: 0, output: [/^Signed alice out everywhere \([1-9]\d* OAuth record\(s\) revoked\)\./m] });
    expect(await page.mcpStatus(second.access_token)).toBe(401);
    expect(await page.mcpStatus(kept.token)).toBe(200);

    const third = await page.signIn('alice');
    await page.run('sqlgate users passwd alice', { code: 0, output: [/Changed the password of alice/], absent: [new RegExp(NEW_PASSWORD)] }, {
      answers: [[/New password: /, NEW_PASSWORD], [/Repeat it: /, NEW_PASSWORD]],
    });
    expect(await page.mcpStatus(third.access_token)).toBe(401);
    await expect(page.signIn('alice')).rejects.toThrow();
    expect(await page.mcpStatus((await page.signIn('alice', NEW_PASSWORD)).access_token)).toBe(200);

    await page.run('sqlgate users remove alice', { code: 0, output: [/^Removed user alice; revoked \d+ OAuth record\(s\)/m] });
    await page.run('sqlgate users list', { code: 0, absent: [/alice/] });
    expect(await page.mcpStatus(kept.token)).toBe(401);
    await page.run('sqlgate audit list --kind admin --since 1h', { code: 0, output: [/grants revoke/, /tokens revoke/, /users signout/, /users passwd/, /users remove/] });
  }, SCENARIO_TIMEOUT_MS);

  it.concurrent('troubleshooting.md: the checks, on a server with an over-privileged login and Redis down', async ({ expect }) => {
    const redisUrl = `redis://127.0.0.1:${await freePort()}/0`; // nothing listens there
    const page = await Page.open('troubleshooting.md', {
      environments: { analytics: { database: 'sqlite:./data/analytics.sqlite', read_only: true } },
      limits: { store: redisUrl },
    });
    fs.copyFileSync(page.ws.path('/var/lib/sqlgate/data/demo.sqlite'), page.ws.path('/var/lib/sqlgate/data/analytics.sqlite'));
    const certificate = (subject: string, file: string) => `mkdir -p "$(dirname ${file})" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj '${subject}' -days 30 -out ${file} 2>/dev/null`;
    await page.setup(certificate('/CN=Example internal CA', '/etc/sqlgate/sqlserver-ca.pem'));
    await page.setup(certificate('/CN=data.example.com', '/etc/letsencrypt/live/data.example.com/fullchain.pem'));
    await page.addUser('alice');
    await page.ws.start();
    // The test's own expect: a global expect.poll() in a concurrent test may not find which test it belongs to.
    await expect.poll(() => page.ws.serverOutput(), { timeout: 10_000 }).toContain('!!! LIMITS STORE UNREACHABLE');
    expect(page.ws.serverOutput()).toContain('!!! LEAST PRIVILEGE: read-only environment \\"analytics\\" is served by login');

    await page.run('curl -s http://127.0.0.1:8008/ready', { code: 0, output: [/^\{"status":"ready"/] });
    await page.run(`curl -s http://127.0.0.1:8008/health | jq '.environments'`, { code: 0, output: [/"analytics": \{/, /"demo": \{/] });
    await page.run('sqlgate doctor', { code: 1, output: [/^analytics: FAIL/m, /^demo: OK/m, /1 of 2 environments failed the check\./] });
    await page.run(`curl -s http://127.0.0.1:9464/metrics | grep -E '^sqlgate_(tool_calls_total|audit_write_duration_seconds_count|db_pool_)'`, { code: 0, output: [/^sqlgate_db_pool_max_connections\{environment="demo"\} 5$/m] });
    await page.run(`curl -si -H 'Host: data.example.com' http://127.0.0.1:8008/demo/mcp | grep -i '^HTTP\\|www-authenticate'`, { code: 0, output: [/^HTTP\/1\.1 401/m, /resource_metadata="https:\/\/data\.example\.com\//] });
    await page.run('curl -s http://127.0.0.1:8008/.well-known/oauth-authorization-server | jq -r .issuer', { code: 0, output: [/^https:\/\/data\.example\.com$/m] });
    await page.run('openssl x509 -in /etc/sqlgate/sqlserver-ca.pem -noout -subject -enddate', { code: 0, output: [/^subject=CN ?= ?Example internal CA$/m, /^notAfter=/m] });
    await page.run('openssl x509 -in /etc/letsencrypt/live/data.example.com/fullchain.pem -noout -enddate', { code: 0, output: [/^notAfter=/m] });
    await page.run([
      'TOKEN=$(sqlgate tokens create --user alice --env demo --ttl 1h --description "stream check")',
      'curl -sN --max-time 5 -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8008/demo/sse',
    ], { code: 28, output: [/^event: endpoint\ndata: \/demo\/messages\?sessionId=[0-9a-f-]+$/m] });
    await page.run('sqlgate doctor --env analytics', { code: 1, output: [/^analytics: FAIL \(SQLite, read-only\)$/m, /^ {2}can write {5}yes$/m, /read-only, but its login can write/] });
    await page.run('redis-cli -u "$REDIS_URL" ping', { code: 1, output: [/Could not connect to Redis/] }, { env: { REDIS_URL: redisUrl } });
    await page.run('df -h /var/lib/sqlgate', { code: 0, output: [/^Filesystem/m] });
    await page.run('du -sh /var/lib/sqlgate/data/* /var/backups/sqlgate', { code: 0, output: [/data\/sqlgate-audit\.sqlite$/m, /var\/backups\/sqlgate$/m] });
    await page.run('ls -l /var/lib/sqlgate/data', { code: 0, output: [/^-rw------- .* sqlgate-state\.sqlite$/m] });
    await page.run('sqlgate audit verify', { code: 0, output: [/each unchanged and in place/] });
    await page.run('sqlgate audit list --verdict failed --since 1h', { code: 0 });
    await page.run(`curl -s http://127.0.0.1:9464/metrics | grep '^sqlgate_db_pool'`, { code: 0, output: [/^sqlgate_db_pool_waiting_requests\{environment="analytics"\} 0$/m] });
  }, SCENARIO_TIMEOUT_MS);

  it('every command of docs/operations is run, run by another test file, or marked as not run', () => {
    const problems: string[] = [];
    for (const file of fs.readdirSync(OPERATIONS_DOCS).filter((f) => f.endsWith('.md')).sort()) {
      const commands = readShellCommands(path.join(OPERATIONS_DOCS, file));
      const declared = DECLARED[file] ?? {};
      const unmarked = new Set(commands.filter((c) => !c.notRun).map((c) => c.text));
      for (const command of commands.filter((c) => !c.notRun)) {
        const declaration = declared[command.text];
        if (ran.get(file)?.has(command.text)) continue;
        if (declaration && 'notRun' in declaration) continue;
        if (declaration && 'runBy' in declaration) {
          const testFile = path.join(REPO_ROOT, declaration.runBy);
          const source = fs.existsSync(testFile) ? fs.readFileSync(testFile, 'utf8') : undefined;
          const missing = source === undefined ? [declaration.runBy] : programsAndOptions(command.text).filter((word) => !source.includes(word));
          if (missing.length > 0) problems.push(`${file}:${command.line}: declared as run by ${declaration.runBy}, which lacks ${missing.join(', ')}: ${command.text}`);
          continue;
        }
        problems.push(`${file}:${command.line}: not run by the tests and not marked "not run by the tests: <reason>" (or did its scenario fail?): ${command.text}`);
      }
      for (const text of Object.keys(declared)) {
        if (!unmarked.has(text)) problems.push(`${file}: declared in this test, but not an unmarked command of the page (any more): ${text}`);
        else if (ran.get(file)?.has(text)) problems.push(`${file}: declared in this test, but a scenario runs it: ${text}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

/** An authorization URL for demo with a freshly registered public client (PKCE). */
async function authorizeUrl(base: string): Promise<string> {
  const redirectUri = 'http://127.0.0.1:8765/callback';
  const registration = await postJson(`${base}/register`, { client_name: 'runbook test', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] });
  const query = new URLSearchParams({
    response_type: 'code', client_id: registration.body.client_id as string, redirect_uri: redirectUri, state: 's',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', resource: `${base}/demo/mcp`,
  });
  return `${base}/authorize?${query}`;
}

/** A legacy SSE stream (GET /demo/sse): its message endpoint, and whether it is still open. */
async function openSse(base: string, token: string): Promise<{ endpoint: string; isOpen(): Promise<boolean>; close(): Promise<void> }> {
  const response = await fetch(`${base}/demo/sse`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
  const reader = response.body!.getReader();
  let text = '';
  while (!/data: (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the SSE stream ended: ${text}`);
    text += new TextDecoder().decode(value);
  }
  const endpoint = /data: (\S+)/.exec(text)![1]!;
  let ended = false;
  const pending = (async () => {
    for (;;) if ((await reader.read()).done) return void (ended = true);
  })().catch(() => void (ended = true));
  return {
    endpoint,
    isOpen: async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      return !ended;
    },
    close: async () => {
      await reader.cancel().catch(() => undefined);
      await pending;
    },
  };
}
