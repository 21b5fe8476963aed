/**
 * Closes the one way a failing SQL Server connection could end sqlgate's process through tedious (20.x).
 *
 * After a cancel (a TDS ATTENTION: timeout, max_rows reached, the client went away), tedious reads the server's
 * acknowledgement in an async block whose failures it rethrows as an uncaught exception (connection.js, state
 * SENT_ATTENTION: `.catch(err => process.nextTick(() => { throw err; }))`). One failure is reachable: when the
 * connection fails while the acknowledgement is being parsed — the cancel timer fires, the socket resets, or the
 * rest of the cancelled answer does not parse — tedious fails the request and detaches it, and then, once the
 * acknowledgement's tokens end, reads `this.request.error` of the request that is gone: a TypeError, and the
 * process ends. tests/db/mssql/mssql-result-bytes.test.ts drives it with a scripted server.
 *
 * The guard: for the token parser tedious makes for the acknowledgement (`createTokenStreamParser` with its
 * AttentionTokenHandler, the one handler with `attentionReceived`), an 'end' that comes after the connection left
 * that state — it may have left before the parser was even made — is turned into an 'error'. tedious awaits the
 * parser with `once(parser, 'end')`, whose rejection it handles as a socket error; in the final state that is a
 * no-op. The request was already answered with the connection's error, and the connection is gone.
 */
import type tedious from 'tedious';

type TokenParser = { emit(event: string | symbol, ...args: unknown[]): boolean };

interface TediousInternals {
  state: unknown;
  STATE: { SENT_ATTENTION: unknown };
  createTokenStreamParser(message: unknown, handler: unknown): TokenParser;
}

export function guardAttentionAcknowledgement(client: tedious.Connection): void {
  const connection = client as unknown as TediousInternals;
  const create = connection.createTokenStreamParser;
  const sentAttention = connection.STATE?.SENT_ATTENTION;
  if (typeof create !== 'function' || sentAttention === undefined) {
    throw new Error('tedious has no createTokenStreamParser or SENT_ATTENTION state: its cancel path cannot be guarded');
  }
  connection.createTokenStreamParser = function (message, handler) {
    const parser = create.call(this, message, handler);
    if (typeof handler !== 'object' || handler === null || !('attentionReceived' in handler)) return parser;
    const emit = parser.emit;
    parser.emit = function (event, ...args) {
      if (event === 'end' && connection.state !== sentAttention) {
        return emit.call(this, 'error', new Error('the connection failed before the cancel was acknowledged'));
      }
      return emit.call(this, event, ...args);
    };
    return parser;
  };
}
