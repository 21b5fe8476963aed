/**
 * The statement gate's cost: how long `classify()` (parse and check, see src/guard/statement-gate.ts) takes per
 * statement for typical analytic queries (gate-queries.mjs), per dialect, in this process. The rules come from the
 * build (dist/guard/rules/*.js), so `npm run build` first. They are the bare rules, without the server's verdict
 * cache (src/guard/cached-rules.ts, which answers a repeated exact text without parsing): every call here parses and
 * checks, which is what a statement the server has not seen before costs.
 *
 * Per dialect: load the rules (timed: the cold start of the parser), classify every query once (it must come back
 * `read`; anything else is a false rejection and a benchmark failure), warm up, then measure in rounds: each round
 * classifies every query `batch` times, so that background load drifting over time hits all queries alike, until
 * each query has `iterations` calls or the dialect has used its time budget (`maxMsPerQuery` × queries); every query
 * ends with the same number of calls. Every call is timed on its own with
 * process.hrtime.bigint(); garbage collection pauses fall into the calls they interrupt, as they would in the server.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuDelta, cpuPercent, cpuSnapshot, ownProcessGroup } from './cpu.mjs';
import { GATE_DIALECTS } from './gate-queries.mjs';
import { percentile } from './load.mjs';
import { fmt } from './report-format.mjs';

/** The issue's aim: parse-and-check under 1 ms at p99. */
export const GATE_AIM_US = 1_000;

const OPTIONS = Object.freeze({ allowedFunctions: Object.freeze([]) });

export function gateSettings(env = process.env) {
  return {
    iterations: Number(env.BENCH_GATE_ITERATIONS ?? 2_000),
    warmup: Number(env.BENCH_GATE_WARMUP ?? 200),
    maxMsPerQuery: Number(env.BENCH_GATE_MAX_MS ?? 2_000),
    batch: 50,
    dialects: (env.BENCH_GATE_DIALECTS ?? GATE_DIALECTS.map((d) => d.key).join(',')).split(',').map((d) => d.trim()),
  };
}

/**
 * Runs the measurement for every configured dialect. `root` is the repository (dist/ below it); `ownGroups` the
 * process groups whose CPU is the benchmark's own (for "other CPU"). Returns plain data for report.mjs.
 */
export async function measureGateCost({ root, settings = gateSettings(), ownGroups = new Set([ownProcessGroup()]), log = () => {} }) {
  const unknown = settings.dialects.filter((key) => !GATE_DIALECTS.some((d) => d.key === key));
  if (unknown.length) throw new Error(`unknown dialect(s) in BENCH_GATE_DIALECTS: ${unknown.join(', ')} (known: ${GATE_DIALECTS.map((d) => d.key).join(', ')})`);
  // The server's V8 settings (dist/cli/v8-settings.js: WebAssembly on Liftoff), set as `sqlgate serve` sets them
  // before the first rules module compiles its parser, so the gate is timed as the server runs it.
  (await import(pathToFileURL(path.join(root, 'dist', 'cli', 'v8-settings.js')).href)).applyServerV8Settings();
  const started = new Date();
  const dialects = [];
  for (const dialect of GATE_DIALECTS.filter((d) => settings.dialects.includes(d.key))) {
    dialects.push(await measureDialect(root, dialect, settings, ownGroups, log));
  }
  return {
    date: started,
    settings,
    dialects,
    refusals: dialects.flatMap((d) => d.refusals.map((r) => ({ dialect: d.title, ...r }))),
    cpu: cpuPercent(dialects.map((d) => d.cpuDelta)),
  };
}

async function measureDialect(root, dialect, settings, ownGroups, log) {
  const url = pathToFileURL(path.join(root, 'dist', 'guard', 'rules', dialect.module)).href;
  let t = process.hrtime.bigint();
  const rules = await dialect.create(await import(url));
  const loadMs = elapsedUs(t) / 1000;

  // Each query once: the first call of the dialect is the cold one (JIT, lazily built tables).
  const refusals = [];
  const queries = [];
  let firstCallMs = NaN;
  for (const query of dialect.queries) {
    t = process.hrtime.bigint();
    const outcome = classifyOnce(rules, query.sql);
    if (Number.isNaN(firstCallMs)) firstCallMs = elapsedUs(t) / 1000;
    if (outcome.refusal) {
      refusals.push({ query: query.key, label: query.label, sql: query.sql, ...outcome.refusal });
      log(`  ${dialect.title}: FALSE REJECTION of "${query.label}": ${outcome.refusal.code ?? outcome.refusal.name}: ${outcome.refusal.message}`);
    } else {
      queries.push({ ...query, chars: query.sql.length, samples: new Float64Array(settings.iterations) });
    }
  }

  for (let i = 0; i < settings.warmup; i++) for (const query of queries) rules.classify(query.sql, OPTIONS);

  const cpuBefore = cpuSnapshot(ownGroups);
  // The budget is the dialect's: every query gets the same number of calls, so each weighs the same in its percentiles.
  const budgetUs = settings.maxMsPerQuery * 1000 * queries.length;
  const measuredStart = process.hrtime.bigint();
  let calls = 0;
  let spentUs = 0;
  while (queries.length > 0 && calls < settings.iterations && spentUs < budgetUs) {
    const end = Math.min(settings.iterations, calls + settings.batch);
    for (const { sql, samples, label } of queries) {
      for (let i = calls; i < end; i++) {
        const before = process.hrtime.bigint();
        const verdict = rules.classify(sql, OPTIONS);
        const us = Number(process.hrtime.bigint() - before) / 1000;
        if (verdict.kind !== 'read') throw new Error(`${dialect.title} ${label}: classified ${verdict.kind} during the measurement`);
        samples[i] = us;
        spentUs += us;
      }
    }
    calls = end;
    await new Promise((resolve) => setImmediate(resolve)); // let signals in between rounds
  }
  const measuredSeconds = elapsedUs(measuredStart) / 1e6;
  const delta = cpuDelta(cpuBefore, cpuSnapshot(ownGroups));

  const perQuery = queries.map((query) => {
    const sorted = query.samples.slice(0, calls).sort();
    return { key: query.key, label: query.label, chars: query.chars, calls, sorted, ...stats(sorted) };
  });
  const all = new Float64Array(perQuery.reduce((n, q) => n + q.calls, 0));
  let offset = 0;
  for (const q of perQuery) {
    all.set(q.sorted, offset);
    offset += q.calls;
    delete q.sorted;
  }
  all.sort();
  const slowest = perQuery.reduce((worst, q) => (worst === null || q.p99 > worst.p99 ? q : worst), null);
  const overall = stats(all);
  const result = {
    key: dialect.key,
    title: dialect.title,
    queryCount: dialect.queries.length,
    accepted: queries.length,
    loadMs,
    firstCallMs,
    calls: all.length,
    callsPerQuery: calls,
    timeBounded: queries.length > 0 && calls < settings.iterations,
    ...overall,
    slowest: slowest && { key: slowest.key, label: slowest.label, p99: slowest.p99 },
    underAim: all.length > 0 && overall.p99 < GATE_AIM_US,
    queries: perQuery,
    refusals,
    measuredSeconds,
    cpuDelta: delta,
    ...cpuPercent([delta]),
  };
  log(`  ${dialect.title.padEnd(10)} ${String(calls).padStart(5)} calls per query  p50 ${fmtUs(result.p50)} µs  p99 ${fmtUs(result.p99)} µs  max ${fmtUs(result.max)} µs  slowest p99: ${slowest ? `${slowest.label} ${fmtUs(slowest.p99)} µs` : '–'}  (rules loaded in ${loadMs.toFixed(0)} ms, first call ${firstCallMs.toFixed(1)} ms; steal ${result.stealPct.toFixed(0)} %, other ${result.otherPct.toFixed(0)} %)${refusals.length ? `  ${refusals.length} FALSE REJECTION(S)` : ''}`);
  return result;
}

/** Classifies once; returns { verdict } or { refusal } (an exception, or a verdict other than read). */
function classifyOnce(rules, sql) {
  try {
    const verdict = rules.classify(sql, OPTIONS);
    if (verdict.kind === 'read') return { verdict };
    return { refusal: { name: 'verdict', code: null, message: `classified as ${verdict.kind}${verdict.reason ? ` (${verdict.reason})` : ''}, not read`, hint: null } };
  } catch (err) {
    return { refusal: { name: err?.name ?? 'Error', code: err?.code ?? null, message: err?.message ?? String(err), hint: err?.hint ?? null } };
  }
}

function stats(sorted) {
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

const fmtUs = fmt.us;

function elapsedUs(since) {
  return Number(process.hrtime.bigint() - since) / 1000;
}
