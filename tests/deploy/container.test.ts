/**
 * The container image, built and run for real: deploy/build-image.sh builds deploy/Dockerfile with podman (from a
 * local Debian base, no container registry), then the image serves the demo from a container (runc, host network,
 * read-only root filesystem, a host directory as the /data volume) and answers an MCP client.
 *
 * Needs podman, runc and mmdebstrap (.ci/run installs them). Without them the file is skipped with a loud line,
 * except in CI (CI=true), where it fails. A cold build (no base, no layers, no npm cache) takes about three minutes;
 * with the layers cached, 13 s unchanged and about 25 s after a change in src/. The image is kept, so the next run
 * is warm; the container and its /data directory are removed.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const IMAGE = 'localhost/sqlgate:container-test';
const CONTAINER = `sqlgate-container-test-${process.pid}`;
/** The image's fixed user (deploy/Dockerfile). */
const SQLGATE_UID = 10001;
const BUILD_TIMEOUT_MS = 330_000;

const REQUIRED_COMMANDS = ['podman', 'runc', 'mmdebstrap'];
const missingCommands = REQUIRED_COMMANDS.filter((name) => spawnSync('sh', ['-c', `command -v ${name}`]).status !== 0);
const isCi = process.env.CI === 'true';
const isSkipped = missingCommands.length > 0 && !isCi;
if (isSkipped) {
  console.warn(
    `\n!!! Container image test SKIPPED: ${missingCommands.join(', ')} not installed. On Debian: apt-get install podman buildah runc mmdebstrap uidmap fuse-overlayfs (CI fails here instead of skipping).\n`,
  );
}

const execFileAsync = promisify(execFile);

/** Runs a command; on failure, the error names it and carries the end of its output. */
async function run(command: string, args: readonly string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd: options.cwd ?? REPO_ROOT, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    const output = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim().slice(-6_000);
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message.split('\n')[0]}\n${output}`);
  }
}

/** podman with runc: crun fails on the cgroups of the kernels we build on. */
const podman = (...args: string[]) => run('podman', ['--runtime', 'runc', ...args]);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function containerLogs(): Promise<string> {
  return (await podman('logs', CONTAINER).catch((err: Error) => err.message)).slice(-4_000);
}

/** Polls /health until it answers 200, failing early (with the logs) when the container stops. */
async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    if (response?.ok) return;
    const isRunning = (await podman('inspect', '--format', '{{.State.Running}}', CONTAINER)).trim();
    if (isRunning !== 'true') throw new Error(`the container stopped before ${url} answered:\n${await containerLogs()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${await containerLogs()}`);
}

describe.skipIf(isSkipped)('container image (deploy/Dockerfile, podman)', () => {
  let dataDir: string;
  let baseUrl: string;

  // A failed build or start fails every test with its error, rather than only the hook: the run's closing
  // "Tests: … failed" line counts tests, so a hook failure alone would read as "0 failed, 5 skipped".
  let setupError: unknown;
  const assertSetUp = () => {
    if (setupError !== undefined) throw setupError;
  };

  beforeAll(async () => {
    try {
      await setUp();
    } catch (err) {
      setupError = err;
    }
  }, BUILD_TIMEOUT_MS + 90_000);

  async function setUp(): Promise<void> {
    if (missingCommands.length > 0) {
      throw new Error(`CI must run the container image test, but these are not installed: ${missingCommands.join(', ')} (.ci/run installs them).`);
    }
    const started = Date.now();
    await run('bash', ['deploy/build-image.sh', '--tag', IMAGE], { timeoutMs: BUILD_TIMEOUT_MS });
    console.info(`container image built in ${Math.round((Date.now() - started) / 1000)} s`);

    // The /data volume: a host directory the image's user can write, so the test can see what lands there.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-container-'));
    if (process.getuid?.() === 0) fs.chownSync(dataDir, SQLGATE_UID, SQLGATE_UID);
    else fs.chmodSync(dataDir, 0o777);

    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    await podman('rm', '--force', '--volumes', CONTAINER).catch(() => undefined);
    await podman(
      'run', '--detach', '--name', CONTAINER,
      '--network', 'host', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
      '--read-only', '--volume', `${dataDir}:/data`,
      '--env', `SQLGATE_HEALTHCHECK_URL=${baseUrl}/health`,
      IMAGE,
      // The README's quick try: the demo without sign-in, which sqlgate allows on loopback only.
      'serve', '--host', '127.0.0.1', '--port', String(port), '--auth', 'none',
    );
    await waitForHealth(`${baseUrl}/health`, 60_000);
  }

  afterAll(async () => {
    if (isSkipped) return;
    await podman('rm', '--force', '--volumes', '--time', '0', CONTAINER).catch(() => undefined);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('answers execute_sql over MCP from the demo database it made on the /data volume', async () => {
    assertSetUp();
    const client = new Client({ name: 'sqlgate-container-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/demo/mcp`)));
    try {
      const result = await client.callTool({ name: 'execute_sql', arguments: { query: "SELECT COUNT(*) AS n FROM customers WHERE state = 'CA'" } });
      // The demo's data ends when it is made, so compare with the file the container wrote on the volume.
      const file = new Database(path.join(dataDir, 'demo.sqlite'), { readonly: true });
      const expected = file.prepare("SELECT COUNT(*) FROM customers WHERE state = 'CA'").pluck().get() as number;
      file.close();
      expect(expected).toBeGreaterThan(300);
      expect(result.structuredContent).toMatchObject({ rows: [[expected]], row_count: 1, truncated: false });
    } finally {
      await client.close();
    }
  });

  it('runs as the unprivileged user 10001, which owns the state it writes', async () => {
    assertSetUp();
    expect((await podman('image', 'inspect', '--format', '{{.Config.User}}', IMAGE)).trim()).toBe(`${SQLGATE_UID}:${SQLGATE_UID}`);
    expect((await podman('exec', CONTAINER, 'id', '-u')).trim()).toBe(String(SQLGATE_UID));
    // The demo and the audit trail (no state store here: sign-in is off).
    for (const name of ['demo.sqlite', 'sqlgate-audit.sqlite']) {
      const stat = fs.statSync(path.join(dataDir, name));
      if (process.getuid?.() === 0) expect(stat.uid, name).toBe(SQLGATE_UID);
    }
  });

  it('declares a HEALTHCHECK (kept by the docker format) that passes against the running server', async () => {
    assertSetUp();
    const healthcheck = JSON.parse(await podman('image', 'inspect', '--format', '{{json .Config.Healthcheck}}', IMAGE)) as { Test?: string[] } | null;
    expect(healthcheck?.Test).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
    await podman('healthcheck', 'run', CONTAINER); // exits non-zero when unhealthy
    expect((await podman('inspect', '--format', '{{.State.Health.Status}}', CONTAINER)).trim()).toBe('healthy');
  });

  it('has no .env, sqlgate.yaml, npmrc or key in any layer, and no build secret in its history or environment', async () => {
    assertSetUp();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-image-layers-'));
    try {
      // Every layer, not the merged filesystem: a secret added in one layer and deleted in a later one still ships.
      await podman('save', '--format', 'docker-archive', '--output', path.join(work, 'image.tar'), IMAGE);
      await run('tar', ['-xf', 'image.tar'], { cwd: work });
      const manifest = JSON.parse(fs.readFileSync(path.join(work, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
      const files: string[] = [];
      for (const layer of manifest[0]!.Layers) files.push(...(await run('tar', ['-tf', layer], { cwd: work })).split('\n').filter(Boolean));
      expect(files).toContain('app/dist/main.js');
      const secrets = files.filter((f) => /(^|\/)(\.env(\..*)?|sqlgate\.ya?ml|\.npmrc|[^/]+\.pem|[^/]+\.key|id_rsa[^/]*)$/.test(f));
      expect(secrets).toEqual([]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    const history = await podman('history', '--no-trunc', '--format', '{{.CreatedBy}}', IMAGE);
    expect(history).not.toMatch(/npmrc|NPM_CONFIG_REGISTRY|_authToken/i);
    const env = JSON.parse(await podman('image', 'inspect', '--format', '{{json .Config.Env}}', IMAGE)) as string[];
    expect(env.filter((e) => /npm|token|password|secret/i.test(e))).toEqual([]);
  });

  it('stops cleanly on SIGTERM (tini forwards it; sqlgate drains and exits 0)', async () => {
    assertSetUp();
    const started = Date.now();
    await podman('stop', '--time', '20', CONTAINER);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await podman('inspect', '--format', '{{.State.ExitCode}}', CONTAINER)).trim()).toBe('0');
  });
});
