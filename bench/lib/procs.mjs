/**
 * Starting and stopping the processes the benchmark measures (sqlgate, the floor server, DBHub).
 *
 * Each one is spawned detached, so it leads its own process group: stopping it signals the whole group, which
 * also reaches sqlgate's SQLite connection processes. Every started process is remembered, and `stopAll()` (run
 * from run.mjs's finally and from signal handlers) ends whatever is still alive, even after a failure.
 */
import { spawn } from 'node:child_process';

const running = new Set();

/**
 * Spawns `node <args>` and resolves once a stdout line matches `readyPattern` (its first capture group is the
 * port). Rejects with the process's output when it exits first or does not become ready in time. The record's
 * `spawnedAt` (performance.now() just before the spawn) is where start-up times are measured from.
 */
export function startNodeProcess(name, args, { readyPattern = /listening on http:\/\/127\.0\.0\.1:(\d+)/, timeoutMs = 20_000, env, cwd } = {}) {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, {
    detached: true,
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const proc = { name, child, pid: child.pid, port: 0, output: '', exited: false, spawnedAt };
  running.add(proc);
  child.on('exit', () => {
    proc.exited = true;
    running.delete(proc);
  });

  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => fail(new Error(`${name} was not ready within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk) => {
      proc.output += chunk.toString();
      if (proc.output.length > 20_000) proc.output = proc.output.slice(-20_000);
      const match = !ready && proc.output.match(readyPattern);
      if (match) {
        ready = true;
        clearTimeout(timer);
        proc.port = Number(match[1]);
        proc.readyLine = match[0];
        resolve(proc);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => fail(err));
    child.on('exit', (code, signal) => fail(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready:\n${proc.output.trim()}`)));

    function fail(err) {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      stopProcess(proc).finally(() => reject(Object.assign(err, { output: proc.output })));
    }
  });
}

/** SIGTERM to the process group, then SIGKILL to the group after `graceMs` (or at once when the leader is gone). */
export async function stopProcess(proc, graceMs = 3_000) {
  const signalGroup = (signal) => {
    try {
      process.kill(-proc.pid, signal);
    } catch {
      // group already gone
    }
  };
  if (!proc.exited) {
    const exited = new Promise((resolve) => proc.child.once('exit', resolve));
    signalGroup('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) signalGroup('SIGKILL');
    await Promise.race([exited, sleep(2_000)]);
  }
  // Whatever the leader left behind in its group (e.g. SQLite connection processes) goes too.
  signalGroup('SIGKILL');
  running.delete(proc);
}

export async function stopAll() {
  await Promise.all([...running].map((proc) => stopProcess(proc, 1_000)));
}

/** Synchronous last resort for process exit: SIGKILL every group still known. */
export function killAllSync() {
  for (const proc of running) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  running.clear();
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
