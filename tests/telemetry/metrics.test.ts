/**
 * The metrics module on its own: what each observer records, that labels stay bounded, that the registry is the
 * server's own (never prom-client's global one), and that its text — process metrics included — passes
 * `promtool check metrics`. The same series from a real server are asserted in tests/e2e/metrics.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, REFUSAL_CODES } from '../../src/telemetry/metrics.js';
import type { PoolReading } from '../../src/telemetry/observers.js';
import { MISNAMED_DEFAULT_GAUGES } from '../../src/telemetry/process-metrics.js';
import { hasPrometheusTools, PROMTOOL, promtoolCheckMetrics, sampleValue } from '../support/prometheus.js';

const METRICS_DOC = fs.readFileSync(new URL('../../docs/operations/metrics.md', import.meta.url), 'utf8');

const bare = (pools: () => readonly PoolReading[] = () => []) => createMetrics({ version: '9.9.9', withoutProcessMetrics: true, pools });

describe('metrics', () => {
  it('keeps a registry of its own: prom-client\'s global registry stays empty, and two servers never share counts', async () => {
    const one = bare();
    const two = bare();
    one.securityEvent({ action: 'sign_in', verdict: 'allowed' });
    expect(sampleValue(await one.render(), 'sqlgate_sign_ins_total', { outcome: 'ok' })).toBe(1);
    expect(sampleValue(await two.render(), 'sqlgate_sign_ins_total', { outcome: 'ok' })).toBe(0);
    expect(await globalRegistry.metrics()).not.toContain('sqlgate_');
    expect(one.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(await one.render(), 'sqlgate_build_info', { version: '9.9.9' })).toBe(1);
  });

  it('counts tool calls by environment, tool, outcome and code, with latency, rows and result characters', async () => {
    const metrics = bare();
    metrics.toolCall({ environment: 'demo', tool: 'execute_sql', outcome: 'ok', code: null, seconds: 0.02, rows: 5, resultChars: 300 });
    metrics.toolCall({ environment: 'demo', tool: 'execute_sql', outcome: 'ok', code: null, seconds: 0.2, rows: 7, resultChars: 100 });
    metrics.toolCall({ environment: 'demo', tool: 'execute_sql', outcome: 'refused', code: 'SG_READ_ONLY', seconds: 0.001, rows: null, resultChars: null });
    metrics.toolCall({ environment: 'demo', tool: 'describe_table', outcome: 'refused', code: 'SG_POLICY_DENIED', seconds: 0.001, rows: null, resultChars: null });
    metrics.toolCall({ environment: 'pg', tool: 'execute_sql', outcome: 'failed', code: 'SG_TIMEOUT', seconds: 30, rows: null, resultChars: null });
    const text = await metrics.render();
    expect(text).toContain('sqlgate_tool_calls_total{environment="demo",tool="execute_sql",outcome="ok"} 2');
    expect(sampleValue(text, 'sqlgate_tool_calls_total', { environment: 'demo', tool: 'execute_sql', outcome: 'refused', code: 'SG_READ_ONLY' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_tool_calls_total', { environment: 'pg', tool: 'execute_sql', outcome: 'failed', code: 'SG_TIMEOUT' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_tool_result_rows_total', { environment: 'demo', tool: 'execute_sql' })).toBe(12);
    expect(sampleValue(text, 'sqlgate_tool_result_chars_total', { environment: 'demo', tool: 'execute_sql' })).toBe(400);
    expect(sampleValue(text, 'sqlgate_tool_call_duration_seconds_count', { environment: 'demo', tool: 'execute_sql', outcome: 'ok' })).toBe(2);
    expect(sampleValue(text, 'sqlgate_tool_call_duration_seconds_bucket', { environment: 'demo', tool: 'execute_sql', outcome: 'ok', le: '0.025' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_tool_call_duration_seconds_sum', { environment: 'pg', tool: 'execute_sql', outcome: 'failed' })).toBe(30);
    // A policy refusal inside a tool call is also a refusal; a read-only refusal is only a refused call.
    expect(sampleValue(text, 'sqlgate_refusals_total', { code: 'SG_POLICY_DENIED', stage: 'tool_call' })).toBe(1);
    expect(text).not.toMatch(/sqlgate_refusals_total\{code="SG_READ_ONLY"/);
  });

  it('counts only the rate-limit and policy refusals, from the HTTP layer and tool calls, each at 0 from the start', async () => {
    const metrics = bare();
    for (const code of REFUSAL_CODES) for (const stage of ['tool_call', 'http']) expect(sampleValue(await metrics.render(), 'sqlgate_refusals_total', { code, stage })).toBe(0);
    metrics.refusal('SG_RATE_LIMITED', 'http');
    metrics.refusal('SG_UNAUTHORIZED', 'http');
    const text = await metrics.render();
    expect(sampleValue(text, 'sqlgate_refusals_total', { code: 'SG_RATE_LIMITED', stage: 'http' })).toBe(1);
    expect(text).not.toContain('SG_UNAUTHORIZED');
  });

  it('times statements per environment and audit writes by outcome', async () => {
    const metrics = bare();
    const demo = metrics.statementObserver('demo');
    demo({ seconds: 0.004, outcome: 'ok' });
    demo({ seconds: 31, outcome: 'timeout' });
    metrics.auditWrite({ seconds: 0.0007, isCommitted: true });
    metrics.auditWrite({ seconds: 0.3, isCommitted: false });
    const text = await metrics.render();
    expect(sampleValue(text, 'sqlgate_db_statement_duration_seconds_bucket', { environment: 'demo', outcome: 'ok', le: '0.005' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_db_statement_duration_seconds_count', { environment: 'demo', outcome: 'timeout' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_audit_write_duration_seconds_bucket', { outcome: 'committed', le: '0.001' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_audit_write_duration_seconds_count', { outcome: 'failed' })).toBe(1);
  });

  it('reads the connection pools on each scrape', async () => {
    let inUse = 1;
    const metrics = bare(() => [{ environment: 'demo', size: 3, inUse, waiting: 2, max: 5 }]);
    let text = await metrics.render();
    expect(sampleValue(text, 'sqlgate_db_pool_connections', { environment: 'demo' })).toBe(3);
    expect(sampleValue(text, 'sqlgate_db_pool_connections_in_use', { environment: 'demo' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_db_pool_waiting_requests', { environment: 'demo' })).toBe(2);
    expect(sampleValue(text, 'sqlgate_db_pool_max_connections', { environment: 'demo' })).toBe(5);
    inUse = 3;
    text = await metrics.render();
    expect(sampleValue(text, 'sqlgate_db_pool_connections_in_use', { environment: 'demo' })).toBe(3);
  });

  it('maps the authorization server\'s events to sign-ins and tokens, and ignores every other action', async () => {
    const metrics = bare();
    for (const action of ['sign_in', 'sign_in_failed', 'sign_in_failed', 'locked_out', 'token_issued', 'token_refreshed', 'token_refused', 'consent_given', 'constructor', '__proto__']) {
      metrics.securityEvent({ action, verdict: 'allowed' });
    }
    const text = await metrics.render();
    expect(sampleValue(text, 'sqlgate_sign_ins_total', { outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_sign_ins_total', { outcome: 'failed' })).toBe(2);
    expect(sampleValue(text, 'sqlgate_sign_ins_total', { outcome: 'locked_out' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_oauth_tokens_total', { outcome: 'issued' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_oauth_tokens_total', { outcome: 'refreshed' })).toBe(1);
    expect(sampleValue(text, 'sqlgate_oauth_tokens_total', { outcome: 'refused' })).toBe(1);
    expect(text.match(/^sqlgate_sign_ins_total\{/gm)).toHaveLength(3);
  });

  it('counts open SSE streams; closing one twice counts once', async () => {
    const metrics = bare();
    const first = metrics.sseStreamOpened('/:env/sse');
    metrics.sseStreamOpened('/:env/sse');
    first();
    first();
    expect(sampleValue(await metrics.render(), 'sqlgate_sse_streams_open', { route: '/:env/sse' })).toBe(1);
  });

  it('has the process metrics, less the gauges named like counters', async () => {
    const text = await createMetrics({ version: '1.0.0' }).render();
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).toContain('# TYPE nodejs_active_handles gauge');
    for (const name of MISNAMED_DEFAULT_GAUGES) expect(text).not.toContain(name);
  });

  it.skipIf(!hasPrometheusTools())('passes promtool check metrics, process metrics and every series included', async () => {
    const metrics = createMetrics({ version: '1.0.0', pools: () => [{ environment: 'demo', size: 1, inUse: 0, waiting: 0, max: 5 }] });
    metrics.httpRequest({ route: '/:env/mcp', method: 'POST', status: 200, seconds: 0.01 });
    metrics.sseStreamOpened('/:env/sse');
    metrics.toolCall({ environment: 'demo', tool: 'execute_sql', outcome: 'ok', code: null, seconds: 0.02, rows: 5, resultChars: 300 });
    metrics.toolCall({ environment: 'demo', tool: 'execute_sql', outcome: 'refused', code: 'SG_RATE_LIMITED', seconds: 0.001, rows: null, resultChars: null });
    metrics.statementObserver('demo')({ seconds: 0.01, outcome: 'ok' });
    metrics.auditWrite({ seconds: 0.001, isCommitted: true });
    metrics.securityEvent({ action: 'sign_in_failed', verdict: 'refused' });
    const text = await metrics.render();
    const checked = await promtoolCheckMetrics(text);
    expect(checked, checked.output).toEqual({ code: 0, output: '' });
  });

  it('are each described in docs/operations/metrics.md, which names no series that does not exist', async () => {
    const metrics = bare(() => [{ environment: 'demo', size: 1, inUse: 0, waiting: 0, max: 5 }]);
    const registered = [...(await metrics.render()).matchAll(/^# TYPE (sqlgate_\w+) /gm)].map((m) => m[1]!).sort();
    const documented = [...new Set([...METRICS_DOC.matchAll(/^\| `(sqlgate_\w+)(?:\{[^`]*\})?` \|/gm)].map((m) => m[1]!))].sort();
    expect(registered.length).toBeGreaterThan(15);
    expect(documented).toEqual(registered);
  });

  it.skipIf(!hasPrometheusTools())('alert rules in docs/operations/metrics.md pass promtool check rules', () => {
    const rules = /```yaml\n(groups:[\s\S]*?)```/.exec(METRICS_DOC)?.[1];
    expect(rules).toBeDefined();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-rules-'));
    try {
      fs.writeFileSync(path.join(dir, 'rules.yml'), rules!);
      const checked = spawnSync(PROMTOOL, ['check', 'rules', path.join(dir, 'rules.yml')], { encoding: 'utf8' });
      expect(checked.status, `${checked.stdout}${checked.stderr}`).toBe(0);
      expect(checked.stdout).toMatch(/SUCCESS: \d+ rules found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasPrometheusTools())('is what promtool refuses without removing the misnamed gauges (the reason they go)', async () => {
    const { Registry, collectDefaultMetrics } = await import('prom-client');
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const checked = await promtoolCheckMetrics(await registry.metrics());
    expect(checked.code).toBe(3);
    expect(checked.output).toContain('nodejs_active_handles_total');
  });
});
