/**
 * `npm run bench -- --only wide` (issue 13): list_tables and describe_table on wide schemas, as a client sees them.
 * A generated PostgreSQL database of 10,000 tables in 20 schemas (`sqlgate_bench_wide`, ANALYZEd) and a MariaDB
 * one of 2,000 tables (same name), both dropped at the end; one `node dist/main.js serve` (auth none: what is
 * measured is the catalog and the paging, not sign-in) with an environment for each. Every call is made
 * BENCH_WIDE_CALLS times one after another over one keep-alive connection, after one unmeasured call, and checked
 * (HTTP 200, no error, the expected total); time is from sending to the parsed answer, characters are the text
 * content plus the structured content's JSON.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { callOnce, mcpTarget } from './load.mjs';
import { startNodeProcess, stopProcess } from './procs.mjs';

export const WIDE_DATABASE = 'sqlgate_bench_wide';
const PG_TABLES = 10_000;
const PG_SCHEMAS = 20;
const MARIADB_TABLES = 2_000;

/** Resolves with { engines: [{ title, tables, generateSeconds, calls: [{ label, p50, max, chars, listed }] }] }. */
export async function measureWideSchemas({ root, work, pgAdminUrl, mysqlAdminUrl, calls, log }) {
  const engines = [];
  const pgUrl = await generatePostgres(pgAdminUrl, log);
  const mariaUrl = await generateMariadb(mysqlAdminUrl, log);
  const config = path.join(work, 'sqlgate-wide.yaml');
  fs.writeFileSync(config, [
    'log: { level: warn }',
    `store: ${JSON.stringify({ url: `sqlite:${path.join(work, 'state-wide.sqlite')}` })}`,
    'auth: { mode: none }',
    'environments:',
    `  pg: ${JSON.stringify({ database: pgUrl.url, read_only: true })}`,
    `  maria: ${JSON.stringify({ database: mariaUrl.url, read_only: true })}`,
    '',
  ].join('\n'));
  const server = await startNodeProcess('sqlgate (wide schemas)', [path.join(root, 'dist', 'main.js'), 'serve', '--config', config, '--port', '0']);
  try {
    for (const [environment, title, generated, schemaCall] of [['pg', 'PostgreSQL', pgUrl, { schema: 's7' }], ['maria', 'MariaDB', mariaUrl, null]]) {
      const measured = await measureEnvironment(server.port, environment, generated.tables, schemaCall, calls);
      engines.push({ title, tables: generated.tables, schemas: generated.schemas, generateSeconds: generated.seconds, calls: measured });
      for (const call of measured) log(`  ${title.padEnd(10)} ${call.label.padEnd(38)} p50 ${call.p50.toFixed(0).padStart(4)} ms  max ${call.max.toFixed(0).padStart(4)} ms  ${call.chars.toLocaleString('en-US').padStart(7)} chars  ${call.listed} listed`);
    }
  } finally {
    await stopProcess(server);
    await dropDatabases(pgAdminUrl, mysqlAdminUrl);
  }
  return { engines, calls };
}

async function measureEnvironment(port, environment, tables, schemaCall, calls) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (tool, args) => mcpTarget({ port, path: `/${environment}/mcp`, tool, args, unwrap: (result) => result });
  const first = await callOnce(call('list_tables', {}), agent, () => undefined);
  const cursor = first.result.structuredContent.next_cursor;
  if (!cursor || first.result.structuredContent.total !== tables) {
    throw new Error(`list_tables on ${environment}: expected ${tables} tables in pages, got ${JSON.stringify(first.result.structuredContent).slice(0, 200)}`);
  }
  const cases = [
    ['list_tables: first page', 'list_tables', {}, tables],
    ['list_tables: next page (cursor)', 'list_tables', { cursor }, tables],
    ['list_tables: name_contains "t01234"', 'list_tables', { name_contains: 't01234' }, 1],
    ...(schemaCall ? [[`list_tables: schema "${schemaCall.schema}"`, 'list_tables', schemaCall, tables / PG_SCHEMAS]] : []),
    ['describe_table', 'describe_table', { table: environment === 'pg' ? 's7.t00007' : 't00007' }, null],
  ];
  const measured = [];
  try {
    for (const [label, tool, args, total] of cases) {
      const target = call(tool, args);
      const verify = (result) => {
        if (result.isError) throw new Error(`${label}: ${JSON.stringify(result.content).slice(0, 200)}`);
        if (total !== null && result.structuredContent.total !== total) throw new Error(`${label}: total ${result.structuredContent.total}, expected ${total}`);
      };
      await callOnce(target, agent, verify);
      const times = [];
      let outcome;
      for (let i = 0; i < calls; i++) {
        outcome = await callOnce(target, agent, verify);
        times.push(outcome.ms);
      }
      times.sort((a, b) => a - b);
      const result = outcome.result;
      measured.push({
        label,
        p50: times[Math.floor((times.length - 1) / 2)],
        max: times.at(-1),
        chars: result.content.reduce((n, c) => n + (c.text?.length ?? 0), 0) + JSON.stringify(result.structuredContent).length,
        listed: result.structuredContent.tables?.length ?? result.structuredContent.columns?.length ?? 0,
      });
    }
  } finally {
    agent.destroy();
  }
  return measured;
}

async function generatePostgres(adminUrl, log) {
  log(`PostgreSQL: generating ${WIDE_DATABASE} (${PG_TABLES.toLocaleString('en-US')} tables in ${PG_SCHEMAS} schemas)…`);
  const started = performance.now();
  await withPg(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${WIDE_DATABASE}`);
    await c.query(`CREATE DATABASE ${WIDE_DATABASE}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${WIDE_DATABASE}`;
  await withPg(url.toString(), async (c) => {
    await c.query(`DO $$ BEGIN FOR s IN 0..${PG_SCHEMAS - 1} LOOP EXECUTE format('CREATE SCHEMA s%s', s); END LOOP; END $$`);
    // One transaction cannot lock 10,000 new tables (max_locks_per_transaction): batches of a thousand.
    for (let from = 1; from <= PG_TABLES; from += 1_000) {
      await c.query(`DO $$ BEGIN FOR i IN ${from}..${from + 999} LOOP
        EXECUTE format('CREATE TABLE s%s.t%s (id int PRIMARY KEY, v text)', i % ${PG_SCHEMAS}, lpad(i::text, 5, '0')); END LOOP; END $$`);
    }
    await c.query('ANALYZE');
  });
  const seconds = (performance.now() - started) / 1000;
  log(`  done in ${seconds.toFixed(1)} s`);
  return { url: url.toString(), tables: PG_TABLES, schemas: PG_SCHEMAS, seconds };
}

async function generateMariadb(adminUrl, log) {
  log(`MariaDB: generating ${WIDE_DATABASE} (${MARIADB_TABLES.toLocaleString('en-US')} tables)…`);
  const started = performance.now();
  const connection = await mysql.createConnection(adminUrl);
  try {
    await connection.query(`DROP DATABASE IF EXISTS ${WIDE_DATABASE}`);
    await connection.query(`CREATE DATABASE ${WIDE_DATABASE}`);
    await connection.query(`USE ${WIDE_DATABASE}`);
    for (let i = 1; i <= MARIADB_TABLES; i++) await connection.query(`CREATE TABLE t${String(i).padStart(5, '0')} (id INT PRIMARY KEY, v TEXT)`);
  } finally {
    await connection.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${WIDE_DATABASE}`;
  const seconds = (performance.now() - started) / 1000;
  log(`  done in ${seconds.toFixed(1)} s`);
  return { url: url.toString(), tables: MARIADB_TABLES, schemas: 1, seconds };
}

async function dropDatabases(pgAdminUrl, mysqlAdminUrl) {
  await withPg(pgAdminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${WIDE_DATABASE} WITH (FORCE)`)).catch(() => undefined);
  const connection = await mysql.createConnection(mysqlAdminUrl).catch(() => null);
  await connection?.query(`DROP DATABASE IF EXISTS ${WIDE_DATABASE}`).catch(() => undefined);
  await connection?.end();
}

async function withPg(url, use) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** The section of bench/RESULTS.md, between its markers. */
export function renderWideMarkdown(wide, run) {
  const lines = [
    '<!-- wide:start -->',
    '## Wide schemas: list_tables and describe_table (issue 13)',
    '',
    `Measured by \`${run.command}\` on ${run.date.toISOString().replace('T', ' ').slice(0, 19)} UTC (git ${run.git}); ${run.machine}. One client, one keep-alive connection, ${wide.calls} calls per row after one unmeasured call, every answer checked; sqlgate with auth none (the catalog and the paging, not sign-in), default result budget (100,000 characters). Issue 13 asks list_tables to answer in under 500 ms here.`,
    '',
    '| engine | schema | call | p50 ms | max ms | characters | tables or columns in the answer | under 500 ms |',
    '|---|---|---|---:|---:|---:|---:|---|',
  ];
  for (const engine of wide.engines) {
    const schema = `${engine.tables.toLocaleString('en-US')} tables${engine.schemas > 1 ? ` in ${engine.schemas} schemas` : ''}`;
    for (const call of engine.calls) {
      lines.push(`| ${engine.title} | ${schema} | ${call.label} | ${call.p50.toFixed(0)} | ${call.max.toFixed(0)} | ${call.chars.toLocaleString('en-US')} | ${call.listed} | ${call.p50 < 500 ? 'yes' : 'NO'} |`);
    }
  }
  lines.push('', `Generating the schemas: ${wide.engines.map((e) => `${e.title} ${e.generateSeconds.toFixed(1)} s`).join(', ')}.`, '<!-- wide:end -->');
  return `${lines.join('\n')}\n`;
}
