/**
 * The run's results as stdout text and as bench/RESULTS.md. The side-by-side tables are in report-compare.mjs, the
 * statement gate section in report-gate.mjs.
 */
import { headlineHeaders, headlineRows, serverColumns, STARTUP_HEADERS, startupRows, targetSummary, TARGETS, workloadHeaders, workloadTables } from './report-compare.mjs';
import { cpuText, fmt, markdownTable, textTable } from './report-format.mjs';
import { GATE_START, renderGateMarkdown, renderGateText } from './report-gate.mjs';

export { fmt } from './report-format.mjs';

export const LOAD_HEADERS = ['server', 'workload', 'conc.', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'peak RSS', 'peak RSS +children', 'body', 'CPU steal', 'other CPU'];

/** Every measured scenario of one engine, server by server: the detail behind the side-by-side tables. */
export function loadRows(results, section) {
  const rows = [];
  for (const { key, label } of serverColumns(results)) {
    for (const s of section.scenarios) {
      const r = s.results[key];
      if (!r) continue;
      rows.push([label, s.label, s.concurrency, fmt.rps(r.rps), fmt.ms(r.p50), fmt.ms(r.p99), r.errors, fmt.mb(r.peakMainKb), fmt.mb(r.peakTotalKb), fmt.kbytes(r.meanBytes), fmt.pct(r.stealPct), fmt.pct(r.otherPct)]);
    }
  }
  return rows;
}

export const SELECT_ALL_HEADERS = ['engine', 'calls', 'truncated', 'p50 ms', 'max ms', 'idle RSS', 'peak RSS', 'peak RSS +children', 'errors'];

export function selectAllRows(sections) {
  return sections
    .filter((s) => s.selectAll)
    .map((s) => {
      const a = s.selectAll;
      return [s.title, a.calls, a.allTruncated ? `yes (${a.rowCount} rows)` : 'NO', fmt.ms(a.p50), fmt.ms(a.max), fmt.mb(a.idle.mainKb), fmt.mb(a.peakMainKb), fmt.mb(a.peakTotalKb), a.errors];
    });
}

// ---------------------------------------------------------------------------------------------------------------

function sectionTitle(section) {
  return `${section.title}${section.engineVersion ? ` (${section.engineVersion})` : ''}`;
}

function skippedLines(section) {
  return Object.entries(section.skipped).filter(([, reason]) => reason).map(([who, reason]) => `${who === 'dbhub' ? 'DBHub' : 'sqlgate'}: skipped: ${reason}`);
}

function errorNotes(results) {
  const columns = serverColumns(results);
  const notes = [];
  for (const section of results.sections) {
    for (const s of section.scenarios) {
      for (const { key, label } of columns) {
        const r = s.results[key];
        if (r && (r.errors || r.warmupErrors)) notes.push(`${section.title} ${label} ${s.label} c=${s.concurrency}: ${r.errors} errors (+${r.warmupErrors} in warm-up), first: ${r.firstError}`);
      }
    }
    if (section.selectAll?.errors) notes.push(`${section.title} SELECT *: ${section.selectAll.errors} errors, first: ${section.selectAll.firstError}`);
  }
  return notes;
}

function summaryText(results) {
  const { dbhub, floor } = targetSummary(results);
  const part = (t, name, target) => (t.judged ? `≥ ${target} of ${name}: met in ${t.met} of ${t.judged}` : `${name}: not compared`);
  return `${part(dbhub, 'DBHub', `${TARGETS.dbhub}×`)}; ${part(floor, 'the floor', TARGETS.floor)}`;
}

function demoSummary(demo) {
  if (!demo) return 'not measured';
  const sorted = [...demo.runs].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return `median ${median.toFixed(0)} ms, best ${sorted[0].toFixed(0)} ms of ${sorted.length} runs (${demo.runs.map((ms) => `${ms.toFixed(0)}`).join(', ')} ms; the first is cold); ${(demo.bytes / 1024 / 1024).toFixed(1)} MB file`;
}

export function renderText(results) {
  const parts = [];
  for (const section of results.sections) {
    parts.push(`== ${sectionTitle(section)} ==`, ...skippedLines(section));
    parts.push(textTable(STARTUP_HEADERS, startupRows(section)), '');
    for (const table of workloadTables(results, section)) parts.push(`-- ${table.label} --`, textTable(workloadHeaders(results), table.rows), '');
    parts.push(textTable(LOAD_HEADERS, loadRows(results, section)), '');
  }
  parts.push(`== SELECT * FROM sales (${results.settings.rows.toLocaleString('en-US')} rows, default cap), sqlgate (OAuth) ==`);
  parts.push(textTable(SELECT_ALL_HEADERS, selectAllRows(results.sections)), '');
  parts.push(`== sqlgate (OAuth) against DBHub and the floor at concurrency ${TARGETS.concurrency}: ${summaryText(results)} ==`);
  parts.push(textTable(headlineHeaders(results), headlineRows(results)), '');
  if (results.gate) parts.push(renderGateText(results.gate), '');
  parts.push(`demo generation: ${demoSummary(results.demo)}`);
  if (results.cpu) parts.push(`CPU during the measurements: ${cpuText(results.cpu)}`);
  const errors = errorNotes(results);
  parts.push(errors.length ? `ERRORS:\n  ${errors.join('\n  ')}` : 'errors: none (every response was parsed and verified)');
  return parts.join('\n');
}

export function renderMarkdown(results) {
  const { machine, settings } = results;
  const lines = [];
  lines.push('# sqlgate benchmark results', '');
  lines.push(`Generated by \`npm run bench\` (bench/run.mjs) on ${results.date.toISOString().replace('T', ' ').slice(0, 19)} UTC${results.git ? ` (${results.git})` : ''}; running it again overwrites this file (\`--only gate\` replaces only the statement gate section, which says when it was measured; sections between other \`<!-- name:start -->\` / \`<!-- name:end -->\` markers are kept). See [README.md](README.md) for the method and caveats.`, '');
  lines.push('## Machine', '');
  lines.push(`- ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.totalMemGiB.toFixed(1)} GiB memory, ${machine.os}`);
  lines.push(`- Node ${machine.node}, sqlgate ${machine.sqlgate}${results.dbhub?.version ? `, DBHub ${results.dbhub.version} (npm \`@bytebase/dbhub\`)` : ''}`);
  for (const section of results.sections) if (section.engineVersion) lines.push(`- ${section.engineVersion}`);
  lines.push('- Load generator, servers and database all on this machine, over loopback');
  if (results.background) lines.push(`- CPU in the second before the run: ${cpuText(results.background)}`);
  if (results.cpu) lines.push(`- CPU during the measurements: ${cpuText(results.cpu)}; see "CPU steal" and "other CPU" below`);
  lines.push('');

  lines.push(`## Headline: sqlgate against DBHub and the floor at concurrency ${TARGETS.concurrency}`, '');
  lines.push(`Issue 12's targets for sqlgate as deployed (OAuth on, a personal access token on every call): **≥ ${TARGETS.dbhub}× DBHub's req/s** and **≥ ${TARGETS.floor} of the floor's**, on every workload. This run: ${summaryText(results)}.`, '');
  lines.push(markdownTable(headlineHeaders(results), headlineRows(results)), '');
  if (results.dbhub?.skipped) lines.push(`- DBHub: **skipped: ${results.dbhub.skipped}**.`);
  for (const section of results.sections) for (const line of skippedLines(section)) lines.push(`- ${section.title}: **${line}**.`);
  lines.push('');

  lines.push(...methodLines(results, settings));

  for (const section of results.sections) {
    lines.push(`## ${sectionTitle(section)}`, '');
    for (const line of skippedLines(section)) lines.push(`**${line}.**`, '');
    lines.push(`Data generation: ${section.dataSeconds?.toFixed(1)} s.`, '');
    lines.push('### Start-up and memory', '');
    lines.push(markdownTable(STARTUP_HEADERS, startupRows(section)), '');
    for (const table of workloadTables(results, section)) {
      lines.push(`### ${section.title}: ${table.label}`, '');
      lines.push(markdownTable(workloadHeaders(results), table.rows), '');
    }
    lines.push('<details><summary>Every scenario: errors, peak RSS, response size, CPU</summary>', '');
    lines.push(markdownTable(LOAD_HEADERS, loadRows(results, section)), '');
    lines.push('</details>', '');
  }

  lines.push(`## SELECT * over ${settings.rows.toLocaleString('en-US')} rows with the default cap (sqlgate, OAuth)`, '');
  const selectAll = selectAllRows(results.sections);
  lines.push(selectAll.length ? markdownTable(SELECT_ALL_HEADERS, selectAll) : '_Not run (no engine available)._', '');

  lines.push('## Demo generation', '');
  lines.push(`\`ensureDemoDatabase\`: ${demoSummary(results.demo)}. The issue's target is "generated in under 2 s".`, '');

  if (results.gate) lines.push(renderGateMarkdown(results.gate, results.gateRun), '');

  lines.push('## Errors and notes', '');
  const errors = errorNotes(results);
  lines.push(errors.length ? errors.map((e) => `- **${e}**`).join('\n') : '- No errors: every response was parsed and verified.');
  for (const note of results.notes) lines.push(`- ${note}`);
  lines.push(`- Whole run: ${results.elapsedSeconds.toFixed(0)} s.`, '');
  return lines.join('\n');
}

function methodLines(results, settings) {
  const rows = settings.rows.toLocaleString('en-US');
  const dbhub = results.dbhub?.version ? `DBHub ${results.dbhub.version}` : 'DBHub';
  return [
    '## Method', '',
    `- Data: a \`sales\` table (id, region, product, amount numeric(12,2), sold_at timestamp) of ${rows} deterministic rows, generated fresh in PostgreSQL database \`sqlgate_bench\` (primary key, VACUUM ANALYZE) and in a SQLite file under bench/.work/ (ANALYZE). All servers of an engine read the same database or file.`,
    `- sqlgate (OAuth): \`node dist/main.js serve\` with one read-only environment per engine and default settings (auth.mode oauth; a user and a personal access token made with \`sqlgate users add\` / \`tokens create\`, sent as a bearer token on every call and checked against the SQLite state store; pool.max 5, max_rows 1000, log level warn), except \`max_result_chars: ${results.maxResultChars?.toLocaleString('en-US')}\`: the default result size budget (100,000 characters) would cut the 1000-row result at about 840 rows.`,
    '- sqlgate (auth off): the same with `auth: { mode: none }` and no token, its own state store.',
    `- ${dbhub}: \`npm install @bytebase/dbhub@${results.dbhub?.version ?? '…'}\` into bench/.work/dbhub/ on demand (never a project dependency), run as \`node dist/index.js --transport http --host 127.0.0.1 --port 0 --config dbhub-<engine>.toml\` without auth: one source, \`execute_sql\` with \`readonly = true\` (each statement in BEGIN READ ONLY on PostgreSQL, under PRAGMA query_only on SQLite) and \`max_rows = 1000\` (sqlgate's default cap), \`search_objects\`, and for PostgreSQL \`pool_max_connections = ${settings.poolMax}\` (sqlgate's pool). Its answers are one text content holding JSON, parsed and checked like sqlgate's.`,
    `- Floor: bench/lib/floor-server.mjs, a bare \`node:http\` server that runs the POSTed SQL with the same driver as sqlgate (PostgreSQL: \`pg.Pool\` max ${settings.poolMax}, rowMode array; SQLite: \`better-sqlite3\` read-only on the main thread) and answers \`{columns, rows, row_count}\` JSON.`,
    '- Workloads, the same question to every server (sqlgate: `execute_sql` / `list_tables`; DBHub: `execute_sql` / `search_objects`; floor: the SQL):',
    '  - small aggregate: `SELECT region, COUNT(*), SUM(amount) FROM sales WHERE id <= 10000 GROUP BY region ORDER BY region` (5 rows)',
    '  - 1000 rows: `SELECT * FROM sales ORDER BY id LIMIT 1000`',
    '  - list tables: sqlgate `list_tables` (tables and views with kind and estimated rows); DBHub `search_objects { object_type: "table" }` (its default detail level: names and schemas only); floor: one catalog query asking what sqlgate\'s introspector asks (bench/lib/requests.mjs).',
    '- MCP requests: stateless Streamable HTTP — plain JSON-RPC `tools/call` POSTs (protocol 2025-06-18, no initialize, no session), keep-alive. **Every answer is parsed and checked** (HTTP 200, no JSON-RPC error, no isError or `success: false`, expected row count, first and last values, `sales` listed); a failed check is counted as an error, not throughput.',
    `- Closed loop with ${settings.concurrencies.join(' and ')} concurrent clients, ${settings.durationMs} ms measured per scenario and server. The servers take turns in ${settings.rounds} slices each, in rounds that alternate a permutation and its reverse (with four servers: ABCD DCBA CDAB BADC), so that every server gets the same slices spread over the same time and background load drifting over time hits all alike; a server's first slice in a scenario follows ${settings.warmupMs} ms of warm-up, later ones 250 ms. req/s = verified answers completed in the measured slices / their total length; p50/p99 over those answers, as the client sees them.`,
    '- Start-up: from spawning the process to the first 200 of its health endpoint (sqlgate `/health`, DBHub `/healthz`; the floor has none) and to the first verified answer over a new connection (list tables; the floor: the small aggregate). The servers start one after another, the SQLite file and the database already in place. Idle RSS: 300 ms after that first answer, and 1 s after the last scenario.',
    '- CPU steal / other CPU: share of the machine\'s CPU capacity during the scenario that the hypervisor gave to other guests (/proc/stat), or that was busy with anything but the benchmark, its servers and their PostgreSQL backends (e.g. a test run on the same machine). Either lowers every req/s and inflates p99; compare the servers measured next to each other rather than across runs.',
    '- Peak RSS: VmRSS of the server process sampled every 50 ms (plus its exact VmHWM), and of the server plus its child processes (sqlgate runs one process per SQLite connection); the sum counts shared pages once per process.',
    `- SELECT *: \`SELECT * FROM sales\` (all ${rows} rows, no LIMIT) called ${settings.selectAllCalls} times one after another on the freshly started sqlgate (OAuth); each answer must be cut at the default cap (truncated: true, 1000 rows).`,
    '- Demo: `ensureDemoDatabase()` from dist/demo/ensure-demo.js into a fresh temporary directory, timed in the benchmark process.', '',
  ];
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Sections other runs wrote between `<!-- name:start -->` and `<!-- name:end -->` (the soak, the large-value RSS
 * measurements), carried over into a freshly rendered RESULTS.md so that `npm run bench` does not erase them. The
 * gate's markers (`bench:gate`) do not match the name pattern: that section is always rendered afresh.
 */
export function keepMarkedSections(existing, fresh) {
  let result = fresh;
  for (const match of existing.matchAll(/<!-- ([a-z0-9-]+):start -->[\s\S]*?<!-- \1:end -->/g)) {
    if (`<!-- ${match[1]}:start -->` === GATE_START || result.includes(`<!-- ${match[1]}:start -->`)) continue;
    result = `${result.replace(/\n*$/, '\n\n')}${match[0]}\n`;
  }
  return result;
}
