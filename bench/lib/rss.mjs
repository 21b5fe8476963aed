/**
 * Peak resident memory of a process and its descendants (sqlgate runs one child process per SQLite connection).
 *
 * Every `intervalMs` it reads VmRSS from /proc/<pid>/status for the process and each descendant (found through
 * /proc/<pid>/task/<tid>/children). The leader's kernel high-water mark (VmHWM) is reset at start through
 * /proc/<pid>/clear_refs and read at the end, so its peak is exact even between samples. Totals add RSS, which
 * counts pages shared between processes (the node binary, shared libraries) once per process: an upper bound.
 */
import fs from 'node:fs';

export function readStatusKb(pid, field) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // exited between listing and reading
  }
}

export function descendants(pid) {
  const found = [];
  const visit = (parent) => {
    let tasks = [];
    try {
      tasks = fs.readdirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${parent}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

function resetHighWaterMark(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Current RSS in kB: the process alone, and with its descendants. */
export function rssNow(pid) {
  const mainKb = readStatusKb(pid, 'VmRSS');
  const children = descendants(pid);
  const childKb = children.reduce((sum, child) => sum + readStatusKb(child, 'VmRSS'), 0);
  return { mainKb, totalKb: mainKb + childKb, children: children.length };
}

/** Starts sampling; `stop()` returns { peakMainKb, peakTotalKb, maxChildren, samples }. */
export function startRssSampler(pid, intervalMs = 50) {
  const hwmReset = resetHighWaterMark(pid);
  let peakMainKb = 0;
  let peakTotalKb = 0;
  let maxChildren = 0;
  let samples = 0;
  const sample = () => {
    const now = rssNow(pid);
    samples++;
    peakMainKb = Math.max(peakMainKb, now.mainKb);
    peakTotalKb = Math.max(peakTotalKb, now.totalKb);
    maxChildren = Math.max(maxChildren, now.children);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      if (hwmReset) {
        const hwm = readStatusKb(pid, 'VmHWM');
        // The total was sampled; raise it by whatever the leader's exact peak adds over its sampled peak.
        if (hwm > peakMainKb) {
          peakTotalKb += hwm - peakMainKb;
          peakMainKb = hwm;
        }
      }
      return { peakMainKb, peakTotalKb, maxChildren, samples };
    },
  };
}
