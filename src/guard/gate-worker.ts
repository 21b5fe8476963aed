/**
 * The gate worker's entry (a piscina worker thread, off-thread-rules.ts): classifies and shapes one long statement
 * with the same rules the main thread has, loaded once per dialect in this thread.
 */
import { loadRules, runGateJob, type GateJob, type GateJobResult, type RulesKey } from './gate-job.js';
import type { StatementRules } from './statement-gate.js';

const loaded = new Map<RulesKey, Promise<StatementRules>>();

export default async function classifyOffThread(job: GateJob): Promise<GateJobResult> {
  let rules = loaded.get(job.rules);
  if (!rules) {
    rules = loadRules(job.rules);
    loaded.set(job.rules, rules);
  }
  return runGateJob(await rules, job);
}
