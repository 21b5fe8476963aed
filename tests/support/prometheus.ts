/**
 * Debian's Prometheus for the metrics tests: `promtool check metrics` on sqlgate's real output, and a real
 * `prometheus` server that scrapes a running sqlgate (CI installs the `prometheus` package with apt, see .ci/run).
 * Also a reader of the Prometheus text format, so tests assert on samples rather than on substrings.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './start-app.js';

export const PROMTOOL = '/usr/bin/promtool';
export const PROMETHEUS = '/usr/bin/prometheus';

/** Said once per test file, however many tests skip. */
let hasWarned = false;

/**
 * Whether promtool and prometheus are here. In CI they must be (a missing one fails the run); elsewhere their tests
 * skip, loudly, so that nobody mistakes a skipped run for a passing one.
 */
export function hasPrometheusTools(): boolean {
  const missing = [PROMTOOL, PROMETHEUS].filter((file) => !fs.existsSync(file));
  if (missing.length === 0) return true;
  const message = `Prometheus metrics tests need ${missing.join(' and ')} (Debian package "prometheus"): install it with \`apt-get install -y --no-install-recommends prometheus\` (.ci/run does).`;
  if (process.env.CI) throw new Error(message);
  if (!hasWarned) console.warn(`\n!!! SKIPPED: ${message}\n`);
  hasWarned = true;
  return false;
}

/** Runs `promtool check metrics` over `text`; resolves with its exit code and what it printed. */
export function promtoolCheckMetrics(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** One sample's value from Prometheus text: the series `name` whose labels include `labels`; undefined when none. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** A scrape job: its name, the target `host:port`, and the bearer token to send (none: no Authorization header). */
export interface ScrapeJob {
  readonly name: string;
  readonly target: string;
  readonly token?: string;
}

export interface RunningPrometheus {
  readonly url: string;
  /** Runs an instant query through the HTTP API; resolves with its result vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** The scrape targets' health as Prometheus reports it (for failure messages). */
  targets(): Promise<unknown>;
  output(): string;
  stop(): Promise<void>;
}

/** Starts Debian's prometheus on a free loopback port, scraping `jobs` every second, with its data in a temp folder. */
export async function startPrometheus(jobs: readonly ScrapeJob[]): Promise<RunningPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-prometheus-'));
  const scrapeConfigs = jobs.map((job) => [
    `  - job_name: ${JSON.stringify(job.name)}`,
    '    scrape_interval: 1s',
    '    scrape_timeout: 1s',
    ...(job.token ? ['    authorization:', '      type: Bearer', `      credentials: ${JSON.stringify(job.token)}`] : []),
    '    static_configs:',
    `      - targets: [${JSON.stringify(job.target)}]`,
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${scrapeConfigs.join('\n')}\n`);
  const port = await freePort();
  const child = spawn(PROMETHEUS, [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const record = (chunk: Buffer) => void (output = (output + chunk.toString('utf8')).slice(-64 * 1024));
  child.stdout.on('data', record);
  child.stderr.on('data', record);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, 30_000, () => `prometheus did not become ready:\n${output}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
      if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
      return body.data!.result;
    },
    targets: async () => (await (await fetch(`${url}/api/v1/targets`)).json()),
    output: () => output,
    stop,
  };
}

/** Polls `check` every 250 ms until it holds, or fails after `timeoutMs` with `describe()`'s message. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, describe: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(await describe());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
