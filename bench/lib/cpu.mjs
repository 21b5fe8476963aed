/**
 * Machine-wide CPU accounting from /proc, to show how noisy a measurement was:
 * - steal: capacity the hypervisor gave to other virtual machines while this one wanted to run;
 * - other: capacity used by anything that is not the benchmark: busy time (/proc/stat) minus the CPU time of the
 *   benchmark's own processes (its process group and the groups of the servers it started) and of the PostgreSQL
 *   backends connected to the benchmark database. A test run started by someone else on the machine shows here.
 * Both take CPU from the servers under test: throughput drops and p99 grows with them.
 */
import fs from 'node:fs';
import { PG_DATABASE } from './data.mjs';

/** Cumulative clock ticks: machine totals and, per pid, the benchmark's own processes. */
export function cpuSnapshot(ownGroups = new Set()) {
  let machine = { total: 0, idle: 0, steal: 0 };
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = fields;
    machine = { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
  } catch {
    // not Linux: no accounting
  }
  return { ...machine, own: ownProcesses(ownGroups) };
}

function ownProcesses(ownGroups) {
  const result = new Map();
  let pids = [];
  try {
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return result;
  }
  const parents = new Map();
  const ticksOf = new Map();
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const isOwn = ownGroups.has(Number(fields[2])) || (comm === 'postgres' && isBenchBackend(pid));
      if (isOwn) result.set(pid, ticks);
      else {
        parents.set(pid, fields[1]);
        ticksOf.set(pid, ticks);
      }
    } catch {
      // exited meanwhile
    }
  }
  // A server's children are its own work too, in process groups of their own (sqlgate's SQLite connection
  // processes are detached): a process whose parent is the benchmark's counts as the benchmark's.
  for (let added = true; added; ) {
    added = false;
    for (const [pid, parent] of parents) {
      if (!result.has(parent)) continue;
      result.set(pid, ticksOf.get(pid));
      parents.delete(pid);
      added = true;
    }
  }
  return result;
}

/** A backend's process title names its database: "postgres: 15/main: postgres sqlgate_bench 127.0.0.1(…) idle". */
function isBenchBackend(pid) {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${PG_DATABASE} `);
}

/** Difference of two snapshots, to be added up and turned into percentages with `cpuPercent`. */
export function cpuDelta(before, after) {
  let own = 0;
  for (const [pid, ticks] of after.own) own += Math.max(0, ticks - (before.own.get(pid) ?? 0));
  return { total: after.total - before.total, idle: after.idle - before.idle, steal: after.steal - before.steal, own };
}

/** Shares of the machine's CPU capacity: busy (anything), stolen, and busy with something other than the benchmark. */
export function cpuPercent(deltas) {
  const sum = (key) => deltas.reduce((acc, d) => acc + d[key], 0);
  const total = sum('total');
  if (total <= 0) return { stealPct: NaN, busyPct: NaN, otherPct: NaN };
  const busy = total - sum('idle') - sum('steal');
  return {
    stealPct: (100 * sum('steal')) / total,
    busyPct: (100 * busy) / total,
    otherPct: (100 * Math.max(0, busy - sum('own'))) / total,
  };
}

/** Process group of this process (the benchmark and anything it runs without detaching). */
export function ownProcessGroup() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return process.pid;
  }
}
