/**
 * The side-by-side tables: sqlgate (OAuth, as deployed), sqlgate (auth off), the floor and DBHub on the same
 * workload in the same run, with the ratios issue 12 sets targets for, and each server's start-up and memory.
 */
import { fmt } from './report-format.mjs';

/** Issue 12: sqlgate as deployed at least 1.3× DBHub's throughput and at least 0.85 of the floor's, at concurrency 10. */
export const TARGETS = { dbhub: 1.3, floor: 0.85, concurrency: 10 };

/** The servers in the order of the columns; a label comes from the run (DBHub's carries its version). */
const SERVER_KEYS = ['sqlgate', 'sqlgate-open', 'floor', 'dbhub'];
const DEFAULT_LABELS = { sqlgate: 'sqlgate (OAuth)', 'sqlgate-open': 'sqlgate (auth off)', floor: 'floor', dbhub: 'DBHub' };

export function serverColumns(results) {
  const labels = { ...DEFAULT_LABELS };
  for (const section of results.sections) for (const s of section.servers) labels[s.key] = s.label;
  if (results.dbhub?.version) labels.dbhub = `DBHub ${results.dbhub.version}`;
  return SERVER_KEYS.map((key) => ({ key, label: labels[key] }));
}

/** sqlgate (OAuth) req/s divided by DBHub's and by the floor's; NaN where either is missing. */
export function ratiosOf(scenario) {
  const { sqlgate, dbhub, floor } = scenario.results;
  const ratio = (other) => (sqlgate && other && other.rps > 0 ? sqlgate.rps / other.rps : NaN);
  return { dbhub: ratio(dbhub), floor: ratio(floor) };
}

/**
 * Whether a ratio meets its target, judged only at the issue's concurrency. Errors of sqlgate fail it: an error is
 * not throughput, and a fast stream of them must not look like a met target.
 */
function verdict(scenario, value, target) {
  if (scenario.concurrency !== TARGETS.concurrency || !Number.isFinite(value)) return '';
  if (scenario.results.sqlgate?.errors) return 'not met (errors)';
  return value >= target ? 'met' : 'NOT MET';
}

function ratioCell(scenario, value, target) {
  const judged = verdict(scenario, value, target);
  return judged ? `${fmt.ratio(value)} (${judged})` : fmt.ratio(value);
}

function resultCell(result) {
  if (!result) return '–';
  return `${fmt.rps(result.rps)} req/s, ${fmt.ms(result.p50)} / ${fmt.ms(result.p99)} ms${result.errors ? `, ${result.errors} ERRORS` : ''}`;
}

export function workloadHeaders(results) {
  return ['conc.', ...serverColumns(results).map((c) => `${c.label}: req/s, p50 / p99`), `÷ DBHub (≥ ${TARGETS.dbhub}×)`, `÷ floor (≥ ${TARGETS.floor})`];
}

/** The workloads of one engine, each with its rows (one per concurrency), for one table per workload. */
export function workloadTables(results, section) {
  const columns = serverColumns(results);
  const workloads = [...new Set(section.scenarios.map((s) => s.query))];
  return workloads.map((query) => {
    const scenarios = section.scenarios.filter((s) => s.query === query);
    return {
      label: scenarios[0].label,
      rows: scenarios.map((s) => {
        const ratios = ratiosOf(s);
        return [s.concurrency, ...columns.map((c) => resultCell(s.results[c.key])), ratioCell(s, ratios.dbhub, TARGETS.dbhub), ratioCell(s, ratios.floor, TARGETS.floor)];
      }),
    };
  });
}

export function headlineHeaders(results) {
  return ['engine', 'workload', ...serverColumns(results).map((c) => `${c.label} req/s`), 'sqlgate ÷ DBHub', `≥ ${TARGETS.dbhub}×`, 'sqlgate ÷ floor', `≥ ${TARGETS.floor}`];
}

/** Every engine and workload at the issue's concurrency: throughputs, the two ratios and whether they meet the targets. */
export function headlineRows(results) {
  const columns = serverColumns(results);
  const rows = [];
  for (const section of results.sections) {
    for (const s of section.scenarios.filter((x) => x.concurrency === TARGETS.concurrency)) {
      const ratios = ratiosOf(s);
      rows.push([
        section.title, s.label, ...columns.map((c) => (s.results[c.key] ? fmt.rps(s.results[c.key].rps) : skippedText(section, c.key))),
        fmt.ratio(ratios.dbhub), verdict(s, ratios.dbhub, TARGETS.dbhub) || '–', fmt.ratio(ratios.floor), verdict(s, ratios.floor, TARGETS.floor) || '–',
      ]);
    }
  }
  return rows;
}

function skippedText(section, key) {
  if (key === 'dbhub' && section.skipped.dbhub) return 'skipped';
  if (key.startsWith('sqlgate') && section.skipped.sqlgate) return 'skipped';
  return '–';
}

/** Targets met at the issue's concurrency, over every engine and workload with both numbers: "3/6 met". */
export function targetSummary(results) {
  const summary = { dbhub: { met: 0, judged: 0 }, floor: { met: 0, judged: 0 } };
  for (const section of results.sections) {
    for (const s of section.scenarios.filter((x) => x.concurrency === TARGETS.concurrency)) {
      const ratios = ratiosOf(s);
      for (const key of ['dbhub', 'floor']) {
        const judged = verdict(s, ratios[key], TARGETS[key]);
        if (!judged) continue;
        summary[key].judged++;
        if (judged === 'met') summary[key].met++;
      }
    }
  }
  return summary;
}

export const STARTUP_HEADERS = ['server', 'start → health 200 ms', 'start → first answer ms', 'first request', 'idle RSS after start', '+children', 'idle RSS after the load', '+children'];

/** Per server of one engine: start-up times, and idle RSS after start and 1 s after the load. The floor has no health endpoint. */
export function startupRows(section) {
  const ms = (n) => (Number.isFinite(n) ? n.toFixed(0) : '–');
  return section.servers.map((s) => [
    s.label, s.healthMs === null ? '–' : ms(s.healthMs), ms(s.firstAnswerMs), s.firstRequest,
    fmt.mb(s.idle?.mainKb), childrenText(s.idle), fmt.mb(s.afterLoad?.mainKb), childrenText(s.afterLoad),
  ]);
}

function childrenText(rss) {
  if (!rss) return '–';
  return rss.children === 0 ? '–' : `${fmt.mb(rss.totalKb)} (${rss.children})`;
}
