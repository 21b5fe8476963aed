/**
 * The `telemetry` section: OpenTelemetry traces, off unless an OTLP endpoint is given (then, and only then, the
 * OpenTelemetry libraries are loaded: src/telemetry/tracing.ts). Part of the schema in schema.ts, kept apart to keep
 * each file about one thing.
 */
import { z } from 'zod';

export const telemetrySchema = z
  .strictObject({
    /** Where spans go, over OTLP/HTTP (JSON): a collector's traces URL, e.g. http://127.0.0.1:4318/v1/traces. */
    otlp_endpoint: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL such as "http://127.0.0.1:4318/v1/traces"' }).optional(),
    /** Extra HTTP headers for the collector (an API key: use ${VAR}). */
    otlp_headers: z.record(z.string(), z.string()).default({}),
    /** The service.name resource attribute. */
    service_name: z.string().trim().min(1).max(100).default('sqlgate'),
    /** Put the SQL text on database spans (db.query.text). Off: the text may hold values a trace store should not keep. */
    include_sql: z.boolean().default(false),
  })
  .transform((t) => ({ otlpEndpoint: t.otlp_endpoint, otlpHeaders: t.otlp_headers, serviceName: t.service_name, includeSql: t.include_sql }));

export type TelemetryConfig = z.output<typeof telemetrySchema>;
