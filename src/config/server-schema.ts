/**
 * The `server` section: where sqlgate listens, which hosts and origins it answers, and how long it waits for slow
 * clients and for its own work when it stops. Part of the schema in schema.ts, kept apart to keep each file about
 * one thing. docs/operations/shutdown-and-timeouts.md says what each timeout protects against.
 */
import { z } from 'zod';
import { durationSchema } from './duration-schema.js';

/** The legacy SSE stream sends a keep-alive comment every 15 s: an idle timeout must leave room for two. */
const MIN_IDLE_SECONDS = 30;

export const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.int().min(0).max(65_535).default(8008),
    /** Extra browser origins allowed to call the MCP endpoints (DNS-rebinding protection refuses the rest). */
    allowed_origins: z.array(z.url()).default([]),
    /** Host names the server answers to besides its bind address and localhost (set this behind a proxy). */
    allowed_hosts: z.array(z.string().min(1)).default([]),
    max_body_bytes: z.int().min(1_024).max(64 * 1_048_576).default(1_048_576),
    /** Serve a non-loopback address without authentication. Dangerous; warns loudly. */
    insecure_no_auth: z.boolean().default(false),
    /** On SIGTERM/SIGINT: how long tool calls in flight may run on before they are cancelled in the database. */
    shutdown_grace: durationSchema({ maxSeconds: 3_600 }).default(10),
    /** A client must have sent a request's complete headers within this (a slowloris holds them back). */
    headers_timeout: durationSchema({ maxSeconds: 300 }).default(10),
    /** ... and its complete body within this. The response is not limited: tool calls and streams run on. */
    request_timeout: durationSchema({ maxSeconds: 3_600 }).default(30),
    /** A kept-alive connection with no request on it is closed after this. */
    keep_alive_timeout: durationSchema({ maxSeconds: 3_600 }).default(5),
    /**
     * A connection on which nothing is sent or received for this long while a request is answered is closed (a
     * client that stopped reading, a peer that vanished). Longer than any statement timeout: a tool call sends
     * nothing while its statement runs (schema.ts checks it).
     */
    idle_timeout: durationSchema({ maxSeconds: 86_400, minSeconds: MIN_IDLE_SECONDS, minMessage: `must be at least ${MIN_IDLE_SECONDS} seconds (SSE streams send a keep-alive every 15 s)` })
      .default(600),
  })
  .refine((s) => s.headers_timeout <= s.request_timeout, {
    path: ['headers_timeout'],
    message: 'must not be longer than server.request_timeout (the headers are part of the request)',
  })
  .transform((s) => ({
    host: s.host,
    port: s.port,
    allowedOrigins: s.allowed_origins,
    allowedHosts: s.allowed_hosts,
    maxBodyBytes: s.max_body_bytes,
    insecureNoAuth: s.insecure_no_auth,
    shutdownGraceMs: s.shutdown_grace * 1_000,
    headersTimeoutMs: s.headers_timeout * 1_000,
    requestTimeoutMs: s.request_timeout * 1_000,
    keepAliveTimeoutMs: s.keep_alive_timeout * 1_000,
    idleTimeoutMs: s.idle_timeout * 1_000,
  }));

export type ServerConfig = z.output<typeof serverSchema>;

/** How much longer than a statement timeout the idle timeout must be: the timeout backstop, the audit, the answer. */
export const IDLE_MARGIN_MS = 10_000;
