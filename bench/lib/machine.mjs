/**
 * What the results were measured on and with: the machine, the versions, the code's commit, the CPU use before
 * the run, and the demo generation time (timed in the benchmark process, no server involved).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuDelta, cpuPercent, cpuSnapshot } from './cpu.mjs';
import { sleep } from './procs.mjs';

export async function machineInfo(root) {
  const cpus = os.cpus();
  const versionModule = await import(pathToFileURL(path.join(root, 'dist', 'version.js')).href).catch(() => ({}));
  const sqlgateVersion = versionModule.SQLGATE_VERSION ?? JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const info = {
    nproc: os.availableParallelism(),
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    totalMemGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    sqlgate: sqlgateVersion,
    os: `${os.type()} ${os.release()}`,
  };
  info.summary = `sqlgate ${info.sqlgate}, Node ${info.node}, ${info.nproc} CPUs (${info.cpuModel}), ${info.totalMemGiB.toFixed(0)} GiB`;
  return info;
}

/** Which code was measured: the commit, and whether src/ differs from it (others may be editing it). Read-only. */
export function gitState(root) {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `git ${commit}${changed ? ', built with uncommitted changes in src/' : ''}`;
  } catch {
    return null;
  }
}

/** What the machine does without us, over one second. */
export async function backgroundCpu(ownGroups) {
  const before = cpuSnapshot(ownGroups);
  await sleep(1_000);
  return cpuPercent([cpuDelta(before, cpuSnapshot(ownGroups))]);
}

export async function postgresVersion(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return `PostgreSQL ${(await client.query('SHOW server_version')).rows[0].server_version}`;
  } finally {
    await client.end();
  }
}

export async function sqliteVersion() {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(':memory:');
  try {
    return `SQLite ${db.prepare('SELECT sqlite_version() AS v').get().v}`;
  } finally {
    db.close();
  }
}

/** ensureDemoDatabase from dist/, into fresh temporary directories; the first run is the cold one. */
export async function timeDemo(root, runs) {
  const { ensureDemoDatabase } = await import(pathToFileURL(path.join(root, 'dist', 'demo', 'ensure-demo.js')).href);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-bench-demo-'));
  const times = [];
  let bytes = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const file = path.join(dir, `demo-${i}.sqlite`);
      const t = performance.now();
      const created = await ensureDemoDatabase(file);
      times.push(performance.now() - t);
      if (!created) throw new Error(`ensureDemoDatabase did not create ${file}`);
      bytes = fs.statSync(file).size;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { runs: times, bytes };
}
