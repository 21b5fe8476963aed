import mysql from 'mysql2/promise';
const shapes = {
  zigzag: (i) => `${i} ${i % 2}`,
  zigzag10: (i) => `${i / 10} ${(i % 2) * 10}`,
  spiral: (i) => `${(Math.cos(i / 10) * i / 100).toFixed(5)} ${(Math.sin(i / 10) * i / 100).toFixed(5)}`,
  sine: (i) => `${i / 100} ${Math.sin(i).toFixed(5)}`,
  diag: (i) => `${i} ${i}`,
  dense: (i) => `${i / 100} ${i % 2}`,
  rnd: (i) => `${(Math.sin(i * 12.9898) * 43758.5453 % 1 * 100).toFixed(4)} ${(Math.sin(i * 78.233) * 12345.678 % 1 * 100).toFixed(4)}`,
};
const which = process.argv[2];
const n = Number(process.argv[3] ?? 16000);
const fn = process.argv[4] ?? 'buffer';
const line = (f, off = 0) => 'LINESTRING(' + Array.from({ length: n }, (_, i) => f(i + off)).join(',') + ')';
const sql = fn === 'buffer' ? `SELECT ST_AREA(ST_BUFFER(ST_GeomFromText('${line(shapes[which])}'), 1))`
  : `SELECT ST_DISTANCE(ST_GeomFromText('${line(shapes[which])}'), ST_GeomFromText('${line((i) => shapes[which](i).split(' ').map((v, j) => j ? Number(v) + 0.5 + '' : v).join(' '))}'))`;
const c = await mysql.createConnection('mysql://root@127.0.0.1:3306/mysql');
await c.query('SET max_statement_time = ' + (process.env.MST ?? 2));
const t0 = Date.now();
try { const [r] = await c.query(sql); console.log(which, n, fn, 'ok', Date.now() - t0, Object.values(r[0])[0]); }
catch (e) { console.log(which, n, fn, 'err', Date.now() - t0, e.message.slice(0, 80)); }
c.destroy();
