/**
 * The result view's own code (MCP Apps, issue 13): the style and the script that result-view.ts puts into one HTML
 * page. Plain browser JavaScript in a string (the build has no bundler, and the page must be self-contained: no CDN,
 * no fonts, no requests). It talks to the host only through the MCP Apps postMessage protocol (JSON-RPC: ui/initialize,
 * then the host's ui/notifications/tool-result), and it builds every element with createElement and textContent:
 * values from the database are data, never markup.
 *
 * No template literals or "${" inside: this is itself a template string.
 */

export const RESULT_VIEW_STYLE = `
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #6e6e73; --bg: #ffffff; --line: #d2d2d7; --head: #f5f5f7; --accent: #0a66c2; }
@media (prefers-color-scheme: dark) { :root { --fg: #f5f5f7; --muted: #a1a1a6; --bg: #1c1c1e; --line: #3a3a3c; --head: #2c2c2e; --accent: #4da3ff; } }
:root[data-theme="light"] { --fg: #1d1d1f; --muted: #6e6e73; --bg: #ffffff; --line: #d2d2d7; --head: #f5f5f7; --accent: #0a66c2; }
:root[data-theme="dark"] { --fg: #f5f5f7; --muted: #a1a1a6; --bg: #1c1c1e; --line: #3a3a3c; --head: #2c2c2e; --accent: #4da3ff; }
* { box-sizing: border-box; }
body { margin: 0; padding: 12px; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
.bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 8px; }
.bar .info { color: var(--muted); margin-right: auto; }
button, select, input { font: inherit; color: var(--fg); background: var(--head); border: 1px solid var(--line); border-radius: 6px; padding: 3px 8px; }
button[aria-pressed="true"] { border-color: var(--accent); color: var(--accent); }
input[type="search"] { min-width: 12em; }
.scroll { max-height: 420px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; max-width: 28em; overflow: hidden; text-overflow: ellipsis; }
th { position: sticky; top: 0; background: var(--head); font-weight: 600; cursor: pointer; user-select: none; }
th .type { color: var(--muted); font-weight: 400; margin-left: 4px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.null { color: var(--muted); }
.note { color: var(--muted); margin-top: 6px; }
svg { width: 100%; height: 300px; display: block; }
svg .axis { stroke: var(--line); }
svg text { fill: var(--muted); font-size: 11px; }
svg .series { fill: none; stroke: var(--accent); stroke-width: 2; }
svg .col { fill: var(--accent); }
textarea { width: 100%; height: 8em; margin-top: 8px; font: 12px ui-monospace, monospace; }
`;

export const RESULT_VIEW_SCRIPT = `
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var root = document.getElementById('app');
  var nextId = 1;
  var waiting = new Map();
  var state = null;

  function post(message) { window.parent.postMessage(message, '*'); }
  function request(method, params) {
    var id = nextId++;
    post({ jsonrpc: '2.0', id: id, method: method, params: params });
    return new Promise(function (resolve, reject) { waiting.set(id, { resolve: resolve, reject: reject }); });
  }
  function notify(method, params) { post({ jsonrpc: '2.0', method: method, params: params || {} }); }

  window.addEventListener('message', function (event) {
    if (event.source !== window.parent) return;
    var message = event.data;
    if (!message || message.jsonrpc !== '2.0') return;
    if (message.method === undefined && message.id !== undefined) {
      var pending = waiting.get(message.id);
      if (pending) { waiting.delete(message.id); if (message.error) pending.reject(message.error); else pending.resolve(message.result); }
      return;
    }
    if (message.method === 'ui/notifications/tool-result') show(message.params || {});
    else if (message.method === 'ui/notifications/host-context-changed') theme(message.params);
    else if (message.id !== undefined) {
      if (message.method === 'ui/resource-teardown') post({ jsonrpc: '2.0', id: message.id, result: {} });
      else post({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } });
    }
  });

  function theme(context) {
    if (context && (context.theme === 'light' || context.theme === 'dark')) document.documentElement.setAttribute('data-theme', context.theme);
  }

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    if (attributes) Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, String(attributes[key])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  var NUMERIC_TYPE = /int|serial|numeric|decimal|real|double|float|money|number/i;
  var INTEGER_TYPE = /int|serial/i;
  var TIME_TYPE = /date|time/i;
  var ISO_DATE = /^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?)?$/;

  function asNumber(value) {
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && value.trim() !== '' && !isNaN(Number(value))) return Number(value);
    return null;
  }
  function kindOf(column, index, rows) {
    var present = rows.map(function (row) { return row[index]; }).filter(function (v) { return v !== null && v !== undefined; });
    if (present.length === 0) return 'text';
    if (TIME_TYPE.test(column.type) || present.every(function (v) { return typeof v === 'string' && ISO_DATE.test(v); })) return 'time';
    if ((NUMERIC_TYPE.test(column.type) || present.every(function (v) { return typeof v === 'number'; })) && present.every(function (v) { return asNumber(v) !== null; })) return 'number';
    return 'text';
  }

  var integers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  var decimals = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
  var axis = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  function format(value, column) {
    if (value === null || value === undefined) return '∅';
    if (column.kind === 'number') {
      var number = asNumber(value);
      if (number === null) return String(value);
      return (INTEGER_TYPE.test(column.type) && Number.isInteger(number) ? integers : decimals).format(number);
    }
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  function show(result) {
    var data = result.structuredContent;
    root.textContent = '';
    if (!data || !Array.isArray(data.columns) || !Array.isArray(data.rows)) {
      var text = (result.content || []).filter(function (c) { return c && c.type === 'text'; }).map(function (c) { return c.text; }).join('\\n');
      root.appendChild(el('pre', null, text || 'No rows.'));
      return resized();
    }
    var rows = data.rows;
    var columns = data.columns.map(function (column, index) { return { name: String(column.name), type: String(column.type || ''), index: index, kind: kindOf(column, index, rows) }; });
    var time = columns.find(function (c) { return c.kind === 'time'; });
    var category = columns.find(function (c) { return c.kind === 'text'; });
    var measures = columns.filter(function (c) { return c.kind === 'number'; });
    var charts = [];
    if (time && measures.length > 0) charts.push('line');
    if (category && measures.length > 0) charts.push('bar');
    state = { columns: columns, rows: rows, filter: '', sortBy: null, descending: false, view: 'table', charts: charts, measure: measures[0] || null, time: time, category: category, data: data };
    render();
  }

  function render() {
    root.textContent = '';
    var bar = el('div', { class: 'bar' });
    bar.appendChild(el('span', { class: 'info' }, state.data.row_count + ' row' + (state.data.row_count === 1 ? '' : 's') + (state.data.truncated ? ' (cut: more rows exist)' : '')));
    ['table'].concat(state.charts).forEach(function (view) {
      var button = el('button', { type: 'button', 'aria-pressed': String(state.view === view), 'data-view': view }, view === 'table' ? 'Table' : view === 'line' ? 'Line chart' : 'Bar chart');
      button.addEventListener('click', function () { state.view = view; render(); });
      bar.appendChild(button);
    });
    if (state.view !== 'table' && state.columns.filter(function (c) { return c.kind === 'number'; }).length > 1) {
      var select = el('select', { 'aria-label': 'Measure' });
      state.columns.filter(function (c) { return c.kind === 'number'; }).forEach(function (c) {
        var option = el('option', { value: String(c.index) }, c.name);
        if (state.measure && c.index === state.measure.index) option.selected = true;
        select.appendChild(option);
      });
      select.addEventListener('change', function () { state.measure = state.columns[Number(select.value)]; render(); });
      bar.appendChild(select);
    }
    if (state.view === 'table') {
      var search = el('input', { type: 'search', placeholder: 'Filter rows', 'aria-label': 'Filter rows' });
      search.value = state.filter;
      search.addEventListener('input', function () { state.filter = search.value; renderTable(scroll); });
      bar.appendChild(search);
    }
    var copy = el('button', { type: 'button', 'data-action': 'csv' }, 'Copy as CSV');
    copy.addEventListener('click', copyCsv);
    bar.appendChild(copy);
    root.appendChild(bar);
    var scroll = el('div', { class: state.view === 'table' ? 'scroll' : 'chart' });
    root.appendChild(scroll);
    if (state.view === 'table') renderTable(scroll); else renderChart(scroll, state.view);
    resized();
  }

  function visibleRows() {
    var needle = state.filter.trim().toLowerCase();
    var rows = needle === '' ? state.rows.slice() : state.rows.filter(function (row) {
      return row.some(function (value, i) { return format(value, state.columns[i]).toLowerCase().indexOf(needle) >= 0; });
    });
    if (state.sortBy !== null) {
      var column = state.columns[state.sortBy];
      rows.sort(function (a, b) {
        var x = a[column.index], y = b[column.index];
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        var order = column.kind === 'number' ? asNumber(x) - asNumber(y) : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
        return state.descending ? -order : order;
      });
    }
    return rows;
  }

  function renderTable(container) {
    container.textContent = '';
    var table = el('table');
    var head = el('tr');
    state.columns.forEach(function (column) {
      var th = el('th', { scope: 'col', 'aria-sort': state.sortBy === column.index ? (state.descending ? 'descending' : 'ascending') : 'none' }, column.name);
      if (column.type) th.appendChild(el('span', { class: 'type' }, column.type + (state.sortBy === column.index ? (state.descending ? ' ▼' : ' ▲') : '')));
      th.addEventListener('click', function () {
        state.descending = state.sortBy === column.index ? !state.descending : false;
        state.sortBy = column.index;
        renderTable(container);
      });
      head.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(head);
    var body = el('tbody');
    visibleRows().forEach(function (row) {
      var tr = el('tr');
      state.columns.forEach(function (column) {
        var value = row[column.index];
        tr.appendChild(el('td', { class: value === null || value === undefined ? 'null' : column.kind === 'number' ? 'num' : '' }, format(value, column)));
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    container.appendChild(table);
  }

  function renderChart(container, kind) {
    var measure = state.measure;
    var by = kind === 'line' ? state.time : state.category;
    var points = state.rows.map(function (row) { return { label: row[by.index], value: asNumber(row[measure.index]) }; })
      .filter(function (p) { return p.value !== null && p.label !== null && p.label !== undefined; });
    if (kind === 'line') points.sort(function (a, b) { return Date.parse(a.label) - Date.parse(b.label); });
    else points = points.slice(0, 30);
    var width = 640, height = 300, left = 56, bottom = 40, top = 12, right = 12;
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': measure.name + ' by ' + by.name });
    var max = Math.max.apply(null, points.map(function (p) { return p.value; }).concat([0]));
    var min = Math.min.apply(null, points.map(function (p) { return p.value; }).concat([0]));
    var y = function (v) { return top + (height - top - bottom) * (max === min ? 0.5 : (max - v) / (max - min)); };
    var plotWidth = width - left - right;
    chart.appendChild(svg('line', { class: 'axis', x1: left, y1: y(0), x2: width - right, y2: y(0) }));
    chart.appendChild(svg('text', { x: 4, y: top + 10 }, axis.format(max)));
    chart.appendChild(svg('text', { x: 4, y: height - bottom }, axis.format(min)));
    if (kind === 'line') {
      var x = function (i) { return left + (points.length < 2 ? plotWidth / 2 : (plotWidth * i) / (points.length - 1)); };
      chart.appendChild(svg('polyline', { class: 'series', points: points.map(function (p, i) { return x(i).toFixed(1) + ',' + y(p.value).toFixed(1); }).join(' ') }));
      if (points.length > 0) {
        chart.appendChild(svg('text', { x: left, y: height - 8 }, String(points[0].label)));
        chart.appendChild(svg('text', { x: width - right, y: height - 8, 'text-anchor': 'end' }, String(points[points.length - 1].label)));
      }
    } else {
      var slot = plotWidth / Math.max(points.length, 1);
      points.forEach(function (p, i) {
        var barTop = Math.min(y(p.value), y(0));
        var rect = svg('rect', { class: 'col', x: (left + i * slot + slot * 0.15).toFixed(1), y: barTop.toFixed(1), width: (slot * 0.7).toFixed(1), height: Math.max(Math.abs(y(0) - y(p.value)), 1).toFixed(1) });
        rect.appendChild(svg('title', {}, String(p.label) + ': ' + format(p.value, measure)));
        chart.appendChild(rect);
        chart.appendChild(svg('text', { x: (left + i * slot + slot / 2).toFixed(1), y: height - 24, 'text-anchor': 'middle' }, String(p.label).slice(0, 12)));
      });
    }
    container.appendChild(chart);
    container.appendChild(el('div', { class: 'note' }, measure.name + ' by ' + by.name + (kind === 'bar' && state.rows.length > 30 ? ' (first 30)' : '')));
  }

  function csvField(value) {
    var text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    return /[",\\r\\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  function copyCsv() {
    var lines = [state.columns.map(function (c) { return csvField(c.name); }).join(',')].concat(visibleRows().map(function (row) {
      return state.columns.map(function (c) { return csvField(row[c.index]); }).join(',');
    }));
    var csv = lines.join('\\r\\n') + '\\r\\n';
    var fallback = function () {
      var area = root.querySelector('textarea') || root.appendChild(el('textarea', { 'aria-label': 'CSV', readonly: '' }));
      area.value = csv;
      area.select();
      resized();
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(csv).then(function () { status('Copied ' + (lines.length - 1) + ' rows as CSV.'); }, fallback);
    else fallback();
  }
  function status(text) {
    var note = root.querySelector('.status') || root.appendChild(el('div', { class: 'note status', role: 'status' }));
    note.textContent = text;
  }

  function resized() {
    notify('ui/notifications/size-changed', { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight });
  }

  request('ui/initialize', { appInfo: { name: 'sqlgate result', version: '1' }, appCapabilities: {}, protocolVersion: '2026-01-26' })
    .then(function (answer) { theme(answer && answer.hostContext); notify('ui/notifications/initialized'); })
    .catch(function () { root.textContent = 'This host did not start the view.'; });
})();
`;
