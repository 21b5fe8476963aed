/**
 * GET /ready: readiness, for a load balancer or Kubernetes to decide whether to send this instance traffic. Ready
 * means the stores every request depends on answer: the audit trail (no tool call is answered without its record)
 * and, with sign-in on, the state store (no token is checked without it). Each environment's database is listed but
 * does not count: one database down makes its own tools answer "unavailable", and taking the whole instance out of
 * rotation for it would take the other environments down with it. /health stays liveness (the process answers).
 */
import type { Context } from 'hono';
import type { EnvironmentRegistry, EnvironmentStatus } from '../environments/environment.js';
import { SqlgateError, UnavailableError } from '../errors.js';
import { SQLGATE_VERSION } from '../version.js';

/** A store readiness depends on: its name in /ready's answer, and a cheap round trip that writes nothing. */
export interface StoreProbe {
  readonly name: 'state_store' | 'audit_store';
  ping(): Promise<void>;
}

/** What /ready checks, and who may see the details. */
export interface ReadyRouteOptions {
  readonly environments: EnvironmentRegistry;
  readonly stores: readonly StoreProbe[];
  /** True for a caller who gets the status only (sign-in on and not on loopback), as for /health. */
  readonly isStranger: (c: Context) => boolean;
}

/**
 * A store that takes longer than this is not ready. Under a typical probe timeout (Kubernetes: set 5 s), so that the
 * probe gets an answer that says which store hangs rather than a timeout that says nothing.
 */
const STORE_TIMEOUT_MS = 3_000;

interface StoreCheck {
  readonly name: StoreProbe['name'];
  readonly isUp: boolean;
  readonly latencyMs: number | null;
  readonly error?: string;
}

export function readyRoute(options: ReadyRouteOptions): (c: Context) => Promise<Response> {
  return async (c) => {
    const isStranger = options.isStranger(c);
    // A stranger sees no environment, so their probe costs no database round trip.
    const [stores, environments] = await Promise.all([
      Promise.all(options.stores.map(checkStore)),
      isStranger ? Promise.resolve([]) : options.environments.status(),
    ]);
    const down = stores.filter((s) => !s.isUp);
    const status = down.length === 0 ? 'ready' : 'not_ready';
    const code = down.length === 0 ? 200 : 503;
    c.header('Cache-Control', 'no-store');
    if (isStranger) return c.json({ status }, code);
    return c.json({
      status,
      version: SQLGATE_VERSION,
      ...(down.length > 0 ? { reason: down.map((s) => `${s.name.replace('_', ' ')} unreachable: ${s.error}`).join('; ') } : {}),
      stores: Object.fromEntries(stores.map((s) => [s.name, { status: s.isUp ? 'ok' : 'down', latency_ms: s.latencyMs, ...(s.error ? { error: s.error } : {}) }])),
      environments: Object.fromEntries(environments.map((e) => [e.name, databaseOf(e)])),
    }, code);
  };
}

async function checkStore(probe: StoreProbe): Promise<StoreCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`No answer within ${STORE_TIMEOUT_MS / 1_000} s.`)), STORE_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe.ping(), timeout]);
    return { name: probe.name, isUp: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    // A SqlgateError's message is written to be shown (a masked URL at most); anything else could carry more.
    const error = err instanceof SqlgateError ? err.message : 'internal error';
    return { name: probe.name, isUp: false, latencyMs: null, error };
  } finally {
    clearTimeout(timer);
  }
}

/** An environment's database as /health shows it; listed for the operator, it does not decide readiness. */
function databaseOf(e: EnvironmentStatus): Record<string, unknown> {
  return {
    status: e.database.connected ? 'connected' : 'down',
    latency_ms: e.database.latencyMs,
    ...(e.database.error ? { error: e.database.error } : {}),
    ...(e.database.failure ? { failure: e.database.failure } : {}),
  };
}
