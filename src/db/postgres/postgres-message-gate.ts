/**
 * Puts a gate between a pg.Client's socket and pg-protocol's parser: row bytes are counted against the running
 * statement's WireByteBudget from message headers, before pg buffers or decodes them, and nothing the parser or
 * pg's message handlers throw can escape the socket's 'data' event (where it would end the process).
 *
 * The hook: pg.Connection#attachListeners(stream). pg calls it exactly once per connection, with the stream it
 * reads the protocol from: the plain socket, or, after the SSLRequest answer 'S', the TLS socket, so what passes
 * the gate is always plaintext. All the method does is `parse(stream, …)`, which listens to 'data' and 'end'. We
 * replace it on the Connection pg built for the client, not with a Connection subclass handed in through the
 * `connection` option: that would make us rebuild pg's constructor arguments (ssl, sslnegotiation and keepalive as
 * pg resolves them from the config and PG* variables), and a mistake there would go unnoticed. pg's method is kept
 * and called with a stand-in stream that carries only the 'data' and 'end' the gate lets through. A pg release
 * without the method fails at the first connect, loudly, instead of running unmetered.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import type { WireByteBudget } from '../wire-byte-budget.js';
import { PostgresMessageFramer } from './postgres-message-framer.js';

/** DataRow: one row of a result. */
const DATA_ROW = 0x44; // 'D'

interface HookableConnection {
  attachListeners(stream: Duplex): void;
}

/** `currentBudget` answers the running statement's budget; null while nothing is counted (catalog, housekeeping). */
export function gateServerMessages(client: pg.Client, currentBudget: () => WireByteBudget | null): void {
  const connection = client.connection as unknown as HookableConnection;
  const attachParser = connection.attachListeners;
  if (typeof attachParser !== 'function') {
    throw new Error('This pg version has no Connection#attachListeners(stream); sqlgate cannot bound result sizes with it.');
  }
  connection.attachListeners = (stream: Duplex) => {
    const parserInput = new EventEmitter();
    let refusedBy: WireByteBudget | null = null;
    const framer = new PostgresMessageFramer(
      (type, messageBytes) => {
        const budget = type === DATA_ROW ? currentBudget() : null;
        if (!budget || budget.take(messageBytes)) return true;
        refusedBy = budget;
        return false;
      },
      (messages) => parserInput.emit('data', messages),
    );
    stream.on('data', (chunk: Buffer) => {
      try {
        // Refused: the rest of that message is still on its way, so the connection cannot be used again. Destroyed
        // with the error, pg fails the running query with it (and every queued one) and marks the client dead.
        if (!framer.push(chunk) && refusedBy) stream.destroy(refusedBy.error());
      } catch (err) {
        // Thrown while parsing or handling a message (a value's type parser, a string past V8's limit): the
        // connection's state is unknown. It becomes this connection's error, not an uncaught exception.
        framer.stop();
        stream.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    });
    stream.on('end', () => parserInput.emit('end'));
    attachParser.call(connection, parserInput as unknown as Duplex);
  };
}
