import mysql from 'mysql2/promise';
const which = process.argv[2] ?? 'buffer';
let seed = 1; const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const line = (n) => 'LINESTRING(' + Array.from({ length: n }, () => `${(rnd() * 1000).toFixed(4)} ${(rnd() * 1000).toFixed(4)}`).join(',') + ')';
const sql = which === 'buffer'
  ? `SELECT /* sttest */ ST_AREA(ST_BUFFER(ST_GeomFromText('${line(16000)}'), 1))`
  : `SELECT /* sttest */ ST_DISTANCE(ST_GeomFromText('${line(16000)}'), ST_GeomFromText('${line(16000)}'))`;
const t0 = Date.now();
const c = await mysql.createConnection('mysql://root@127.0.0.1:3306/mysql');
const admin = await mysql.createConnection('mysql://root@127.0.0.1:3306/mysql');
const id = c.threadId;
await c.query('SET max_statement_time = 2');
const p = c.query(sql).then(() => console.log('finished ok', Date.now() - t0), (e) => console.log('finished err', e.message.slice(0, 80), Date.now() - t0));
await new Promise((r) => setTimeout(r, 3000));
console.log('processlist', (await admin.query('SELECT ID, TIME, STATE, COMMAND FROM information_schema.PROCESSLIST WHERE ID = ?', [id]))[0]);
const k0 = Date.now();
await admin.query(`KILL CONNECTION ${id}`);
console.log('kill returned after', Date.now() - k0);
for (;;) {
  const [rows] = await admin.query('SELECT ID, COMMAND, STATE FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
  if (rows.length === 0) { console.log('gone after kill', Date.now() - k0); break; }
  if (Date.now() - k0 > 150000) { console.log('still there', rows); break; }
  await new Promise((r) => setTimeout(r, 500));
}
await p; await admin.end(); c.destroy();
