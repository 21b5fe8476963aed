/**
 * OpenTelemetry traces: one span per HTTP request, per tool call, per gate check and per database statement, each
 * the child of the one around it. Off by default: `withSpan` then only calls its function, and the OpenTelemetry
 * libraries are never loaded. With `telemetry.otlp_endpoint` set, `startTracing` loads them, registers an
 * AsyncLocalStorage context manager (so a span started inside an awaited call finds its parent) and exports in
 * batches over OTLP/HTTP.
 *
 * The process has one tracing, like it has one logger level: the instrumented code (http/, mcp/, tools/, db/) calls
 * `withSpan` and never sees OpenTelemetry's types.
 */
import type { TelemetryConfig } from '../config/telemetry-schema.js';
import type { Logger } from './logger.js';

/** Attributes of a span: strings, numbers and booleans only (what every exporter takes). */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** What the code inside a span may add to it once it knows more (a response status, a row count). */
export interface SpanHandle {
  setAttribute(key: string, value: string | number | boolean): void;
}

const NO_SPAN: SpanHandle = { setAttribute: () => undefined };

interface Tracing {
  span<T>(name: string, attributes: SpanAttributes, run: (span: SpanHandle) => Promise<T>): Promise<T>;
  /** Whether spans may carry SQL text (telemetry.include_sql). */
  readonly includesSql: boolean;
  /** Exports what is still buffered and stops. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { span: (_name, _attributes, run) => run(NO_SPAN), includesSql: false, shutdown: async () => undefined };
let active: Tracing = OFF;

/** Runs `run` inside a span named `name` (a child of the current one); a thrown error marks the span failed. */
export function withSpan<T>(name: string, attributes: SpanAttributes, run: (span: SpanHandle) => Promise<T>): Promise<T> {
  return active.span(name, attributes, run);
}

/** Whether spans may carry SQL text. */
export function tracingIncludesSql(): boolean {
  return active.includesSql;
}

/**
 * Starts exporting spans when the configuration asks for it; returns the function that flushes and stops them
 * (a no-op when tracing is off). Starting again replaces the previous tracing (tests start several servers).
 */
export async function startTracing(config: TelemetryConfig, logger: Logger): Promise<() => Promise<void>> {
  if (!config.otlpEndpoint) return async () => undefined;
  const [api, { TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { AsyncLocalStorageContextManager }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/resources'),
  ]);
  await active.shutdown();
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.disable();
  api.context.setGlobalContextManager(contextManager);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: config.otlpEndpoint, headers: { ...config.otlpHeaders } }), scheduledDelayMillis: 1_000 })],
  });
  const tracer = provider.getTracer('sqlgate');
  const tracing: Tracing = {
    includesSql: config.includeSql,
    span: (name, attributes, run) => tracer.startActiveSpan(name, { attributes: definedOnly(attributes) }, async (span) => {
      try {
        return await run(span);
      } catch (err) {
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string') span.setAttribute('sqlgate.error_code', code);
        throw err;
      } finally {
        span.end();
      }
    }),
    shutdown: async () => {
      active = OFF;
      await provider.shutdown().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'telemetry: could not export the last spans'));
      contextManager.disable();
    },
  };
  active = tracing;
  logger.info({ endpoint: config.otlpEndpoint, includeSql: config.includeSql }, 'telemetry: exporting traces over OTLP/HTTP');
  return () => tracing.shutdown();
}

function definedOnly(attributes: SpanAttributes): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(attributes).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined));
}
