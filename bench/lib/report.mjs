/** Formatting: aligned text tables for stdout and the Markdown of bench/RESULTS.md. */

export const fmt = {
  rps: (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–'),
  ms: (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–'),
  mb: (kb) => (Number.isFinite(kb) && kb > 0 ? `${(kb / 1024).toFixed(0)} MB` : '–'),
  kbytes: (bytes) => (bytes > 0 ? `${(bytes / 1024).toFixed(1)} kB` : '–'),
  pct: (n) => (Number.isFinite(n) ? `${n.toFixed(0)} %` : '–'),
  us: (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–'),
};

const fmtUs = fmt.us;

/** Plain text table with right-aligned numeric-looking cells. */
export function textTable(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const isNumeric = (s) => /^[-–\d.,\s%]+(ms|MB|kB|%)?$/.test(String(s));
  const line = (cells) => cells.map((c, i) => (isNumeric(c) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(headers, rows) {
  const numericColumn = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[-–\d.,\s%]+(ms|MB|kB|%)?$/.test(String(r[i]))));
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (numericColumn[i] ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`),
  ].join('\n');
}

/** Rows of the load table of one engine: sqlgate and floor scenarios with the floor ratio. */
export function loadRows(section) {
  const floorOf = (query, concurrency) => section.floor.find((f) => f.query === query && f.concurrency === concurrency);
  const rows = [];
  for (const s of section.sqlgate) {
    const floor = floorOf(s.query, s.concurrency);
    rows.push([
      'sqlgate', s.label, s.concurrency, fmt.rps(s.rps), fmt.ms(s.p50), fmt.ms(s.p99), s.errors,
      fmt.mb(s.peakMainKb), fmt.mb(s.peakTotalKb), fmt.kbytes(s.meanBytes), fmt.pct(s.stealPct), fmt.pct(s.otherPct), floor ? fmt.pct((100 * s.rps) / floor.rps) : '–',
    ]);
  }
  for (const f of section.floor) {
    rows.push(['floor', f.label, f.concurrency, fmt.rps(f.rps), fmt.ms(f.p50), fmt.ms(f.p99), f.errors, fmt.mb(f.peakMainKb), fmt.mb(f.peakTotalKb), fmt.kbytes(f.meanBytes), fmt.pct(f.stealPct), fmt.pct(f.otherPct), '']);
  }
  return rows;
}

export const LOAD_HEADERS = ['server', 'request', 'conc.', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'peak RSS', 'peak RSS +children', 'body', 'CPU steal', 'other CPU', '% of floor'];

/** The headline: sqlgate's req/s as a share of the floor at the highest concurrency, per engine and query. */
export function headlineRows(sections, concurrency) {
  const rows = [];
  for (const section of sections) {
    for (const f of section.floor.filter((x) => x.concurrency === concurrency)) {
      const s = section.sqlgate.find((x) => x.query === f.query && x.concurrency === concurrency);
      rows.push([
        section.title, f.label, s ? fmt.rps(s.rps) : '–', fmt.rps(f.rps),
        s ? fmt.pct((100 * s.rps) / f.rps) : section.skipped ? 'skipped' : '–',
        s ? ((100 * s.rps) / f.rps >= 70 ? 'yes' : 'NO') : '–',
      ]);
    }
  }
  return rows;
}

export const HEADLINE_HEADERS = ['engine', 'request', 'sqlgate req/s', 'floor req/s', '% of floor', '≥ 70 %'];

export function selectAllRows(sections) {
  return sections
    .filter((s) => s.selectAll)
    .map((s) => {
      const a = s.selectAll;
      return [s.title, a.calls, a.allTruncated ? `yes (${a.rowCount} rows)` : 'NO', fmt.ms(a.p50), fmt.ms(a.max), fmt.mb(a.idle.mainKb), fmt.mb(a.peakMainKb), fmt.mb(a.peakTotalKb), a.errors];
    });
}

export const SELECT_ALL_HEADERS = ['engine', 'calls', 'truncated', 'p50 ms', 'max ms', 'idle RSS', 'peak RSS', 'peak RSS +children', 'errors'];

// ---------------------------------------------------------------------------------------------------------------

function cpuText(c) {
  if (!Number.isFinite(c.busyPct)) return 'not measured';
  return `${c.busyPct.toFixed(0)} % busy, ${c.otherPct.toFixed(0)} % used by other processes (not the benchmark, its servers or their PostgreSQL backends), ${c.stealPct.toFixed(0)} % stolen by the hypervisor`;
}

function rssText(r) {
  if (!r) return '–';
  if (r.children === 0) return `${fmt.mb(r.mainKb)} (no child processes)`;
  return `${fmt.mb(r.mainKb)} (${fmt.mb(r.totalKb)} with ${r.children} child process${r.children === 1 ? '' : 'es'})`;
}

function sectionTitle(section) {
  return `${section.title}${section.engineVersion ? ` (${section.engineVersion})` : ''}`;
}

function errorNotes(results) {
  const notes = [];
  for (const section of results.sections) {
    for (const [who, list] of [['sqlgate', section.sqlgate], ['floor', section.floor]]) {
      for (const r of list) {
        if (r.errors || r.warmupErrors) notes.push(`${section.title} ${who} ${r.label} c=${r.concurrency}: ${r.errors} errors (+${r.warmupErrors} in warm-up), first: ${r.firstError}`);
      }
    }
    if (section.selectAll?.errors) notes.push(`${section.title} SELECT *: ${section.selectAll.errors} errors, first: ${section.selectAll.firstError}`);
  }
  return notes;
}

const topConcurrency = (results) => Math.max(...results.settings.concurrencies);

export function renderText(results) {
  const c = topConcurrency(results);
  const parts = [];
  for (const section of results.sections) {
    parts.push(`== ${sectionTitle(section)} ==`);
    if (section.skipped) parts.push(`sqlgate: skipped: ${section.skipped}`);
    if (section.idle) parts.push(`sqlgate RSS idle: ${rssText(section.idle)}; after the load: ${rssText(section.afterLoad)}`);
    parts.push(textTable(LOAD_HEADERS, loadRows(section)), '');
  }
  parts.push(`== SELECT * FROM sales (${results.settings.rows.toLocaleString('en-US')} rows, default cap) ==`);
  parts.push(textTable(SELECT_ALL_HEADERS, selectAllRows(results.sections)), '');
  parts.push(`== sqlgate as % of the floor at concurrency ${c} (aim ≥ 70 %) ==`);
  parts.push(textTable(HEADLINE_HEADERS, headlineRows(results.sections, c)), '');
  if (results.gate) parts.push(renderGateText(results.gate), '');
  parts.push(`demo generation: ${demoSummary(results.demo)}`);
  if (results.cpu) parts.push(`CPU during the measurements: ${cpuText(results.cpu)}`);
  const errors = errorNotes(results);
  parts.push(errors.length ? `ERRORS:\n  ${errors.join('\n  ')}` : 'errors: none (every response was parsed and verified)');
  return parts.join('\n');
}

function demoSummary(demo) {
  if (!demo) return 'not measured';
  const sorted = [...demo.runs].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return `median ${median.toFixed(0)} ms, best ${sorted[0].toFixed(0)} ms of ${sorted.length} runs (${demo.runs.map((ms) => `${ms.toFixed(0)}`).join(', ')} ms; the first is cold); ${(demo.bytes / 1024 / 1024).toFixed(1)} MB file`;
}

export function renderMarkdown(results) {
  const { machine, settings } = results;
  const c = topConcurrency(results);
  const lines = [];
  lines.push('# sqlgate benchmark results', '');
  lines.push(`Generated by \`npm run bench\` (bench/run.mjs) on ${results.date.toISOString().replace('T', ' ').slice(0, 19)} UTC; running it again overwrites this file (\`--only gate\` replaces only the statement gate section, which says when it was measured). See [README.md](README.md) for the method and caveats.`, '');
  lines.push('## Machine', '');
  lines.push(`- ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.totalMemGiB.toFixed(1)} GiB memory, ${machine.os}`);
  lines.push(`- Node ${machine.node}, sqlgate ${machine.sqlgate}`);
  for (const section of results.sections) if (section.engineVersion) lines.push(`- ${section.engineVersion}`);
  lines.push('- Load generator, sqlgate/floor server and database all on this machine, over loopback');
  if (results.background) lines.push(`- CPU in the second before the run: ${cpuText(results.background)}`);
  if (results.cpu) lines.push(`- CPU during the measurements: ${cpuText(results.cpu)}; see "CPU steal" and "other CPU" below`);
  lines.push('');

  lines.push(`## Headline: sqlgate as % of the floor at concurrency ${c}`, '');
  lines.push('Aim: ≥ 70 % of a bare `node:http` server running the same query with the same driver.', '');
  lines.push(markdownTable(HEADLINE_HEADERS, headlineRows(results.sections, c)), '');
  const skipped = results.sections.filter((section) => section.skipped);
  if (skipped.length) lines.push(...skipped.map((section) => `- ${section.title}: skipped: ${section.skipped}.`), '');

  lines.push('## Method', '');
  lines.push(`- Data: a \`sales\` table (id, region, product, amount numeric(12,2), sold_at timestamp) of ${settings.rows.toLocaleString('en-US')} deterministic rows, generated fresh in PostgreSQL database \`sqlgate_bench\` (primary key, VACUUM ANALYZE) and in a SQLite file under bench/.work/ (ANALYZE).`);
  lines.push(`- sqlgate: \`node dist/main.js serve\` with one read-only environment per engine and default settings (OAuth on: every call carries a personal access token, checked against the SQLite state store; pool.max 5, max_rows 1000, log level warn), except \`max_result_chars: ${results.maxResultChars?.toLocaleString('en-US')}\`: the default result size budget (100,000 characters) would cut the 1000-row result at about 840 rows.`);
  lines.push('- Requests: stateless Streamable HTTP — plain JSON-RPC `tools/call` POSTs (protocol 2025-06-18, no initialize), keep-alive. Every answer is parsed and checked (no isError, expected row_count and values); failures are counted as errors, not throughput.');
  lines.push(`  - small aggregate: \`SELECT region, COUNT(*), SUM(amount) FROM sales WHERE id <= 10000 GROUP BY region ORDER BY region\` (5 rows)`);
  lines.push(`  - 1000 rows: \`SELECT * FROM sales ORDER BY id LIMIT 1000\``);
  lines.push('  - `list_tables` (no arguments)');
  lines.push(`- Closed loop with ${settings.concurrencies.join(' and ')} concurrent clients, ${settings.durationMs} ms measured per scenario and server. sqlgate and the floor run side by side and take turns in slices (sqlgate, floor, floor, sqlgate, floor, sqlgate, sqlgate, floor) so that background load drifting over time hits both alike; a server's first slice in a scenario follows ${settings.warmupMs} ms of warm-up, later ones 250 ms. req/s = answers completed in the measured slices / their total length; p50/p99 over those answers.`);
  lines.push('- CPU steal / other CPU: share of the machine\'s CPU capacity during the scenario that the hypervisor gave to other guests (/proc/stat), or that was busy with anything but the benchmark, its servers and their PostgreSQL backends (e.g. a test run on the same machine). Either lowers every req/s and inflates p99; compare sqlgate with the floor measured next to it rather than across runs.');
  lines.push(`- Floor: bench/lib/floor-server.mjs, a bare \`node:http\` server that runs the POSTed SQL with the same driver (PostgreSQL: \`pg.Pool\` max ${settings.poolMax}, rowMode array; SQLite: \`better-sqlite3\` read-only on the main thread) and answers \`{columns, rows, row_count}\` JSON. Same load generator.`);
  lines.push('- Peak RSS: VmRSS of the server process sampled every 50 ms (plus its exact VmHWM), and of the server plus its child processes (sqlgate runs one process per SQLite connection); the sum counts shared pages once per process.');
  lines.push(`- SELECT *: \`SELECT * FROM sales\` (all ${settings.rows.toLocaleString('en-US')} rows, no LIMIT) called ${settings.selectAllCalls} times one after another on a freshly started sqlgate; each answer must be cut at the default cap (truncated: true, 1000 rows; with the default max_result_chars the size budget would cut it earlier, at about 840 rows).`);
  lines.push('- Demo: `ensureDemoDatabase()` from dist/demo/ensure-demo.js into a fresh temporary directory, timed in the benchmark process.', '');

  for (const section of results.sections) {
    lines.push(`## ${sectionTitle(section)}`, '');
    if (section.skipped) lines.push(`sqlgate: **skipped: ${section.skipped}**. The floor numbers below are the reference for when it is.`, '');
    lines.push(`Data generation: ${section.dataSeconds?.toFixed(1)} s.`);
    if (section.idle) lines.push(`sqlgate RSS idle after its first call: ${rssText(section.idle)}; idle 1 s after the load: ${rssText(section.afterLoad)}.`);
    lines.push('');
    lines.push(markdownTable(LOAD_HEADERS, loadRows(section)), '');
  }

  lines.push(`## SELECT * over ${settings.rows.toLocaleString('en-US')} rows with the default cap`, '');
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

// ---------------------------------------------------------------------------------------------------------------
// The statement gate's cost (gate-cost.mjs). Its Markdown sits between markers, so that `--only gate` can replace
// it in an existing RESULTS.md and keep every other section.

export const GATE_START = '<!-- bench:gate:start -->';
export const GATE_END = '<!-- bench:gate:end -->';

export const GATE_HEADERS = ['dialect', 'read', 'calls per query', 'p50 µs', 'p99 µs', 'max µs', 'slowest query by p99 (its p99 µs)', 'p99 < 1 ms', 'rules load ms', 'first call ms', 'CPU steal', 'other CPU'];

export function gateRows(gate) {
  return gate.dialects.map((d) => [
    d.title, `${d.accepted}/${d.queryCount}`, `${d.callsPerQuery}${d.timeBounded ? ' (time-bounded)' : ''}`, fmtUs(d.p50), fmtUs(d.p99), fmtUs(d.max),
    d.slowest ? `${d.slowest.label} (${fmtUs(d.slowest.p99)})` : '–',
    d.calls === 0 ? '–' : d.underAim ? 'yes' : 'NO',
    d.loadMs.toFixed(0), d.firstCallMs.toFixed(1), fmt.pct(d.stealPct), fmt.pct(d.otherPct),
  ]);
}

const GATE_QUERY_HEADERS = ['dialect', 'query', 'chars', 'calls', 'p50 µs', 'p99 µs', 'max µs'];

function gateQueryRows(gate) {
  const rows = [];
  for (const d of gate.dialects) {
    for (const q of d.queries) rows.push([d.title, q.label, q.chars, q.calls, fmtUs(q.p50), fmtUs(q.p99), fmtUs(q.max)]);
    for (const r of d.refusals) rows.push([d.title, `${r.label}: **refused**`, r.sql.length, 0, '–', '–', '–']);
  }
  return rows;
}

function refusalText(r) {
  return `${r.dialect} · ${r.label}: ${r.code ?? r.name}: ${r.message}`;
}

export function renderGateText(gate) {
  const parts = [`== Statement gate: parse-and-check time per statement (aim p99 < 1 ms) ==`];
  parts.push(textTable(GATE_HEADERS, gateRows(gate)));
  if (gate.refusals.length) {
    parts.push(`GATE FAILED: ${gate.refusals.length} false rejection(s) of typical reads:`);
    for (const r of gate.refusals) parts.push(`  ${refusalText(r)}`);
  } else {
    parts.push(`false rejections: none (every query was classified read)`);
  }
  return parts.join('\n');
}

/**
 * The gate section. `run` says how it was produced: { command, machine, background (CPU before), git }.
 */
export function renderGateMarkdown(gate, run) {
  const { settings } = gate;
  const total = gate.dialects.reduce((n, d) => n + d.queryCount, 0);
  const counts = [...new Set(gate.dialects.map((d) => d.queryCount))].sort((x, y) => x - y);
  const perDialect = counts.length > 1 ? `${counts[0]}–${counts.at(-1)}` : String(counts[0] ?? 0);
  const lines = [GATE_START, '## Statement gate cost', ''];
  lines.push(`Parse-and-check time of the statement gate (\`classify()\` from dist/guard/rules/, no database) per statement, for ${perDialect} typical analytic queries written in each dialect (${total} in all; bench/lib/gate-queries.mjs). Aim: **p99 under 1 ms**.`, '');
  lines.push(`Measured by \`${run.command}\` on ${gate.date.toISOString().replace('T', ' ').slice(0, 19)} UTC: Node ${run.machine.node}, sqlgate ${run.machine.sqlgate}${run.git ? ` (${run.git})` : ''}, ${run.machine.nproc} CPUs (${run.machine.cpuModel}).${run.background ? ` CPU in the second before: ${cpuText(run.background)}.` : ''}${Number.isFinite(gate.cpu.busyPct) ? ` During the measurement: ${cpuText(gate.cpu)} (the measuring loop itself keeps one CPU busy).` : ''}`, '');
  lines.push(markdownTable(GATE_HEADERS, gateRows(gate)), '');
  if (gate.refusals.length) {
    lines.push(`**False rejections: ${gate.refusals.length}: the benchmark FAILED.** Each of these is a valid read in its dialect that the gate refused; it is not in the timings above.`, '');
    for (const r of gate.refusals) {
      lines.push(`- **${refusalText(r)}**${r.hint ? ` (hint: ${r.hint})` : ''}`, '', '  ```sql', ...r.sql.split('\n').map((l) => `  ${l}`), '  ```', '');
    }
  } else {
    lines.push(`False rejections: none: all ${total} queries were classified \`read\`.`, '');
  }
  lines.push('<details><summary>Per query</summary>', '');
  lines.push(markdownTable(GATE_QUERY_HEADERS, gateQueryRows(gate)), '');
  lines.push('</details>', '');
  lines.push(`- Method: per dialect the rules are loaded (rules load ms: importing the grammar or WASM parser and building the rules; first call ms: the first classify, cold), each query is classified once and must come back \`read\` (a refusal is a false rejection and fails the benchmark), then ${settings.warmup} warm-up calls per query, then rounds of ${settings.batch} calls per query in turn until each query has ${settings.iterations.toLocaleString('en-US')} calls or the dialect has spent ${settings.maxMsPerQuery.toLocaleString('en-US')} ms per query (time-bounded); every query gets the same number of calls, so each weighs the same. Every call is timed on its own with \`process.hrtime.bigint()\`; p50/p99/max are over all calls of the dialect, "slowest query" is the query with the highest p99 of its own.`);
  lines.push('- Single-threaded and synchronous: this is CPU time of the Node process that serves the request, paid once per `execute_sql` before the database sees the statement. Garbage collection pauses count in the calls they interrupt. CPU steal or other CPU above a few percent means the machine was shared and p99/max are inflated.');
  lines.push(GATE_END);
  return lines.join('\n');
}

/**
 * Puts the gate section into an existing RESULTS.md: between its markers when present, else before "## Errors and
 * notes" (or at the end). Everything else is kept as it is.
 */
/**
 * Sections other runs wrote between `<!-- name:start -->` and `<!-- name:end -->` (the soak, the large-value RSS
 * measurements), carried over into a freshly rendered RESULTS.md so that `npm run bench` does not erase them.
 */
export function keepMarkedSections(existing, fresh) {
  let result = fresh;
  for (const match of existing.matchAll(/<!-- ([a-z0-9-]+):start -->[\s\S]*?<!-- \1:end -->/g)) {
    if (`<!-- ${match[1]}:start -->` === GATE_START || result.includes(`<!-- ${match[1]}:start -->`)) continue;
    result = `${result.replace(/\n*$/, '\n\n')}${match[0]}\n`;
  }
  return result;
}

export function replaceGateSection(existing, section) {
  const start = existing.indexOf(GATE_START);
  const end = existing.indexOf(GATE_END);
  if (start >= 0 && end > start) return existing.slice(0, start) + section + existing.slice(end + GATE_END.length);
  const errors = existing.indexOf('\n## Errors and notes');
  if (errors >= 0) return `${existing.slice(0, errors + 1)}${section}\n\n${existing.slice(errors + 1)}`;
  return `${existing.replace(/\n*$/, '\n\n')}${section}\n`;
}

/** RESULTS.md when `--only gate` finds none: the header, the machine and the gate section. */
export function renderGateOnlyMarkdown(gate, run) {
  const { machine } = run;
  return [
    '# sqlgate benchmark results', '',
    'Only the statement gate section has been measured so far (`node bench/run.mjs --only gate`); `npm run bench` writes the rest. See [README.md](README.md) for the method and caveats.', '',
    '## Machine', '',
    `- ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.totalMemGiB.toFixed(1)} GiB memory, ${machine.os}`,
    `- Node ${machine.node}, sqlgate ${machine.sqlgate}`, '',
    renderGateMarkdown(gate, run), '',
  ].join('\n');
}
