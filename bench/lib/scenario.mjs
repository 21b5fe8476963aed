/**
 * One scenario (a workload at one concurrency) measured on several servers that take turns in slices, so that
 * background load drifting over time (CPU steal on a shared machine, someone's test run) hits all of them alike.
 */
import { cpuDelta, cpuPercent, cpuSnapshot } from './cpu.mjs';
import { runLoad, summarize } from './load.mjs';
import { startRssSampler } from './rss.mjs';

/** Slices per server and scenario. */
export const ROUNDS = 4;
/** Warm-up before a server's later slices in a scenario: enough to refill the pipeline, not measured. */
export const LATER_WARMUP_MS = 250;

/**
 * The order in which `n` servers take their slices: ROUNDS rounds, each a permutation, in pairs of a permutation
 * and its reverse (a server's two positions in a pair add up to n - 1), so every server gets the same number of
 * slices at the same mean time. The second pair starts rotated by half, so neighbours change. For two servers this
 * is ABBA BAAB.
 */
export function sliceOrder(n) {
  const forward = Array.from({ length: n }, (_, i) => i);
  const shift = Math.ceil(n / 2);
  const rotated = forward.map((i) => (i + shift) % n);
  const rounds = [forward, [...forward].reverse(), rotated, [...rotated].reverse()];
  return Array.from({ length: ROUNDS }, (_, r) => rounds[r % rounds.length]).flat();
}

/**
 * Measures `request` at `concurrency` on every server that can answer it (`server.target(request)` not null).
 * Resolves with { [server.key]: combined result }. `context` holds the settings (durationMs per server and
 * scenario, warmupMs), the process groups that are the benchmark's own, and a list that collects every slice's CPU.
 */
export async function measureScenario(servers, request, concurrency, context) {
  const sides = servers.map((server) => ({ server, target: server.target(request), parts: [] })).filter((side) => side.target);
  for (const index of sliceOrder(sides.length)) {
    const side = sides[index];
    side.parts.push(await measureSlice(side, request, concurrency, context));
  }
  return Object.fromEntries(sides.map((side) => [side.server.key, combine(request, side.parts)]));
}

/**
 * One slice: a closed-loop run against one server, with its peak RSS and the machine's CPU meanwhile. The first
 * slice of a server in a scenario gets the full warm-up; later ones only enough to refill the pipeline.
 */
async function measureSlice(side, request, concurrency, { settings, ownGroups, sliceCpu }) {
  const warmupMs = side.parts.length === 0 ? settings.warmupMs : Math.min(LATER_WARMUP_MS, settings.warmupMs);
  const durationMs = settings.durationMs / ROUNDS;
  const sampler = startRssSampler(side.server.pid);
  const cpuBefore = cpuSnapshot(ownGroups);
  const run = await runLoad(side.target, request.verify, { concurrency, warmupMs, durationMs });
  const peak = sampler.stop();
  const cpu = cpuDelta(cpuBefore, cpuSnapshot(ownGroups));
  sliceCpu.push(cpu);
  return { run, cpu, ...peak };
}

function combine(request, parts) {
  return {
    query: request.key,
    label: request.label,
    ...summarize(parts.map((p) => p.run)),
    ...cpuPercent(parts.map((p) => p.cpu)),
    peakMainKb: Math.max(...parts.map((p) => p.peakMainKb)),
    peakTotalKb: Math.max(...parts.map((p) => p.peakTotalKb)),
    maxChildren: Math.max(...parts.map((p) => p.maxChildren)),
  };
}
