/**
 * V8 settings that suit a long-running server, set before any other sqlgate module loads (issue 12).
 *
 * WebAssembly stays on Liftoff, V8's baseline compiler. PostgreSQL's statement gate runs libpg-query, the real
 * PostgreSQL parser compiled to WebAssembly; by default V8 recompiles its hot functions with TurboFan in the
 * background, and for the parser's giant functions that compile alone took ~500 MB of memory for a moment (a server
 * idling at 115 MB peaked at 690 MB on its first hundred queries) and left ~40 MB more resident for good. On Liftoff
 * the gate parses ~18 % slower (p50 100 → 120 µs on bench/lib/gate-queries.mjs, p99 still ~0.5 ms): far cheaper than
 * the memory. The two flags are what `node --liftoff-only` sets; a tiering flag given to node itself wins.
 */
import v8 from 'node:v8';

const TIERING_FLAGS: readonly (readonly [flag: string, name: string])[] = [
  ['--no-wasm-tier-up', 'wasm-tier-up'],
  ['--no-wasm-dynamic-tiering', 'wasm-dynamic-tiering'],
];

export function applyServerV8Settings(execArgv: readonly string[] = process.execArgv): void {
  const given = (name: string) => execArgv.some((arg) => arg.replace(/_/g, '-').includes(name));
  if (given('liftoff-only')) return;
  for (const [flag, name] of TIERING_FLAGS) if (!given(name)) v8.setFlagsFromString(flag);
}
