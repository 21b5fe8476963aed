/**
 * sqlgate's Prometheus metrics: one registry per server (never prom-client's global one, so two servers in one
 * process — tests, or a future admin listener — never mix their counts), the series docs/operations/metrics.md
 * describes, and the observers the instrumented layers are handed (telemetry/observers.ts).
 *
 * Every label takes its values from a bounded set: route templates (never raw paths), configured environment and tool
 * names, SG_* codes and fixed outcome words. A label fed from a request (a path, a user, a client id) would let anyone
 * with a URL grow the registry without bound.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditWriteObserver, PoolReading, SecurityEventObserver, StatementObserver, ToolCallObserver } from './observers.js';
import { collectProcessMetrics } from './process-metrics.js';

/** What the HTTP layer reports once per request (http/request-metrics.ts). */
export interface ObservedRequest {
  /** The route template (`/:env/mcp`, `/health`, `unmatched`), never the raw path. */
  readonly route: string;
  /** GET, POST …, or `other` for a method sqlgate does not serve. */
  readonly method: string;
  readonly status: number;
  /** Until the response headers were ready (a stream's body is not waited for). */
  readonly seconds: number;
}

/** Where a rate-limit or policy refusal was answered: inside a tool call, or by the HTTP layer before any call ran. */
export type RefusalStage = 'tool_call' | 'http';

/** The metrics of one server. Recording never throws and never blocks; `render` is what a scrape gets. */
export interface Metrics {
  /** The Content-Type of `render`'s text (the Prometheus text format 0.0.4). */
  readonly contentType: string;
  render(): Promise<string>;
  httpRequest(request: ObservedRequest): void;
  /** Counts an SSE stream as open; call the returned function once, when it ends. */
  sseStreamOpened(route: string): () => void;
  readonly toolCall: ToolCallObserver;
  /** The statement observer of one environment, for db/run-query.ts. */
  statementObserver(environment: string): StatementObserver;
  readonly auditWrite: AuditWriteObserver;
  readonly securityEvent: SecurityEventObserver;
  /** Counts a refusal by one of REFUSAL_CODES; other codes are ignored (tool_calls_total has them). */
  refusal(code: string, stage: RefusalStage): void;
}

/** What createMetrics needs from the server it measures. */
export interface MetricsOptions {
  /** sqlgate's version, for sqlgate_build_info. */
  readonly version: string;
  /** Reads every environment's connection pool; called on each scrape. */
  readonly pools?: () => readonly PoolReading[];
  /** Leave out the process and Node.js metrics (unit tests that create many registries). */
  readonly withoutProcessMetrics?: boolean;
}

/** The refusals counted on their own, wherever they are answered: the ones an operator tunes (limits, policy). */
export const REFUSAL_CODES: ReadonlySet<string> = new Set(['SG_RATE_LIMITED', 'SG_POLICY_DENIED']);

/** Tool calls and statements: a catalog lookup takes milliseconds, a report query may run into its timeout. */
const CALL_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** HTTP answers: mostly fast, a tool call's answer as slow as the call. */
const HTTP_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** An audit append is an fsync'd insert (SQLite) or a round trip (PostgreSQL): well under a millisecond to a few. */
const AUDIT_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The authorization server's actions that are counted, by the metric and outcome label they count under. */
const SIGN_IN_OUTCOMES: Readonly<Record<string, string>> = { sign_in: 'ok', sign_in_failed: 'failed', locked_out: 'locked_out' };
const TOKEN_OUTCOMES: Readonly<Record<string, string>> = { token_issued: 'issued', token_refreshed: 'refreshed', token_refused: 'refused' };

export function createMetrics(options: MetricsOptions): Metrics {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  if (!options.withoutProcessMetrics) collectProcessMetrics(registry);

  new Gauge({ name: 'sqlgate_build_info', help: 'Always 1; the version label says which sqlgate is running.', labelNames: ['version'], registers })
    .set({ version: options.version }, 1);

  const httpRequests = new Counter({ name: 'sqlgate_http_requests_total', help: 'HTTP requests answered, by route template, method and status.', labelNames: ['route', 'method', 'status'], registers });
  const httpSeconds = new Histogram({ name: 'sqlgate_http_request_duration_seconds', help: 'Time until the response headers were ready, by route template and method.', labelNames: ['route', 'method'], buckets: HTTP_SECONDS, registers });
  const sseStreams = new Gauge({ name: 'sqlgate_sse_streams_open', help: 'Server-sent event streams open now (legacy SSE sessions and streamed MCP responses), by route template.', labelNames: ['route'], registers });

  const toolCalls = new Counter({ name: 'sqlgate_tool_calls_total', help: 'Tool calls answered, by environment, tool and outcome (ok, refused, failed); code is the SG_* error code.', labelNames: ['environment', 'tool', 'outcome', 'code'], registers });
  const toolSeconds = new Histogram({ name: 'sqlgate_tool_call_duration_seconds', help: 'Tool call latency from the call to its answer (audit write included), by environment, tool and outcome.', labelNames: ['environment', 'tool', 'outcome'], buckets: CALL_SECONDS, registers });
  const resultRows = new Counter({ name: 'sqlgate_tool_result_rows_total', help: 'Rows returned by tool calls, by environment and tool.', labelNames: ['environment', 'tool'], registers });
  const resultChars = new Counter({ name: 'sqlgate_tool_result_chars_total', help: 'Characters of tool results (text and structured content), by environment and tool.', labelNames: ['environment', 'tool'], registers });
  const refusals = new Counter({ name: 'sqlgate_refusals_total', help: 'Rate-limit (SG_RATE_LIMITED) and policy (SG_POLICY_DENIED) refusals, by code and where they were answered (tool_call, http).', labelNames: ['code', 'stage'], registers });

  const statementSeconds = new Histogram({ name: 'sqlgate_db_statement_duration_seconds', help: 'Database statement latency (pool wait excluded), by environment and outcome (ok, failed, timeout, cancelled).', labelNames: ['environment', 'outcome'], buckets: CALL_SECONDS, registers });
  const pools = options.pools ?? (() => []);
  const poolGauge = (name: string, help: string, read: (pool: PoolReading) => number) => new Gauge({
    name, help, labelNames: ['environment'], registers,
    collect() {
      for (const pool of pools()) this.set({ environment: pool.environment }, read(pool));
    },
  });
  poolGauge('sqlgate_db_pool_connections', 'Database connections open (in use, idle or being opened), by environment.', (p) => p.size);
  poolGauge('sqlgate_db_pool_connections_in_use', 'Database connections lent to a statement now, by environment.', (p) => p.inUse);
  poolGauge('sqlgate_db_pool_waiting_requests', 'Requests waiting for a free database connection, by environment.', (p) => p.waiting);
  poolGauge('sqlgate_db_pool_max_connections', 'The pool size limit (pool.max), by environment.', (p) => p.max);

  const auditSeconds = new Histogram({ name: 'sqlgate_audit_write_duration_seconds', help: 'Time to commit one audit record, by outcome (committed, failed).', labelNames: ['outcome'], buckets: AUDIT_SECONDS, registers });
  const signIns = new Counter({ name: 'sqlgate_sign_ins_total', help: 'Sign-ins at sqlgate\'s authorization server, by outcome (ok, failed, locked_out).', labelNames: ['outcome'], registers });
  const tokens = new Counter({ name: 'sqlgate_oauth_tokens_total', help: 'OAuth token requests, by outcome (issued, refreshed, refused).', labelNames: ['outcome'], registers });

  // Series an alert divides by or compares exist from the start, at 0: a rate over a series that appears only with
  // its first failure misses that failure.
  for (const outcome of new Set(Object.values(SIGN_IN_OUTCOMES))) signIns.inc({ outcome }, 0);
  for (const outcome of new Set(Object.values(TOKEN_OUTCOMES))) tokens.inc({ outcome }, 0);
  for (const code of REFUSAL_CODES) for (const stage of ['tool_call', 'http']) refusals.inc({ code, stage }, 0);
  for (const outcome of ['committed', 'failed']) auditSeconds.zero({ outcome });

  const refusal = (code: string, stage: RefusalStage) => {
    if (REFUSAL_CODES.has(code)) refusals.inc({ code, stage });
  };

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    httpRequest({ route, method, status, seconds }) {
      httpRequests.inc({ route, method, status: String(status) });
      httpSeconds.observe({ route, method }, seconds);
    },
    sseStreamOpened(route) {
      sseStreams.inc({ route });
      let isOpen = true;
      return () => {
        if (!isOpen) return;
        isOpen = false;
        sseStreams.dec({ route });
      };
    },
    toolCall(call) {
      const { environment, tool, outcome } = call;
      toolCalls.inc({ environment, tool, outcome, ...(call.code === null ? {} : { code: call.code }) });
      toolSeconds.observe({ environment, tool, outcome }, call.seconds);
      if (call.rows !== null) resultRows.inc({ environment, tool }, call.rows);
      if (call.resultChars !== null) resultChars.inc({ environment, tool }, call.resultChars);
      if (outcome === 'refused' && call.code !== null) refusal(call.code, 'tool_call');
    },
    statementObserver: (environment) => ({ seconds, outcome }) => statementSeconds.observe({ environment, outcome }, seconds),
    auditWrite: ({ seconds, isCommitted }) => auditSeconds.observe({ outcome: isCommitted ? 'committed' : 'failed' }, seconds),
    securityEvent({ action }) {
      if (Object.hasOwn(SIGN_IN_OUTCOMES, action)) signIns.inc({ outcome: SIGN_IN_OUTCOMES[action]! });
      if (Object.hasOwn(TOKEN_OUTCOMES, action)) tokens.inc({ outcome: TOKEN_OUTCOMES[action]! });
    },
    refusal,
  };
}
