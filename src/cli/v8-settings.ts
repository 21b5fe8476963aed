/**
 * V8 settings that suit a long-running server, set before any other sqlgate module loads (issue 12).
 *
 * WebAssembly stays on Liftoff, V8's baseline compiler. PostgreSQL's statement gate runs libpg-query, the real
 * PostgreSQL parser compiled to WebAssembly; by default V8 recompiles its hot functions with TurboFan in the
 * background, and for the parser's giant functions that compile alone took ~500 MB of memory for a moment (a server
 * idling at 115 MB peaked at 690 MB on its first hundred queries) and left ~40 MB more resident for good. On Liftoff
 * the gate parses ~18 % slower (p50 100 → 120 µs on bench/lib/gate-queries.mjs, p99 still ~0.5 ms): far cheaper than
 * the memory. The two flags are what `node --liftoff-only` sets; a tiering flag given to node itself wins.
 *
 * The young generation keeps its starting size while sqlgate starts. Start-up allocates a lot in a short time (module
 * code, schemas, the configuration), and V8 doubles the young generation after every scavenge that finds much
 * alive: it reached 2 × 16 MB, resident at idle for good (idle RSS 115 MB, 101 MB without it; start-up takes no
 * longer). Once the server is ready, V8's own growth factor applies again, so a server under load sizes it as
 * before. A semi-space size given to node itself wins.
 */
import v8 from 'node:v8';

const TIERING_FLAGS: readonly (readonly [flag: string, name: string])[] = [
  ['--no-wasm-tier-up', 'wasm-tier-up'],
  ['--no-wasm-dynamic-tiering', 'wasm-dynamic-tiering'],
];

/** V8's default --semi-space-growth-factor, which the server gets back once it is ready. */
const DEFAULT_SEMI_SPACE_GROWTH = 2;

const givenToNode = (execArgv: readonly string[], name: string) => execArgv.some((arg) => arg.replace(/_/g, '-').includes(name));

export function applyServerV8Settings(execArgv: readonly string[] = process.execArgv): void {
  if (!givenToNode(execArgv, 'semi-space')) v8.setFlagsFromString('--semi-space-growth-factor=1');
  if (givenToNode(execArgv, 'liftoff-only')) return;
  for (const [flag, name] of TIERING_FLAGS) if (!givenToNode(execArgv, name)) v8.setFlagsFromString(flag);
}

/** Called once the server is ready: the young generation may grow with the load again. */
export function releaseStartupV8Settings(execArgv: readonly string[] = process.execArgv): void {
  if (!givenToNode(execArgv, 'semi-space')) v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_SEMI_SPACE_GROWTH}`);
}
