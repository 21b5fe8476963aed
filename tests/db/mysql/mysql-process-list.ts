/** Finding a test's statement in MySQL/MariaDB's process list by a mark in its text, and waiting for it to go. */
import { MYSQL_ADMIN_URL, withMysql } from '../../support/test-databases.js';

/** Server threads whose statement text contains `mark` (other than this lookup itself). */
export function runningWith(mark: string): Promise<unknown[]> {
  return withMysql(MYSQL_ADMIN_URL, async (c) => {
    const [rows] = await c.query('SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [`%${mark}%`]);
    return rows as unknown[];
  });
}

export async function waitUntilGone(mark: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await runningWith(mark)).length > 0) {
    if (Date.now() > deadline) throw new Error(`statement ${mark} still runs in the server`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
