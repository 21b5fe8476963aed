/**
 * Start-up cost of a server, measured from the moment it is spawned (procs.mjs `spawnedAt`):
 *   - health: until its health endpoint (sqlgate /health, DBHub /healthz) first answers 200; the floor has none;
 *   - first answer: until the first verified answer to a real request (list tables for sqlgate and DBHub, the
 *     small aggregate for the floor), over a new connection: what a client waiting for a fresh server sees.
 * Then the idle footprint once the server has settled.
 */
import http from 'node:http';
import { callOnce, getStatus } from './load.mjs';
import { sleep } from './procs.mjs';
import { rssNow } from './rss.mjs';

const POLL_MS = 5;
/** How long a server gets to settle after its first answer before its idle RSS is read. */
const SETTLE_MS = 300;

/** Resolves with { healthMs, firstAnswerMs, idle } and leaves the server idle. */
export async function measureStartup(server, request, { timeoutMs = 20_000 } = {}) {
  const deadline = server.spawnedAt + timeoutMs;
  let healthMs = null;
  if (server.healthPath) {
    while ((await getStatus(server.port, server.healthPath)) !== 200) {
      if (performance.now() > deadline) throw new Error(`${server.name}: ${server.healthPath} did not answer 200 within ${timeoutMs} ms`);
      await sleep(POLL_MS);
    }
    healthMs = performance.now() - server.spawnedAt;
  }
  const agent = new http.Agent({ keepAlive: false });
  try {
    await callOnce(server.target(request), agent, request.verify);
  } catch (err) {
    throw new Error(`${server.name}: its first ${request.label} request failed: ${err.message}`);
  } finally {
    agent.destroy();
  }
  const firstAnswerMs = performance.now() - server.spawnedAt;
  await sleep(SETTLE_MS);
  return { healthMs, firstAnswerMs, idle: rssNow(server.pid) };
}
