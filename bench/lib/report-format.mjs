/** Formatting shared by the report modules: numbers, aligned text tables, Markdown tables, the CPU line. */

export const fmt = {
  rps: (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–'),
  ms: (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–'),
  mb: (kb) => (Number.isFinite(kb) && kb > 0 ? `${(kb / 1024).toFixed(0)} MB` : '–'),
  kbytes: (bytes) => (bytes > 0 ? `${(bytes / 1024).toFixed(1)} kB` : '–'),
  pct: (n) => (Number.isFinite(n) ? `${n.toFixed(0)} %` : '–'),
  us: (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–'),
  ratio: (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–'),
};

/** Plain text table with right-aligned numeric-looking cells. */
export function textTable(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const isNumeric = (s) => /^[-–\d.,\s%]+(ms|MB|kB|%)?$/.test(String(s));
  const line = (cells) => cells.map((c, i) => (isNumeric(c) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(headers, rows) {
  const numericColumn = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[-–\d.,\s%]+(ms|MB|kB|%)?$/.test(String(r[i]))));
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (numericColumn[i] ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`),
  ].join('\n');
}

export function cpuText(c) {
  if (!Number.isFinite(c.busyPct)) return 'not measured';
  return `${c.busyPct.toFixed(0)} % busy, ${c.otherPct.toFixed(0)} % used by other processes (not the benchmark, its servers or their PostgreSQL backends), ${c.stealPct.toFixed(0)} % stolen by the hypervisor`;
}
