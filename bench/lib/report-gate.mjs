/**
 * The statement gate's cost (gate-cost.mjs) as text and Markdown. Its Markdown sits between markers, so that
 * `--only gate` can replace it in an existing RESULTS.md and keep every other section.
 */
import { cpuText, fmt, markdownTable, textTable } from './report-format.mjs';

const fmtUs = fmt.us;

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
