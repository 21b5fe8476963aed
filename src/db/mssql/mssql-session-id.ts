/**
 * SQL Server's id for a connection (@@SPID), read once when the connection opens, and KILL on it from another
 * connection: how a statement that a TDS attention did not stop (or a server gone silent mid-statement) is ended in
 * the server. tedious does not expose the id, and a busy connection cannot be asked, so it must be known before.
 *
 * KILL needs ALTER ANY CONNECTION, which a least-privileged login lacks (docs/dialects/mssql.md): then the KILL is
 * refused, and dropping the socket is what is left — SQL Server ends a session whose client went away once the
 * statement next waits on the network.
 */
import tedious, { type ConnectionConfiguration } from 'tedious';
import { CONTROL_TIMEOUT_MS, MssqlConnection } from './mssql-connection.js';

/** @@SPID of a connection that is idle; null when the server does not say. */
export function readSessionId(client: tedious.Connection): Promise<number | null> {
  return new Promise((resolve, reject) => {
    let sessionId: number | null = null;
    const request = new tedious.Request('SELECT @@SPID', (err) => (err ? reject(err) : resolve(sessionId)));
    request.setTimeout(CONTROL_TIMEOUT_MS);
    request.on('row', (columns: { value: unknown }[]) => {
      const value = Number(columns[0]?.value);
      if (Number.isInteger(value) && value > 0) sessionId = value;
    });
    client.execSqlBatch(request);
  });
}

/** KILL <sessionId> from a new, short-lived connection. */
export async function killSession(config: ConnectionConfiguration, sessionId: number): Promise<void> {
  if (!Number.isInteger(sessionId) || sessionId <= 0) throw new Error(`not a session id: ${sessionId}`);
  const control = await MssqlConnection.open(config);
  try {
    await control.runBatch(`KILL ${sessionId}`);
  } finally {
    control.destroy();
  }
}
