import mysql from 'mysql2/promise';
// usage: node .exp-my5.mjs <shape> <fn> <killtype|none> <killAtMs>
const [shape, fn, kt, killAt = '3000'] = process.argv.slice(2);
const n = 16000;
let seed = 7; const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const pts = {
  zig: (i, dy) => `${i} ${(i % 2) + dy}`,
  rnd: (i, dy) => `${(rnd() * 1000).toFixed(4)} ${(rnd() * 1000 + dy).toFixed(4)}`,
};
const line = (dy) => 'LINESTRING(' + Array.from({ length: n }, (_, i) => pts[shape](i, dy)).join(',') + ')';
const sql = fn === 'distance' ? `SELECT ST_DISTANCE(ST_GeomFromText('${line(0)}'), ST_GeomFromText('${line(0.5)}'))`
  : `SELECT ST_AREA(ST_BUFFER(ST_GeomFromText('${line(0)}'), 1))`;
const c = await mysql.createConnection('mysql://root@127.0.0.1:3306/mysql');
const admin = await mysql.createConnection('mysql://root@127.0.0.1:3306/mysql');
const id = c.threadId;
await c.query('SET max_statement_time = 2');
const t0 = Date.now();
let killedAt = null;
c.query(sql).then(([r]) => console.log('  result', Date.now() - t0, Object.values(r[0])[0]), (e) => console.log('  error', Date.now() - t0, e.message.slice(0, 50)));
if (kt !== 'none') setTimeout(() => { killedAt = Date.now() - t0; admin.query(`KILL ${kt} ${id}`).catch((e) => console.log(e.message)); }, Number(killAt));
for (;;) {
  await new Promise((r) => setTimeout(r, 250));
  const [rows] = await admin.query('SELECT COMMAND FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
  if (rows.length === 0 || rows[0].COMMAND === 'Sleep') { console.log(shape, fn, kt, 'work ended at', Date.now() - t0, 'killed at', killedAt); break; }
  if (Date.now() - t0 > 180000) { console.log('still running at 180 s'); await admin.query(`KILL CONNECTION ${id}`); break; }
}
await admin.end(); c.destroy(); process.exit(0);
