/**
 * Asks the server, from a short-lived connection of its own, whether a connection is still in its process list.
 * After KILL CONNECTION a thread stays there (COMMAND `Killed`) until the work it runs next checks for the kill, so
 * this is how sqlgate learns whether a terminated statement really stopped. A login sees its own threads without
 * the PROCESS privilege.
 */
import mysql, { type ConnectionOptions } from 'mysql2';

export async function isThreadRunning(options: ConnectionOptions, threadId: number): Promise<boolean> {
  const control = mysql.createConnection({ ...options, typeCast: true });
  control.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => control.connect((err) => (err ? reject(err) : resolve())));
    const rows = await new Promise<unknown[]>((resolve, reject) =>
      control.query('SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [Math.trunc(threadId)], (err, result) =>
        err ? reject(err) : resolve(result as unknown[]),
      ),
    );
    return rows.length > 0;
  } finally {
    control.destroy();
  }
}
