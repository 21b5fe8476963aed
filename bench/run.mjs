/**
 * `npm run bench`: on a generated PostgreSQL and SQLite database, load four servers side by side in one run —
 * sqlgate as deployed (OAuth, a personal access token per call), sqlgate with auth off, a bare node:http floor
 * running the same SQL with the same drivers, and DBHub (installed on demand) — and write bench/RESULTS.md.
 * See bench/README.md for what each number means.
 *
 * Environment knobs (defaults in brackets): BENCH_DURATION_MS [5000] measured time per scenario and server,
 * BENCH_WARMUP_MS [1000], BENCH_ENGINES [postgres,sqlite], BENCH_PG_URL [postgres://postgres@127.0.0.1:5432/postgres]
 * (an admin connection; the benchmark database is sqlgate_bench), BENCH_ROWS [1000000], BENCH_RESULTS [bench/RESULTS.md],
 * BENCH_DBHUB [1.4.0; `none` leaves DBHub out], BENCH_GATE_ITERATIONS [2000], BENCH_GATE_WARMUP [200],
 * BENCH_GATE_MAX_MS [2000], BENCH_GATE_DIALECTS [all five].
 *
 * `node bench/run.mjs --only gate` (or BENCH_ONLY=gate) measures only the statement gate's cost: no database, about
 * a minute, and it replaces only the gate section of RESULTS.md.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePostgres, generateSqlite, openBenchConnections, PG_DATABASE, SALES_ROWS } from './lib/data.mjs';
import { cpuPercent, ownProcessGroup } from './lib/cpu.mjs';
import { DBHUB_DEFAULT_VERSION, prepareDbhub, startDbhub } from './lib/dbhub.mjs';
import { gateSettings, measureGateCost } from './lib/gate-cost.mjs';
import { callOnce, floorTarget } from './lib/load.mjs';
import { backgroundCpu, gitState, machineInfo, postgresVersion, sqliteVersion, timeDemo } from './lib/machine.mjs';
import { killAllSync, sleep, startNodeProcess, stopAll, stopProcess } from './lib/procs.mjs';
import { fmt, keepMarkedSections, renderMarkdown, renderText } from './lib/report.mjs';
import { renderGateMarkdown, renderGateOnlyMarkdown, renderGateText, replaceGateSection } from './lib/report-gate.mjs';
import { FLOOR_LIST_TABLES_SQL, floorTablesOf, REQUESTS, SELECT_ALL_SQL } from './lib/requests.mjs';
import { rssNow, startRssSampler } from './lib/rss.mjs';
import { LATER_WARMUP_MS, measureScenario, ROUNDS } from './lib/scenario.mjs';
import { DialectNotBuilt, MAX_RESULT_CHARS, startSqlgate } from './lib/sqlgate-server.mjs';
import { measureStartup } from './lib/startup.mjs';
import { measureWideSchemas, renderWideMarkdown } from './lib/wide-schemas.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = path.join(ROOT, 'bench', '.work');
const FLOOR = path.join(ROOT, 'bench', 'lib', 'floor-server.mjs');

const settings = {
  durationMs: Number(process.env.BENCH_DURATION_MS ?? 5_000),
  warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 1_000),
  rounds: ROUNDS,
  concurrencies: [1, 10],
  engines: (process.env.BENCH_ENGINES ?? 'postgres,sqlite').split(',').map((e) => e.trim()),
  pgAdminUrl: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  mysqlAdminUrl: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/mysql',
  /** Calls per row of the wide-schema section (`--only wide`). */
  wideCalls: Number(process.env.BENCH_WIDE_CALLS ?? 10),
  rows: Number(process.env.BENCH_ROWS ?? SALES_ROWS),
  resultsFile: path.resolve(ROOT, process.env.BENCH_RESULTS ?? 'bench/RESULTS.md'),
  dbhubVersion: process.env.BENCH_DBHUB ?? DBHUB_DEFAULT_VERSION,
  selectAllCalls: 5,
  demoRuns: 3,
  /** sqlgate's default pool.max; the floor's pg.Pool and DBHub's pool get the same. */
  poolMax: 5,
  /** sqlgate's default max_rows; DBHub gets the same cap, and SELECT * must be cut there. */
  maxRows: 1_000,
  /** `gate`: only the statement gate's cost (`--only gate` or BENCH_ONLY=gate); `wide`: only the wide schemas; null: everything. */
  only: null,
  gate: gateSettings(),
};

/** `--only gate|wide`, `--only=gate|wide` or BENCH_ONLY=gate|wide. */
function onlyOption() {
  const args = process.argv.slice(2);
  let only = process.env.BENCH_ONLY || null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--only') only = args[++i] ?? '';
    else if (args[i].startsWith('--only=')) only = args[i].slice('--only='.length);
    else throw new Error(`unknown argument ${args[i]} (the benchmark takes --only gate; everything else is set by BENCH_* variables, see bench/README.md)`);
  }
  if (only !== null && only !== 'gate' && only !== 'wide') throw new Error(`--only ${only}: the parts that run alone are "gate" and "wide"`);
  return only;
}

const LIST_TABLES = REQUESTS.find((r) => r.key === 'list_tables');
const AGGREGATE = REQUESTS.find((r) => r.key === 'aggregate');

/** Process groups of the benchmark and of the servers it started: their CPU is not "other". */
const ownGroups = new Set([ownProcessGroup()]);
/** CPU accounting of every measured slice, for the whole run's summary. */
const sliceCpu = [];
/** What every scenario needs besides its servers (lib/scenario.mjs). */
const scenarioContext = { settings, ownGroups, sliceCpu };

function log(message) {
  process.stdout.write(`${message}\n`);
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  if (Number(process.versions.node.split('.')[0]) < 22) {
    throw new Error(`Node ${process.version}: the benchmark needs Node ≥ 22 (run ". scripts/node.sh" first).`);
  }
  settings.only = onlyOption();
  if (settings.only === 'gate') return gateOnly();
  if (settings.only === 'wide') return wideOnly();
  fs.mkdirSync(WORK, { recursive: true });
  const started = Date.now();
  const results = { date: new Date(), settings, maxResultChars: MAX_RESULT_CHARS, machine: await machineInfo(ROOT), git: gitState(ROOT), demo: null, sections: [], notes: [] };
  log(`sqlgate benchmark · ${results.machine.summary}`);
  log(`${settings.durationMs} ms measured per scenario and server (${ROUNDS} slices, warm-up ${settings.warmupMs} ms then ${LATER_WARMUP_MS} ms), concurrency ${settings.concurrencies.join(' and ')}\n`);

  // Before anything is measured: a first run downloads DBHub, which must not land in the background CPU or a slice.
  results.dbhub = await prepareDbhub({ work: WORK, version: settings.dbhubVersion, log });
  log(results.dbhub.skipped ? `DBHub: skipped: ${results.dbhub.skipped}\n` : `DBHub ${results.dbhub.version} (${results.dbhub.cached ? 'cached' : 'installed'} in bench/.work/dbhub)\n`);

  results.background = await backgroundCpu(ownGroups);
  logBackground(results.background);

  results.gate = await benchGate();
  results.gateRun = { command: 'npm run bench', machine: results.machine, background: results.background, git: results.git };

  results.demo = await timeDemo(ROOT, settings.demoRuns);
  log(`demo generation (ensureDemoDatabase): ${results.demo.runs.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}\n`);
  for (const engine of settings.engines) {
    if (engine === 'postgres') results.sections.push(await benchPostgres(results.dbhub));
    else if (engine === 'sqlite') results.sections.push(await benchSqlite(results.dbhub));
    else throw new Error(`unknown engine ${engine} in BENCH_ENGINES`);
  }

  results.cpu = cpuPercent(sliceCpu);

  if (settings.engines.includes('postgres')) {
    const left = await openBenchConnections(settings.pgAdminUrl);
    results.notes.push(`Connections left open to ${PG_DATABASE} after the run: ${left}.`);
    if (left > 0) log(`WARNING: ${left} connection(s) to ${PG_DATABASE} still open`);
  }
  results.elapsedSeconds = (Date.now() - started) / 1000;

  log(`\n${renderText(results)}`);
  const previous = fs.existsSync(settings.resultsFile) ? fs.readFileSync(settings.resultsFile, 'utf8') : '';
  fs.writeFileSync(settings.resultsFile, keepMarkedSections(previous, renderMarkdown(results)));
  log(`\nWrote ${path.relative(process.cwd(), settings.resultsFile)} (${results.elapsedSeconds.toFixed(0)} s in total).`);
  failOnGateRefusals(results.gate);
}

function logBackground(background) {
  log(`CPU before the run (1 s): ${background.busyPct.toFixed(0)} % busy, ${background.otherPct.toFixed(0)} % by other processes, ${background.stealPct.toFixed(0)} % steal${background.otherPct > 10 ? '  ← the machine is not idle; results will be low and noisy' : ''}\n`);
}

/** The statement gate's parse-and-check cost per dialect, in this process (bench/lib/gate-cost.mjs). */
async function benchGate() {
  const { iterations, warmup, maxMsPerQuery } = settings.gate;
  log(`Statement gate: ${iterations} calls per query after ${warmup} warm-up calls (at most ${maxMsPerQuery} ms per query)…`);
  const gate = await measureGateCost({ root: ROOT, settings: settings.gate, ownGroups, log });
  log('');
  return gate;
}

/** `--only gate`: measure the gate and replace its section of RESULTS.md, keeping the others. */
async function gateOnly() {
  const machine = await machineInfo(ROOT);
  log(`sqlgate benchmark, statement gate only · ${machine.summary}\n`);
  const background = await backgroundCpu(ownGroups);
  logBackground(background);
  const gate = await benchGate();
  const run = { command: 'node bench/run.mjs --only gate', machine, background, git: gitState(ROOT) };
  log(renderGateText(gate));
  const file = settings.resultsFile;
  const section = renderGateMarkdown(gate, run);
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  fs.writeFileSync(file, existing === null ? renderGateOnlyMarkdown(gate, run) : replaceGateSection(existing, section));
  log(`\n${existing === null ? 'Wrote' : 'Updated the statement gate section of'} ${path.relative(process.cwd(), file)}.`);
  failOnGateRefusals(gate);
}

/** `--only wide`: list_tables and describe_table on wide schemas (lib/wide-schemas.mjs); replaces its section of RESULTS.md. */
async function wideOnly() {
  const machine = await machineInfo(ROOT);
  log(`sqlgate benchmark, wide schemas only · ${machine.summary}\n`);
  fs.mkdirSync(WORK, { recursive: true });
  const wide = await measureWideSchemas({ root: ROOT, work: WORK, pgAdminUrl: settings.pgAdminUrl, mysqlAdminUrl: settings.mysqlAdminUrl, calls: settings.wideCalls, log });
  const section = renderWideMarkdown(wide, { command: 'npm run bench -- --only wide', date: new Date(), git: gitState(ROOT), machine: machine.summary });
  const file = settings.resultsFile;
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# sqlgate benchmark results\n';
  const marked = /<!-- wide:start -->[\s\S]*?<!-- wide:end -->\n?/;
  fs.writeFileSync(file, marked.test(existing) ? existing.replace(marked, section) : `${existing.trimEnd()}\n\n${section}`);
  log(`\nRecorded in ${path.relative(process.cwd(), file)}.`);
}

function failOnGateRefusals(gate) {
  if (!gate?.refusals.length) return;
  process.exitCode = 1;
  process.stderr.write(`\nbench FAILED: the statement gate refused ${gate.refusals.length} valid read(s):\n${gate.refusals.map((r) => `  ${r.dialect} · ${r.label}: ${r.code ?? r.name}: ${r.message}`).join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------------------------

async function benchPostgres(dbhub) {
  const section = newSection('postgres', 'PostgreSQL');
  log(`PostgreSQL: generating ${PG_DATABASE}.sales (${settings.rows.toLocaleString('en-US')} rows)…`);
  const t = performance.now();
  const url = await generatePostgres(settings.pgAdminUrl, settings.rows);
  section.dataSeconds = (performance.now() - t) / 1000;
  section.engineVersion = await postgresVersion(url);
  log(`  done in ${section.dataSeconds.toFixed(1)} s (${section.engineVersion})`);
  await benchEngine(section, url, ['pg', url, String(settings.poolMax)], dbhub);
  return section;
}

async function benchSqlite(dbhub) {
  const section = newSection('sqlite', 'SQLite');
  const file = path.join(WORK, 'sales.sqlite');
  log(`SQLite: generating ${path.relative(ROOT, file)} (${settings.rows.toLocaleString('en-US')} rows)…`);
  const t = performance.now();
  await generateSqlite(file, settings.rows);
  section.dataSeconds = (performance.now() - t) / 1000;
  section.engineVersion = await sqliteVersion();
  log(`  done in ${section.dataSeconds.toFixed(1)} s (${section.engineVersion})`);
  await benchEngine(section, `sqlite:${file}`, ['sqlite', file], dbhub);
  return section;
}

function newSection(engine, title) {
  return { engine, title, skipped: { sqlgate: null, dbhub: null }, servers: [], scenarios: [], selectAll: null };
}

/**
 * One engine: the servers start one after another (each timed to its first answer, then left idle), SELECT * runs
 * on the fresh sqlgate, then every workload at every concurrency is measured with the servers taking turns.
 */
async function benchEngine(section, database, floorArgs, dbhub) {
  const servers = [];
  const started = (server, firstRequest) => startedServer(section, servers, server, firstRequest);
  try {
    for (const mode of ['oauth', 'none']) {
      try {
        await started(await startSqlgate({ root: ROOT, work: WORK, engine: section.engine, title: section.title, database, mode }), LIST_TABLES);
      } catch (err) {
        if (!(err instanceof DialectNotBuilt)) throw err;
        section.skipped.sqlgate = err.message;
        log(`  sqlgate: skipped: ${err.message}`);
        break;
      }
    }
    const floor = await startNodeProcess(`floor (${section.title})`, [FLOOR, ...floorArgs]);
    await started(Object.assign(floor, {
      key: 'floor', label: 'floor', healthPath: null,
      target: (request) => (request.sql ? floorTarget(floor.port, request.sql) : floorTarget(floor.port, FLOOR_LIST_TABLES_SQL[section.engine], floorTablesOf)),
    }), AGGREGATE);
    await startDbhubOrSkip(section, database, dbhub, started);

    const gate = servers.find((s) => s.key === 'sqlgate');
    if (gate) {
      section.selectAll = await selectAll(gate);
      const a = section.selectAll;
      log(`  sqlgate SELECT * (${settings.rows.toLocaleString('en-US')} rows): truncated=${a.allTruncated}, p50 ${a.p50.toFixed(0)} ms, peak RSS ${fmt.mb(a.peakTotalKb)} (idle ${fmt.mb(a.idle.totalKb)})`);
    }

    for (const request of REQUESTS) {
      for (const concurrency of settings.concurrencies) {
        const results = await measureScenario(servers, request, concurrency, scenarioContext);
        section.scenarios.push({ query: request.key, label: request.label, concurrency, results });
        for (const server of servers) if (results[server.key]) logScenario(server.label, results[server.key]);
      }
    }
    await sleep(1_000);
    for (const server of servers) section.servers.find((s) => s.key === server.key).afterLoad = rssNow(server.pid);
  } finally {
    await Promise.all(servers.map((server) => stopProcess(server)));
  }
}

/** Records a started server's start-up and idle footprint; it joins the scenarios from here on. */
async function startedServer(section, servers, server, firstRequest) {
  ownGroups.add(server.pid); // a detached process leads its own group
  const startup = await measureStartup(server, firstRequest);
  servers.push(server);
  section.servers.push({ key: server.key, label: server.label, firstRequest: firstRequest.label, ...startup, afterLoad: null });
  log(`  ${server.label.padEnd(20)} started: ${startup.healthMs === null ? 'no health endpoint' : `health 200 after ${startup.healthMs.toFixed(0)} ms`}, first answer after ${startup.firstAnswerMs.toFixed(0)} ms, idle ${fmt.mb(startup.idle.totalKb)}`);
}

/** DBHub that cannot be installed, started or asked is reported as skipped with the reason; the run goes on. */
async function startDbhubOrSkip(section, database, dbhub, started) {
  if (dbhub.skipped) {
    section.skipped.dbhub = dbhub.skipped;
    return;
  }
  let server = null;
  try {
    server = await startDbhub({ install: dbhub, work: WORK, engine: section.engine, title: section.title, database, poolMax: settings.poolMax, maxRows: settings.maxRows });
    await started(server, LIST_TABLES);
  } catch (err) {
    // Its first error line says why (a stack trace's last lines rarely do).
    const lines = (err.output ?? server?.output ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
    const why = lines.find((l) => /error/i.test(l)) ?? lines.at(-1);
    section.skipped.dbhub = `did not start or answer: ${err.message.split('\n')[0]}${why ? ` (${why.slice(0, 300)})` : ''}`;
    log(`  DBHub: skipped: ${section.skipped.dbhub}`);
    if (server) await stopProcess(server);
  }
}

/** SELECT * over the whole table, sequentially: each answer must be cut at the default cap (1000 rows). */
async function selectAll(server) {
  const agent = new http.Agent({ keepAlive: true });
  const target = server.target({ sql: SELECT_ALL_SQL });
  const idle = rssNow(server.pid);
  const sampler = startRssSampler(server.pid);
  const latencies = [];
  let errors = 0;
  let firstError = null;
  let rowCount = null;
  for (let i = 0; i < settings.selectAllCalls; i++) {
    try {
      const { ms, result } = await callOnce(target, agent, (r) => {
        if (r.truncated !== true || r.row_count !== settings.maxRows || r.rows.length !== settings.maxRows) {
          throw new Error(`expected truncated: true and ${settings.maxRows} rows, got truncated ${r.truncated}, row_count ${r.row_count}`);
        }
      });
      latencies.push(ms);
      rowCount = result.row_count;
    } catch (err) {
      errors++;
      firstError ??= err.message;
    }
  }
  const peak = sampler.stop();
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    calls: settings.selectAllCalls, errors, firstError, allTruncated: errors === 0, rowCount, idle,
    p50: latencies[Math.floor((latencies.length - 1) / 2)] ?? NaN, max: latencies.at(-1) ?? NaN,
    ...peak,
  };
}

function logScenario(who, r) {
  const errors = r.errors || r.warmupErrors ? `, ERRORS ${r.errors} (+${r.warmupErrors} in warm-up): ${r.firstError}` : '';
  log(`  ${who.padEnd(18)} ${r.label.padEnd(16)} c=${String(r.concurrency).padEnd(2)} ${fmt.rps(r.rps).padStart(6)} req/s  p50 ${fmt.ms(r.p50)} ms  p99 ${fmt.ms(r.p99)} ms  peak ${fmt.mb(r.peakTotalKb)}  steal ${r.stealPct.toFixed(0)} %  other ${r.otherPct.toFixed(0)} %${errors}`);
}

// ---------------------------------------------------------------------------------------------------------------

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAllSync();
    process.exit(130);
  });
}
process.on('exit', killAllSync);

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  process.stderr.write(`\nbench failed: ${err.stack ?? err}\n${err.output ? `--- process output ---\n${err.output}\n` : ''}`);
} finally {
  await stopAll();
}
