/**
 * The floor: the least an HTTP server can do to answer the benchmark's queries with the same drivers sqlgate
 * uses. POST /query with `{ "sql": "..." }` runs the statement and answers `{ columns, rows, row_count }` as JSON
 * (rows as arrays, like sqlgate's structured result). No MCP, no validation, no sessions, no row cap.
 *
 *   node bench/lib/floor-server.mjs pg "postgres://…/db" [poolMax]    pg.Pool of poolMax (default 5, sqlgate's default)
 *   node bench/lib/floor-server.mjs sqlite /path/file.sqlite          better-sqlite3, read-only, on the main thread
 *
 * Prints `floor listening on http://127.0.0.1:<port>` when ready.
 */
import http from 'node:http';

const [engine, target, poolMaxArg] = process.argv.slice(2);
const run = engine === 'pg' ? await postgresRunner(target, Number(poolMaxArg ?? 5)) : await sqliteRunner(target);

async function postgresRunner(url, max) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max });
  await pool.query('SELECT 1');
  process.once('SIGTERM', () => pool.end().finally(() => process.exit(0)));
  return async (sql) => {
    const result = await pool.query({ text: sql, rowMode: 'array' });
    return { columns: result.fields.map((f) => f.name), rows: result.rows };
  };
}

async function sqliteRunner(file) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  process.once('SIGTERM', () => {
    db.close();
    process.exit(0);
  });
  return async (sql) => {
    // Prepared per request, as a gateway receiving arbitrary SQL must (and as sqlgate does).
    const statement = db.prepare(sql).raw(true);
    return { columns: statement.columns().map((c) => c.name), rows: statement.all() };
  };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const { sql } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const { columns, rows } = await run(sql);
      const body = JSON.stringify({ columns, rows, row_count: rows.length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: err.message }));
    }
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`floor listening on http://127.0.0.1:${server.address().port}`);
});
