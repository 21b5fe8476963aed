/**
 * The benchmark's data: one `sales` table of SALES_ROWS rows, computed from the row number alone so that both
 * engines hold the same values on every run.
 *
 *   id       1..N
 *   region   one of 5, id % 5
 *   product  'product-001'..'product-200'
 *   amount   ((id * 7919) % 100000) / 100, 0.00..999.99
 *   sold_at  2024-01-01 00:00:00 + id * 31 s
 */
import fs from 'node:fs';
import path from 'node:path';

export const SALES_ROWS = 1_000_000;
export const PG_DATABASE = 'sqlgate_bench';
export const REGIONS = ['central', 'east', 'north', 'south', 'west'];

/** Drops and recreates the PostgreSQL database, fills `sales`, adds the primary key and ANALYZEs. */
export async function generatePostgres(adminUrl, rows = SALES_ROWS) {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${PG_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${PG_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, PG_DATABASE);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE sales (
        id integer NOT NULL,
        region text NOT NULL,
        product text NOT NULL,
        amount numeric(12,2) NOT NULL,
        sold_at timestamp NOT NULL
      )`);
    await client.query(
      `INSERT INTO sales (id, region, product, amount, sold_at)
       SELECT g,
              (ARRAY['${REGIONS.join("','")}'])[1 + g % 5],
              'product-' || lpad((1 + (g * 37) % 200)::text, 3, '0'),
              ((g::bigint * 7919) % 100000) / 100.0,
              timestamp '2024-01-01 00:00:00' + g * interval '31 seconds'
       FROM generate_series(1, $1::int) AS g`,
      [rows],
    );
    await client.query('ALTER TABLE sales ADD PRIMARY KEY (id)');
    await client.query('VACUUM ANALYZE sales');
  } finally {
    await client.end();
  }
  return url;
}

/** Writes the SQLite file (to a temporary name, renamed when complete). */
export async function generateSqlite(file, rows = SALES_ROWS) {
  const { default: Database } = await import('better-sqlite3');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  fs.rmSync(temporary, { force: true });
  const db = new Database(temporary);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec(`
      CREATE TABLE sales (
        id INTEGER PRIMARY KEY,
        region TEXT NOT NULL,
        product TEXT NOT NULL,
        amount NUMERIC(12,2) NOT NULL,
        sold_at TEXT NOT NULL
      )`);
    db.prepare(
      `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?)
       INSERT INTO sales (id, region, product, amount, sold_at)
       SELECT i,
              CASE i % 5 ${REGIONS.map((r, k) => `WHEN ${k} THEN '${r}'`).join(' ')} END,
              printf('product-%03d', 1 + (i * 37) % 200),
              ((i * 7919) % 100000) / 100.0,
              strftime('%Y-%m-%d %H:%M:%S', 1704067200 + i * 31, 'unixepoch')
       FROM g`,
    ).run(rows);
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
  fs.rmSync(file, { force: true });
  fs.renameSync(temporary, file);
  return file;
}

export function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Connections still open to the benchmark database (waits up to `waitMs` for backends to finish exiting). */
export async function openBenchConnections(adminUrl, waitMs = 3_000) {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [PG_DATABASE]);
      if (rows[0].n === 0 || Date.now() > deadline) return rows[0].n;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await admin.end();
  }
}
