/**
 * `npm run soak` (issue 10, "Keep"; not part of CI): the built sqlgate under steady load for minutes, with a
 * PostgreSQL outage in the middle. Prints a Markdown section; `--record` also puts it into bench/RESULTS.md.
 *
 *   npm run soak                                  # 100 clients, 10 minutes (about 12 minutes in all)
 *   npm run soak -- --minutes 0.5 --clients 20    # a short run while developing
 *   options: --down-seconds 5 (0: one `restart`), --pg-cluster 15/main, --pg-url postgres://postgres@127.0.0.1:5432/postgres
 *            (or SOAK_PG_URL), --rss-every-seconds 5, --think-ms 0, --record
 *
 * Setup: a scratch database `sqlgate_soak` (20,000 customers, 400,000 orders; dropped at the end, with its
 * SELECT-only login `sqlgate_soak_reader`), a config under bench/.work/soak/ with two read-only environments, `pg`
 * and `demo` (the generated SQLite demo), OAuth on, and personal access tokens made with the CLI
 * (`users add`, `tokens create`). Then `node dist/main.js serve` runs as its own process group.
 *
 * Load: N clients in this one process, each a closed loop of `tools/call` POSTs with plain fetch (stateless
 * Streamable HTTP, no initialize), bound to one environment (alternating) and one token, drawing the tool and its
 * arguments from a seeded PRNG. A call succeeds when it is HTTP 200 with a result that is not `isError` and has
 * `structuredContent`; anything else is a failure with a code (the SG_* code, `HTTP <status>`, `JSON-RPC <code>`,
 * `FETCH_FAILED <errno>`, `CLIENT_TIMEOUT`), and the client pauses 250 ms before its next call.
 *
 * Outage: at half time `pg_ctlcluster <version> <cluster> stop`, --down-seconds of nothing, `start`, then this
 * process polls until PostgreSQL answers. The outage window runs from issuing `stop` to that first answer; a failed
 * call is inside it when the two overlap. Only failures of the `pg` environment inside the window are expected:
 * any other failure (the demo never touches PostgreSQL) fails the run.
 *
 * Memory: VmRSS of the server and of its descendants (its SQLite connection processes) every --rss-every-seconds.
 * Flat after warm-up means the last third's highest sample is within 10 % of the second third's; the first third
 * is warm-up (JIT, caches, pools). Growth beyond that fails the run, as does the server exiting before the end.
 *
 * CPU: per-process ticks from /proc over the load: sqlgate's process group, this process (the clients) and the
 * PostgreSQL backends of sqlgate_soak; the rest of the machine's busy time is other people's work. This process's
 * share and its event-loop delay show whether the load generator stayed light next to the server.
 *
 * One file on purpose: tsconfig.json type-checks bench/ but does not allow `.ts` import paths, and Node runs this
 * file by stripping its types, so a second .ts module could not be imported by both. It stays in the erasable
 * subset of TypeScript (no enums, no parameter properties) for the same reason. Artifacts of the last run stay in
 * bench/.work/soak/ (soak-last.md, rss.csv, failures.json, server-output.log).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = path.join(ROOT, 'bench', '.work', 'soak');
const SQLGATE = path.join(ROOT, 'dist', 'main.js');
const SCRATCH_DB = 'sqlgate_soak';
const READER_ROLE = 'sqlgate_soak_reader'; // served as deployed: a login with SELECT only, not the superuser
const TOKENS_PER_ENV = 4;
const ERROR_BACKOFF_MS = 250; // a client that got an error waits this long, so an outage is not a busy loop
/**
 * sqlgate's own bounds add up to 45 s (pool.acquire_timeout 5 s + connect_timeout 10 s + statement_timeout 30 s),
 * so a call still unanswered after this has hung: CLIENT_TIMEOUT is never an expected failure, not even in the outage.
 */
const CALL_TIMEOUT_MS = 60_000;
const METRICS_TOKEN = 'soak-metrics-token-that-is-long-enough-0123456789';
const RSS_GROWTH_LIMIT = 0.1;
const run = promisify(execFile);

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    clients: { type: 'string', default: '100' },
    'pg-url': { type: 'string', default: process.env.SOAK_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'pg-cluster': { type: 'string', default: '15/main' },
    'down-seconds': { type: 'string', default: '5' },
    'rss-every-seconds': { type: 'string', default: '5' },
    'think-ms': { type: 'string', default: '0' },
    record: { type: 'boolean', default: false },
  },
});
const settings = {
  durationMs: Number(flags.minutes) * 60_000,
  clients: Math.trunc(Number(flags.clients)),
  pgAdminUrl: flags['pg-url'],
  cluster: flags['pg-cluster'].split('/') as [string, string],
  downMs: Number(flags['down-seconds']) * 1000,
  rssEveryMs: Number(flags['rss-every-seconds']) * 1000,
  thinkMs: Number(flags['think-ms']),
  record: flags.record,
};
if (!(settings.durationMs > 0 && settings.clients > 0 && settings.downMs >= 0 && settings.rssEveryMs > 0 && settings.cluster.length === 2)) {
  throw new Error('usage: node bench/soak.ts [--minutes 10] [--clients 100] [--down-seconds 5] [--pg-cluster 15/main] [--pg-url URL] [--rss-every-seconds 5] [--think-ms 0] [--record]');
}
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// --- the workload ---------------------------------------------------------------------------------------------

type Env = 'pg' | 'demo';
type Tool = 'list_tables' | 'describe_table' | 'get_table_sample' | 'execute_sql';
const ENVS: readonly Env[] = ['pg', 'demo'];
const TOOL_MIX: ReadonlyArray<[Tool, number]> = [['execute_sql', 0.5], ['get_table_sample', 0.2], ['describe_table', 0.15], ['list_tables', 0.15]];
const TABLES: Record<Env, readonly string[]> = { pg: ['customers', 'orders'], demo: ['customers', 'orders', 'products', 'order_items', 'payment_transactions', 'regions'] };
/** Varied literals give thousands of distinct statements, so the gate's verdict cache (1,000 entries) keeps evicting. */
const QUERIES: Record<Env, ReadonlyArray<(n: (max: number) => number) => string>> = {
  pg: [
    (n) => { const d = n(540); return `SELECT status, count(*) AS orders, sum(amount) AS revenue FROM orders WHERE ordered_at >= date '2024-01-01' + ${d} AND ordered_at < date '2024-01-01' + ${d + 1} GROUP BY status ORDER BY status`; },
    (n) => `SELECT o.order_id, o.status, o.amount, o.ordered_at, c.name, c.country FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE o.customer_id = ${n(20_000)} ORDER BY o.ordered_at DESC LIMIT 20`,
    () => 'SELECT country, segment, count(*) AS customers FROM customers GROUP BY country, segment ORDER BY customers DESC',
    (n) => `SELECT * FROM customers WHERE customer_id = ${n(20_000)}`,
  ],
  demo: [
    (n) => `SELECT status, COUNT(*) AS orders, ROUND(SUM(total_amount), 2) AS revenue FROM orders WHERE customer_id = ${n(2_000)} GROUP BY status`,
    (n) => { const o = n(5_000); return `SELECT p.category, SUM(oi.quantity) AS units FROM order_items oi JOIN products p ON p.product_id = oi.product_id WHERE oi.order_id BETWEEN ${o} AND ${o + 50} GROUP BY p.category ORDER BY units DESC`; },
    () => 'SELECT r.name AS region, COUNT(*) AS customers FROM customers c JOIN regions r ON r.region_id = c.region_id GROUP BY r.name',
    (n) => `SELECT * FROM products WHERE product_id = ${n(100)}`,
  ],
};

/** A seeded PRNG (mulberry32), so every run sends the same sequence of calls. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function nextCall(env: Env, random: () => number): { tool: Tool; args: Record<string, unknown> } {
  const n = (max: number) => 1 + Math.floor(random() * max);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  let r = random();
  const tool = TOOL_MIX.find(([, weight]) => (r -= weight) < 0)?.[0] ?? 'execute_sql';
  if (tool === 'list_tables') return { tool, args: {} };
  if (tool === 'describe_table') return { tool, args: { table: pick(TABLES[env]) } };
  if (tool === 'get_table_sample') return { tool, args: { table: pick(TABLES[env]), limit: n(20) } };
  return { tool, args: { query: pick(QUERIES[env])(n) } };
}

// --- one MCP call: plain fetch, stateless Streamable HTTP (no initialize), as tests/support/oauth-client.ts ------

interface Outcome { ok: boolean; code: string; message: string }

async function callTool(url: string, token: string, id: number, tool: Tool, args: Record<string, unknown>): Promise<Outcome> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: args } }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { ok: false, code: e.name === 'TimeoutError' ? 'CLIENT_TIMEOUT' : `FETCH_FAILED ${e.cause?.code ?? e.name}`, message: e.cause?.message ?? e.message };
  }
  const data = text.startsWith('{') ? text : /^data: (.*)$/m.exec(text)?.[1];
  let body: any;
  try {
    body = data ? JSON.parse(data) : undefined;
  } catch {
    body = undefined;
  }
  if (response.status !== 200) return { ok: false, code: `HTTP ${response.status}${typeof body?.error === 'string' ? ` ${body.error}` : ''}`, message: text.slice(0, 300) };
  if (body?.error) return { ok: false, code: `JSON-RPC ${body.error.code}`, message: String(body.error.message).slice(0, 300) };
  const result = body?.result;
  if (result?.isError) {
    const message = String(result.content?.[0]?.text ?? '');
    return { ok: false, code: /^[A-Z][A-Z_]+/.exec(message)?.[0] ?? 'TOOL_ERROR', message: message.slice(0, 300) };
  }
  if (!result?.structuredContent) return { ok: false, code: 'BAD_RESULT', message: text.slice(0, 300) };
  return { ok: true, code: '', message: '' };
}

// --- what the clients record -------------------------------------------------------------------------------------

interface Failure { env: Env; tool: Tool; startMs: number; endMs: number; code: string; message: string }
const latencies = new Map<string, number[]>(); // `${env} ${tool}` → ms of successful calls
const okPerSecondByEnv: Record<Env, number[]> = { pg: [], demo: [] }; // successful calls completed in each second of the load
const failures: Failure[] = [];

async function client(index: number, baseUrl: string, tokens: Record<Env, string[]>, t0: number, deadline: { at: number }): Promise<void> {
  const env = ENVS[index % ENVS.length] as Env;
  const token = tokens[env][Math.floor(index / ENVS.length) % TOKENS_PER_ENV] as string;
  const url = `${baseUrl}/${env}/mcp`;
  const random = prng(index + 1);
  for (let id = 1; performance.now() < deadline.at; id++) {
    const { tool, args } = nextCall(env, random);
    const started = performance.now();
    const outcome = await callTool(url, token, id, tool, args);
    const ended = performance.now();
    if (outcome.ok && ended > deadline.at) break; // answered after the end: not throughput (failures still count)
    if (outcome.ok) {
      const key = `${env} ${tool}`;
      (latencies.get(key) ?? latencies.set(key, []).get(key)!).push(ended - started);
      const perSecond = okPerSecondByEnv[env];
      const second = Math.floor((ended - t0) / 1000);
      perSecond[second] = (perSecond[second] ?? 0) + 1;
      if (settings.thinkMs > 0) await sleep(random() * 2 * settings.thinkMs);
    } else {
      failures.push({ env, tool, startMs: started - t0, endMs: ended - t0, code: outcome.code, message: outcome.message });
      await sleep(ERROR_BACKOFF_MS);
    }
  }
}

// --- /proc: memory and CPU -------------------------------------------------------------------------------------

function readKb(pid: number, field: string): number {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // gone
  }
}

function descendants(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const tid of tasks) {
    let children = '';
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of children.split(/\s+/).filter(Boolean).map(Number)) found.push(child, ...descendants(child));
  }
  return found;
}

interface RssSample { atMs: number; mainKb: number; childrenKb: number; children: number }

function sampleRss(pid: number, atMs: number): RssSample {
  const children = descendants(pid);
  return { atMs, mainKb: readKb(pid, 'VmRSS'), childrenKb: children.reduce((sum, child) => sum + readKb(child, 'VmRSS'), 0), children: children.length };
}

type Role = 'server' | 'client' | 'postgres';
interface CpuSnapshot { total: number; busy: number; steal: number; processes: Map<number, { role: Role; ticks: number }> }

/** Cumulative CPU ticks: the machine's busy and steal time, and per process of ours (server, clients, our backends). */
function cpuSnapshot(serverPid: number): CpuSnapshot {
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const snapshot: CpuSnapshot = { total: user + nice + system + idle + iowait + irq + softirq + steal, busy: user + nice + system + irq + softirq, steal, processes: new Map() };
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const role: Role | null = Number(fields[2]) === serverPid ? 'server' // its own group: the SQLite connection processes too
        : Number(name) === process.pid ? 'client'
          : stat.includes('(postgres)') && fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(` ${SCRATCH_DB} `) ? 'postgres' : null;
      if (role) snapshot.processes.set(Number(name), { role, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // exited meanwhile
    }
  }
  return snapshot;
}

/** Shares between two snapshots: per role in % of one core, the machine's in % of all its CPUs. */
function cpuShares(before: CpuSnapshot, after: CpuSnapshot, seconds: number) {
  const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const used: Record<Role, number> = { server: 0, client: 0, postgres: 0 };
  // Per process, so that backends that came and went (the restart) count from zero; ticks of exited processes are lost.
  for (const [pid, { role, ticks }] of after.processes) used[role] += Math.max(0, ticks - (before.processes.get(pid)?.ticks ?? 0));
  const total = after.total - before.total;
  const core = (ticks: number) => (100 * ticks) / hz / seconds;
  return {
    serverPct: core(used.server), clientPct: core(used.client), postgresPct: core(used.postgres),
    busyPct: (100 * (after.busy - before.busy)) / total, stealPct: (100 * (after.steal - before.steal)) / total,
    otherPct: (100 * Math.max(0, after.busy - before.busy - used.server - used.client - used.postgres)) / total,
  };
}

// --- PostgreSQL: scratch database and the outage ------------------------------------------------------------------

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  c.on('error', () => {}); // a restart ends the connection; the query that was running reports it
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** A shop: 20,000 customers and 400,000 orders over 18 months, computed from row numbers (the same on every run). */
async function createScratchDatabase(): Promise<string> {
  await dropScratchDatabase();
  await withClient(settings.pgAdminUrl, async (c) => {
    await c.query(`CREATE DATABASE ${SCRATCH_DB}`);
    await c.query(`CREATE ROLE ${READER_ROLE} LOGIN`);
  });
  const url = withDatabase(settings.pgAdminUrl, SCRATCH_DB);
  await withClient(url, async (c) => {
    await c.query(`CREATE TABLE customers (customer_id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, country char(2) NOT NULL,
      segment text NOT NULL, created_at timestamptz NOT NULL)`);
    await c.query(`INSERT INTO customers SELECT g, 'Customer ' || g, 'customer' || g || '@example.com',
      (ARRAY['DE','FR','US','GB','NL','ES','IT','SE','PL','JP'])[1 + g % 10], (ARRAY['consumer','small business','enterprise'])[1 + (g * 7) % 3],
      timestamptz '2022-01-01 00:00:00+00' + g * interval '37 minutes' FROM generate_series(1, 20000) AS g`);
    await c.query(`CREATE TABLE orders (order_id bigint PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers,
      status text NOT NULL CHECK (status IN ('completed','shipped','pending','cancelled','refunded')), amount numeric(12,2) NOT NULL, ordered_at timestamptz NOT NULL)`);
    await c.query(`INSERT INTO orders SELECT g, 1 + (g::bigint * 7919) % 20000, (ARRAY['completed','shipped','pending','cancelled','refunded'])[1 + (g * 13) % 5],
      ((g::bigint * 104729) % 50000) / 100.0, timestamptz '2024-01-01 00:00:00+00' + g * interval '2 minutes' FROM generate_series(1, 400000) AS g`);
    await c.query('CREATE INDEX orders_customer_id ON orders (customer_id); CREATE INDEX orders_ordered_at ON orders (ordered_at); ANALYZE');
    await c.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${READER_ROLE}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER_ROLE}`);
  });
  const reader = new URL(url);
  reader.username = READER_ROLE;
  return reader.toString();
}

async function dropScratchDatabase(): Promise<void> {
  await withClient(settings.pgAdminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${SCRATCH_DB} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${READER_ROLE}`);
  });
}

const clusterCommand = (action: string) => ['--skip-systemctl-redirect', settings.cluster[0], settings.cluster[1], action];
let isPgStopped = false;

/** Whatever happens, PostgreSQL is shared: it must not stay down because the soak failed mid-outage. */
function ensurePgStartedSync(): void {
  if (!isPgStopped) return;
  try {
    execFileSync('pg_ctlcluster', clusterCommand('start'), { stdio: 'ignore' });
    isPgStopped = false;
  } catch {
    process.stderr.write(`soak: could not start PostgreSQL again: run pg_ctlcluster ${settings.cluster.join(' ')} start\n`);
  }
}

interface Outage { startMs: number; stoppedMs: number; startCommandMs: number; backMs: number }

/** Stops the cluster (fast shutdown: sessions are ended), keeps it down, starts it, waits until it answers. */
async function pgOutage(t0: number): Promise<Outage> {
  const startMs = performance.now() - t0;
  isPgStopped = true;
  if (settings.downMs === 0) {
    await run('pg_ctlcluster', clusterCommand('restart'));
  } else {
    await run('pg_ctlcluster', clusterCommand('stop'));
  }
  const stoppedMs = performance.now() - t0;
  await sleep(settings.downMs);
  const startCommandMs = performance.now() - t0;
  if (settings.downMs > 0) await run('pg_ctlcluster', clusterCommand('start'));
  isPgStopped = false;
  for (;;) {
    try {
      await withClient(settings.pgAdminUrl, (c) => c.query('SELECT 1'));
      return { startMs, stoppedMs, startCommandMs, backMs: performance.now() - t0 };
    } catch {
      await sleep(100);
    }
  }
}

// --- the server under test ---------------------------------------------------------------------------------------

interface Server { pid: number; baseUrl: string; exit: Promise<{ code: number | null; signal: string | null; atMs: number }>; output: () => string; warnings: Map<string, number> }

const cli = (configFile: string, args: string[], input?: string) =>
  execFileSync(process.execPath, [SQLGATE, ...args, '--config', configFile], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).trim();

async function startServer(configFile: string): Promise<Server> {
  const child = spawn(process.execPath, [SQLGATE, 'serve', '--config', configFile, '--port', '0'], { cwd: WORK, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const warnings = new Map<string, number>(); // pino lines at warn (40) and above, by message
  const record = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.startsWith('{"level":')) continue;
      try {
        const entry = JSON.parse(line) as { level: number; msg?: string };
        if (entry.level >= 40) warnings.set(entry.msg ?? '', (warnings.get(entry.msg ?? '') ?? 0) + 1);
      } catch {
        // a line split across chunks: not counted
      }
    }
  };
  child.stdout.on('data', record);
  child.stderr.on('data', record);
  const exit = new Promise<{ code: number | null; signal: string | null; atMs: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() })));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sqlgate did not start within 60 s:\n${output}`)), 60_000);
    const poll = setInterval(() => {
      const match = /listening on (http:\/\/[^\s/]+)/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]!);
      }
    }, 50);
    void exit.then(() => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`sqlgate exited before it was ready:\n${output}`));
    });
  });
  runningServerPid = child.pid!;
  return { pid: child.pid!, baseUrl, exit, output: () => output, warnings };
}

let runningServerPid = 0; // for the exit handlers: the server leads its own group, which Ctrl-C does not reach

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

// --- the run -------------------------------------------------------------------------------------------------------

interface Measured {
  startedAt: Date; pgVersion: string; loadAvgBefore: number[]; busyBeforePct: number;
  outage: Outage | null; crash: string | null; shutdown: string; pgConnectionsAtEnd: number | null; poolsAfterLoad: Map<string, number> | null;
  rss: RssSample[]; cpu: ReturnType<typeof cpuShares>; clientLoopDelayMs: { p99: number; max: number }; okPerSecondByEnv: Record<Env, number[]>;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const ticks0 = cpuSnapshot(-1);
  await sleep(2_000);
  const ticks1 = cpuSnapshot(-1);
  const busyBeforePct = (100 * (ticks1.busy - ticks0.busy)) / (ticks1.total - ticks0.total);
  const loadAvgBefore = os.loadavg();
  log(`soak: ${settings.clients} clients, ${(settings.durationMs / 60_000).toFixed(1)} min, PostgreSQL ${settings.cluster.join('/')} down ${settings.downMs / 1000} s in the middle; machine ${busyBeforePct.toFixed(0)} % busy before (load ${loadAvgBefore.map((l) => l.toFixed(1)).join(' ')})`);

  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  log(`creating ${SCRATCH_DB} (20,000 customers, 400,000 orders)…`);
  const pgUrl = await createScratchDatabase();
  let server: Server | undefined;
  let measured: Measured;
  try {
    const pgVersion = await withClient(pgUrl, async (c) => (await c.query('SHOW server_version')).rows[0].server_version as string);
    const configFile = path.join(WORK, 'sqlgate.yaml');
    const environments = { pg: { database: pgUrl, read_only: true }, demo: { database: `sqlite:${path.join(WORK, 'demo.sqlite')}`, demo: true, read_only: true } };
    fs.writeFileSync(configFile, `log: { level: warn }\nmetrics: { token: ${METRICS_TOKEN} }\nstore: { url: ${JSON.stringify(`sqlite:${path.join(WORK, 'state.sqlite')}`)} }\nenvironments: ${JSON.stringify(environments)}\n`);
    cli(configFile, ['users', 'add', 'soak', '--all-envs', '--password-stdin'], 'a soak test password that is long enough');
    const tokens: Record<Env, string[]> = { pg: [], demo: [] };
    for (const env of ENVS) {
      for (let i = 0; i < TOKENS_PER_ENV; i++) tokens[env].push(cli(configFile, ['tokens', 'create', '--user', 'soak', '--env', env, '--ttl', '1d', '--description', 'soak client']));
    }
    server = await startServer(configFile);
    log(`sqlgate pid ${server.pid} at ${server.baseUrl}; checking every tool once per environment…`);
    for (const env of ENVS) {
      for (const [tool] of TOOL_MIX) {
        const args = tool === 'execute_sql' ? { query: 'SELECT 1 AS one' } : tool === 'list_tables' ? {} : { table: 'customers' };
        const outcome = await callTool(`${server.baseUrl}/${env}/mcp`, tokens[env][0]!, 1, tool, args);
        if (!outcome.ok) throw new Error(`${env} ${tool} failed before the load started: ${outcome.code}: ${outcome.message}`);
      }
    }
    measured = await soak(server, tokens, pgVersion);
  } finally {
    if (server) killGroup(server.pid, 'SIGKILL');
    ensurePgStartedSync();
    await dropScratchDatabase().catch((err: Error) => log(`could not drop ${SCRATCH_DB}: ${err.message}`));
  }
  Object.assign(measured, { startedAt, loadAvgBefore, busyBeforePct });
  return report(measured, server);
}

async function soak(server: Server, tokens: Record<Env, string[]>, pgVersion: string): Promise<Measured> {
  const t0 = performance.now();
  const deadline = { at: t0 + settings.durationMs };
  let crash: string | null = null;
  void server.exit.then(({ code, signal, atMs }) => {
    if (performance.now() >= deadline.at) return;
    crash = `sqlgate exited (${signal ?? `code ${code}`}) at ${((atMs - t0) / 1000).toFixed(1)} s`;
    deadline.at = performance.now(); // nothing left to measure
  });
  const rss: RssSample[] = [sampleRss(server.pid, 0)];
  const rssTimer = setInterval(() => rss.push(sampleRss(server.pid, performance.now() - t0)), settings.rssEveryMs);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = cpuSnapshot(server.pid);
  const okSoFar = () => ENVS.reduce((n, env) => n + sum(okPerSecondByEnv[env]), 0);
  const progress = setInterval(() => log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${okSoFar()} ok, ${failures.length} failed, RSS ${(rss.at(-1)!.mainKb / 1024).toFixed(0)} MB`), 30_000);

  let outage: Outage | null = null;
  const outageDone = sleep(settings.durationMs / 2).then(async () => {
    if (crash) return;
    log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s: stopping PostgreSQL ${settings.cluster.join('/')}…`);
    outage = await pgOutage(t0);
    log(`  ${(outage.backMs / 1000).toFixed(1)} s: PostgreSQL answers again (window ${((outage.backMs - outage.startMs) / 1000).toFixed(1)} s)`);
  });
  // Everything but the failures is measured up to the deadline: calls still running then may take up to CALL_TIMEOUT_MS.
  let cpu: ReturnType<typeof cpuShares> | undefined;
  const measuredToDeadline = (async () => {
    while (performance.now() < deadline.at) await sleep(Math.min(1_000, Math.max(1, deadline.at - performance.now())));
    cpu = cpuShares(cpuBefore, cpuSnapshot(server.pid), (performance.now() - t0) / 1000);
    loopDelay.disable();
    clearInterval(rssTimer);
    clearInterval(progress);
    if (!crash) rss.push(sampleRss(server.pid, performance.now() - t0));
  })();
  await Promise.all(Array.from({ length: settings.clients }, (_, i) => client(i, server.baseUrl, tokens, t0, deadline)));
  await measuredToDeadline;
  if (performance.now() - deadline.at > 1_000) log(`  the last calls ended ${s1(performance.now() - deadline.at)} after the deadline`);
  await outageDone;

  // Every call has ended (or timed out on our side): a connection still lent now is a session that never finished.
  const poolsAfterLoad = crash ? null : await poolGauges(server.baseUrl);
  const pgConnectionsAtEnd = await withClient(settings.pgAdminUrl, async (c) => Number((await c.query('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [SCRATCH_DB])).rows[0].n)).catch(() => null);
  let shutdown = 'already gone';
  if (!crash) {
    const asked = performance.now();
    process.kill(server.pid, 'SIGTERM');
    const exited = await Promise.race([server.exit, sleep(30_000).then(() => null)]);
    shutdown = exited ? `exit ${exited.signal ?? `code ${exited.code}`} ${s1(exited.atMs - asked)} after SIGTERM` : 'still running 30 s after SIGTERM (killed)';
  }
  return {
    startedAt: new Date(), pgVersion, loadAvgBefore: [], busyBeforePct: 0, outage, crash, shutdown, pgConnectionsAtEnd, poolsAfterLoad, rss, cpu: cpu!,
    clientLoopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 }, okPerSecondByEnv,
  };
}

/** `sqlgate_db_pool_connections_in_use` per environment, from /metrics. */
async function poolGauges(baseUrl: string): Promise<Map<string, number> | null> {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    return new Map([...text.matchAll(/^sqlgate_db_pool_connections_in_use\{environment="([^"]+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  } catch {
    return null;
  }
}

// --- the report --------------------------------------------------------------------------------------------------

const sum = (values: readonly (number | undefined)[]) => values.reduce<number>((total, v) => total + (v ?? 0), 0);
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 160);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Flat after warm-up: the last third's highest sample is within RSS_GROWTH_LIMIT of the second third's. */
function rssVerdict(samples: readonly RssSample[], endMs: number, kb: (s: RssSample) => number): { isFlat: boolean; text: string } {
  const second = samples.filter((s) => s.atMs >= endMs / 3 && s.atMs < (2 * endMs) / 3).map(kb);
  const last = samples.filter((s) => s.atMs >= (2 * endMs) / 3).map(kb);
  if (second.length === 0 || last.length === 0) return { isFlat: false, text: 'too few samples' };
  const [a, b] = [Math.max(...second), Math.max(...last)];
  const growth = (b - a) / a;
  return { isFlat: growth <= RSS_GROWTH_LIMIT, text: `second third max ${mb(a)}, last third max ${mb(b)} (${growth >= 0 ? '+' : ''}${(100 * growth).toFixed(1)} %)` };
}

function report(m: Measured, server: Server): number {
  const endMs = m.rss.at(-1)!.atMs;
  const loadMs = Math.min(endMs, settings.durationMs);
  const o = m.outage;
  const isInside = (f: Failure) => o !== null && f.startMs <= o.backMs && f.endMs >= o.startMs;
  // Expected: quick failures of the PostgreSQL environment while PostgreSQL is down. The demo does not use it at all.
  const isExpected = (f: Failure) => f.env === 'pg' && isInside(f) && f.code !== 'CLIENT_TIMEOUT';
  const hung = failures.filter((f) => f.code === 'CLIENT_TIMEOUT');
  const lent = m.poolsAfterLoad === null ? null : [...m.poolsAfterLoad].filter(([, n]) => n > 0);
  const unexpected = failures.filter((f) => !isExpected(f));
  const mainRss = rssVerdict(m.rss, endMs, (s) => s.mainKb);
  const totalRss = rssVerdict(m.rss, endMs, (s) => s.mainKb + s.childrenKb);
  const okByEnv = Object.fromEntries(ENVS.map((env) => [env, sum(m.okPerSecondByEnv[env])])) as Record<Env, number>;
  const ok = okByEnv.pg + okByEnv.demo;
  const verdicts: Array<[string, string, boolean]> = [
    ['errors outside the outage window (and in the SQLite demo at any time, and calls never answered)', String(unexpected.length), unexpected.length === 0],
    [`every call answered within ${CALL_TIMEOUT_MS / 1000} s`, hung.length === 0 ? 'yes' : `${hung.length} not: ${hung.map((f) => `${f.env} ${f.tool} sent at ${s1(f.startMs)}`).join(', ')}`, hung.length === 0],
    ['database connections still lent to a call after the load (/metrics sqlgate_db_pool_connections_in_use)', lent === null ? 'not read' : lent.length === 0 ? 'none' : lent.map(([env, n]) => `${env}: ${n}`).join(', '), lent !== null && lent.length === 0],
    ['sqlgate RSS flat after warm-up (main process)', mainRss.text, mainRss.isFlat],
    ['… with its SQLite connection processes', totalRss.text, totalRss.isFlat],
    ['sqlgate stayed up', m.crash ?? `yes; ${m.shutdown}`, m.crash === null],
  ];
  const isPass = verdicts.every(([, , pass]) => pass);

  const lines: string[] = [];
  const add = (...more: string[]) => lines.push(...more);
  add('<!-- soak:start -->', `## Soak: ${settings.clients} clients, ${(loadMs / 60_000).toFixed(1)} minutes, PostgreSQL down in the middle: ${isPass ? 'PASS' : 'FAIL'}`, '');
  add(`Run by \`npm run soak\` on ${m.startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC with \`${process.argv.slice(2).join(' ') || '(defaults)'}\`. Method: the comment at the top of [soak.ts](soak.ts).`, '');
  const cpu = os.cpus();
  add(`- Machine: ${os.availableParallelism()} CPUs (${cpu[0]?.model.trim() ?? '?'}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, ${os.type()} ${os.release()}; Node ${process.version}; PostgreSQL ${m.pgVersion}; everything on this machine over loopback.`);
  add(`- Other load: before the run the machine was ${m.busyBeforePct.toFixed(0)} % busy (load average ${m.loadAvgBefore.map((l) => l.toFixed(1)).join(' / ')}). During the load it was ${m.cpu.busyPct.toFixed(0)} % busy and ${m.cpu.stealPct.toFixed(0)} % stolen; ${m.cpu.otherPct.toFixed(0)} % of the machine went to processes that are neither sqlgate, the clients nor PostgreSQL backends of ${SCRATCH_DB} (other people's work).`);
  add(`- CPU per part, in % of one core: sqlgate (with its SQLite processes) ${m.cpu.serverPct.toFixed(0)} %, the ${settings.clients} clients (this one Node process: fetch and JSON.parse of every answer) ${m.cpu.clientPct.toFixed(0)} %, PostgreSQL backends of ${SCRATCH_DB} ${m.cpu.postgresPct.toFixed(0)} %. The clients' event-loop delay: p99 ${m.clientLoopDelayMs.p99.toFixed(1)} ms, max ${m.clientLoopDelayMs.max.toFixed(0)} ms (what client queueing can add to a latency below).`);
  if (o) {
    const pgBack = m.okPerSecondByEnv.pg.findIndex((n, second) => second * 1000 >= o.backMs && (n ?? 0) > 0);
    const lastPgError = Math.max(...failures.filter(isExpected).map((f) => f.endMs), -Infinity);
    add(`- Outage: \`pg_ctlcluster ${settings.cluster.join(' ')} ${settings.downMs ? 'stop' : 'restart'}\` at ${s1(o.startMs)} (done at ${s1(o.stoppedMs)})${settings.downMs ? `, \`start\` at ${s1(o.startCommandMs)}` : ''}; PostgreSQL answered again at ${s1(o.backMs)}. **Outage window ${s1(o.startMs)}–${s1(o.backMs)} (${s1(o.backMs - o.startMs)})**: a failed call counts as inside when it overlapped it. The pg environment ${pgBack >= 0 ? `completed calls again from second ${pgBack}` : 'completed no call again before the end'}; its last expected failure ended at ${Number.isFinite(lastPgError) ? s1(lastPgError) : '—'}.`);
  } else {
    add('- Outage: none (the run ended before the middle, or sqlgate had crashed).');
  }
  add(`- Mix per client (one environment per client, alternating pg and demo; ${TOKENS_PER_ENV} personal access tokens per environment): ${TOOL_MIX.map(([t, w]) => `${t} ${w * 100} %`).join(', ')}; closed loop${settings.thinkMs ? `, think time 0–${2 * settings.thinkMs} ms` : ' without think time'}, ${ERROR_BACKOFF_MS} ms pause after a failure.`);
  add(`- PostgreSQL connections to ${SCRATCH_DB} at the end: ${m.pgConnectionsAtEnd ?? '?'} (pool.max 5).`, '');

  add('| check | measured | verdict |', '|---|---|---|', ...verdicts.map(([name, text, pass]) => `| ${name} | ${cell(text)} | ${pass ? 'PASS' : '**FAIL**'} |`), '');
  add(`**Throughput**: ${ok.toLocaleString('en-US')} successful calls in ${s1(loadMs)}: **${(ok / (loadMs / 1000)).toFixed(0)} calls/s** (pg ${(okByEnv.pg / (loadMs / 1000)).toFixed(0)}, demo ${(okByEnv.demo / (loadMs / 1000)).toFixed(0)}); ${failures.length} failed calls (${failures.length - unexpected.length} expected).`, '');

  add('Latency of successful calls, ms, as the client sees it (send to parsed answer):', '', '| environment | tool | calls | p50 | p95 | p99 | max |', '|---|---|---:|---:|---:|---:|---:|');
  for (const env of ENVS) {
    for (const [tool] of TOOL_MIX) {
      const values = (latencies.get(`${env} ${tool}`) ?? []).sort((a, b) => a - b);
      add(`| ${env} | ${tool} | ${values.length} | ${[50, 95, 99, 100].map((p) => percentile(values, p).toFixed(0)).join(' | ')} |`);
    }
  }
  add('');

  const groups = new Map<string, { count: number; message: string }>();
  for (const f of failures) {
    const window = isExpected(f) ? 'inside (expected)' : !isInside(f) ? '**outside**' : f.code === 'CLIENT_TIMEOUT' ? 'inside, **never answered**' : 'inside, demo (**unexpected**)';
    const key = `${window} | ${f.env} | ${f.tool} | \`${f.code}\``;
    const group = groups.get(key) ?? groups.set(key, { count: 0, message: f.message }).get(key)!;
    group.count++;
  }
  add('Failed calls by code:', '');
  if (groups.size === 0) add('none', '');
  else add('| outage window | environment | tool | code | calls | first message |', '|---|---|---|---|---:|---|', ...[...groups].map(([key, g]) => `| ${key} | ${g.count} | ${cell(g.message)} |`), '');

  const minutes = Math.ceil(loadMs / 60_000);
  add(`Per minute (RSS sampled every ${settings.rssEveryMs / 1000} s from /proc/<pid>/status VmRSS; all ${m.rss.length} samples in bench/.work/soak/rss.csv):`, '');
  add('| minute | calls/s pg | calls/s demo | failed | sqlgate RSS max | SQLite processes RSS max (count) |', '|---:|---:|---:|---:|---:|---:|');
  for (let i = 0; i < minutes; i++) {
    const inMinute = (ms: number) => ms >= i * 60_000 && ms < (i + 1) * 60_000;
    const samples = m.rss.filter((s) => inMinute(s.atMs) || (i === minutes - 1 && s.atMs >= i * 60_000));
    const seconds = Math.min(60, loadMs / 1000 - i * 60);
    const rate = (env: Env) => (sum(m.okPerSecondByEnv[env].slice(i * 60, i * 60 + 60)) / seconds).toFixed(0);
    add(`| ${i + 1} | ${rate('pg')} | ${rate('demo')} | ${failures.filter((f) => inMinute(f.endMs)).length} | ${mb(Math.max(...samples.map((s) => s.mainKb)))} | ${mb(Math.max(...samples.map((s) => s.childrenKb)))} (${Math.max(...samples.map((s) => s.children))}) |`);
  }
  add('');
  if (server.warnings.size > 0) add(`sqlgate logged at warn or above: ${[...server.warnings].map(([msg, n]) => `"${cell(msg)}" ×${n}`).join(', ')}.`, '');
  add('<!-- soak:end -->');

  const markdown = `${lines.join('\n')}\n`;
  log(`\n${markdown}`);
  fs.writeFileSync(path.join(WORK, 'soak-last.md'), markdown);
  fs.writeFileSync(path.join(WORK, 'rss.csv'), `seconds,main_kb,children_kb,children\n${m.rss.map((s) => `${(s.atMs / 1000).toFixed(1)},${s.mainKb},${s.childrenKb},${s.children}`).join('\n')}\n`);
  fs.writeFileSync(path.join(WORK, 'failures.json'), JSON.stringify(failures, null, 1));
  fs.writeFileSync(path.join(WORK, 'server-output.log'), server.output());
  if (settings.record) recordResults(markdown);
  return isPass ? 0 : 1;
}

/** --record: replaces the soak section of bench/RESULTS.md (between its markers), or appends one. */
function recordResults(markdown: string): void {
  const file = path.join(ROOT, 'bench', 'RESULTS.md');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# sqlgate benchmark results\n';
  const marked = /<!-- soak:start -->[\s\S]*?<!-- soak:end -->\n?/;
  fs.writeFileSync(file, marked.test(existing) ? existing.replace(marked, markdown) : `${existing.trimEnd()}\n\n${markdown}`);
  log(`recorded in ${path.relative(process.cwd(), file)}`);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    if (runningServerPid) killGroup(runningServerPid, 'SIGKILL');
    ensurePgStartedSync();
    process.exit(130);
  });
}
process.on('exit', ensurePgStartedSync);

try {
  process.exitCode = await main();
} catch (err) {
  process.exitCode = 1;
  process.stderr.write(`\nsoak failed: ${(err as Error).stack ?? String(err)}\n`);
}
