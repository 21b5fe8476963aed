import mysql from 'mysql2/promise';
const n = Number(process.argv[2] ?? 16000);
const kind = process.argv[3] ?? 'distance';
const zig = (i, dy = 0) => `${i} ${(i % 2) + dy}`;
const line = (dy) => 'LINESTRING(' + Array.from({ length: n }, (_, i) => zig(i, dy)).join(',') + ')';
const sql = kind === 'distance' ? `SELECT /* sttest */ ST_DISTANCE(ST_GeomFromText('${line(0)}'), ST_GeomFromText('${line(0.5)}'))`
  : `SELECT /* sttest */ ST_AREA(ST_BUFFER(ST_GeomFromText('${line(0)}'), 1))`;
const t0 = Date.now();
const c = await mysql.createConnection('mysql://root@127.0.0.1:3306/mysql');
const admin = await mysql.createConnection('mysql://root@127.0.0.1:3306/mysql');
const id = c.threadId;
await c.query('SET max_statement_time = 2');
const p = c.query(sql).then(([r]) => console.log('finished ok', Date.now() - t0, Object.values(r[0])[0]), (e) => console.log('finished err', e.message.slice(0, 80), Date.now() - t0));
await new Promise((r) => setTimeout(r, 3000));
console.log('processlist', (await admin.query('SELECT ID, TIME, STATE, COMMAND FROM information_schema.PROCESSLIST WHERE ID = ?', [id]))[0]);
const k0 = Date.now();
if (!process.env.NOKILL) await admin.query(`KILL ${process.env.KT ?? "CONNECTION"} ${id}`).catch((e) => console.log(e.message));
console.log('kill returned after', Date.now() - k0);
for (;;) {
  const [rows] = await admin.query('SELECT ID, COMMAND, STATE FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
  if (rows.length === 0) { console.log('gone after kill', Date.now() - k0); break; }
  if (Date.now() - k0 > 150000) { console.log('still there', rows); break; }
  await new Promise((r) => setTimeout(r, 500));
}
await p; await admin.end(); c.destroy();
