/**
 * The MCP Apps result view (src/apps/result-view.ts) in a real browser: Debian's chromium, driven by playwright-core,
 * inside a small test host that speaks the host side of the MCP Apps postMessage protocol (answers ui/initialize,
 * then sends ui/notifications/tool-result) and frames the view as hosts do (sandboxed, scripts only). A time series
 * becomes a line chart, categories a bar chart, and hostile values stay text. Screenshots go to
 * test-artifacts/result-view/ (ignored by git).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_VIEW_HTML } from '../../src/apps/result-view.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/result-view');

/** The host: frames the view, answers its initialize, hands it `window.toolResult`, and records what it said. */
const HOST_PAGE = `<!doctype html><html><body style="margin:0;background:#eee">
<iframe id="view" sandbox="allow-scripts" style="width:760px;height:520px;border:0;background:#fff"></iframe>
<script>
  window.said = [];
  const frame = document.getElementById('view');
  window.addEventListener('message', (event) => {
    if (event.source !== frame.contentWindow) return;
    const message = event.data;
    window.said.push(message);
    if (message.method === 'ui/initialize') {
      frame.contentWindow.postMessage({ jsonrpc: '2.0', id: message.id, result: { protocolVersion: '2026-01-26', hostInfo: { name: 'test host', version: '1' }, hostCapabilities: {}, hostContext: { theme: 'light' } } }, '*');
    } else if (message.method === 'ui/notifications/initialized') {
      frame.contentWindow.postMessage({ jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: window.toolResult }, '*');
    }
  });
  window.load = (html) => { frame.srcdoc = html; };
</script></body></html>`;

let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`The result view's browser test needs Debian's chromium at ${CHROMIUM}: sudo apt-get install -y chromium (CI does this in .ci/run). Do not run \`npx playwright install\`.`);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

function result(columns: [string, string][], rows: unknown[][]) {
  return {
    content: [{ type: 'text', text: `${rows.length} rows` }],
    structuredContent: { columns: columns.map(([name, type]) => ({ name, type })), rows, row_count: rows.length, truncated: false, rows_affected: null, elapsed_ms: 3 },
  };
}

async function open(toolResult: unknown): Promise<{ page: Page; view: FrameLocator; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 800, height: 560 } });
  const errors: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.setContent(HOST_PAGE);
  await page.evaluate(([html, value]) => {
    (globalThis as unknown as { toolResult: unknown }).toolResult = value;
    (globalThis as unknown as { load(html: string): void }).load(html as string);
  }, [RESULT_VIEW_HTML, toolResult] as const);
  const view = page.frameLocator('#view');
  await view.locator('.bar').waitFor();
  return { page, view, errors };
}

const DAYS = Array.from({ length: 30 }, (_, i) => [`2024-10-${String(i + 1).padStart(2, '0')}`, 1_000 + 250 * Math.sin(i / 3) + i * 20, 40 + i]);
const CATEGORIES = [['Electronics', '48211.50', 312], ['Home & Garden', '30120.00', 250], ['Books', '12990.25', 801], ['Toys', '9120.75', 143]];

describe('the result view in chromium', () => {
  it('shows a time series as a table and as a line chart', async () => {
    const { page, view, errors } = await open(result([['day', 'date'], ['revenue', 'numeric'], ['orders', 'bigint']], DAYS));
    try {
      await expect(view.locator('tbody tr').count()).resolves.toBe(30);
      await expect(view.locator('tbody tr').first().locator('td').nth(2).textContent()).resolves.toBe('40');
      await page.screenshot({ path: path.join(ARTIFACTS, 'time-series-table.png') });
      await view.locator('button[data-view="line"]').click();
      await expect(view.locator('svg polyline.series').count()).resolves.toBe(1);
      const points = await view.locator('svg polyline.series').getAttribute('points');
      expect(points!.split(' ')).toHaveLength(30);
      await page.screenshot({ path: path.join(ARTIFACTS, 'time-series-line.png') });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows categories as a bar chart, sorts, filters and gives the rows as CSV', async () => {
    const { page, view, errors } = await open(result([['category', 'text'], ['revenue', 'numeric'], ['orders', 'integer']], CATEGORIES));
    try {
      await view.locator('button[data-view="bar"]').click();
      await expect(view.locator('svg rect.col').count()).resolves.toBe(4);
      await page.screenshot({ path: path.join(ARTIFACTS, 'categories-bar.png') });
      await view.locator('button[data-view="table"]').click();
      await view.locator('th', { hasText: 'orders' }).click();
      await expect(view.locator('tbody tr td:first-child').allTextContents()).resolves.toEqual(['Toys', 'Home & Garden', 'Electronics', 'Books']);
      await view.locator('input[type="search"]').fill('home');
      await expect(view.locator('tbody tr').count()).resolves.toBe(1);
      await view.locator('button[data-action="csv"]').click();
      // A sandboxed frame may not write the clipboard: the CSV is then shown, selected, to copy by hand.
      const csv = await view.locator('textarea').inputValue({ timeout: 5_000 }).catch(() => null);
      // (A textarea's value has its line breaks as \n, whatever was put in.)
      if (csv !== null) expect(csv).toBe('category,revenue,orders\nHome & Garden,30120.00,250\n');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows hostile values as text: no markup, no script runs', async () => {
    const hostile = ['<script>window.parent.pwned = 1</script>', '<img src=x onerror="window.parent.pwned = 2">', '"><svg onload="window.parent.pwned = 3">'];
    const { page, view, errors } = await open(result([['note', 'text'], ['n', 'integer']], hostile.map((text, i) => [text, i])));
    try {
      await expect(view.locator('tbody td:first-child').allTextContents()).resolves.toEqual(hostile);
      await expect(view.locator('tbody img, tbody script, tbody svg').count()).resolves.toBe(0);
      await view.locator('button[data-view="bar"]').click();
      await expect(view.locator('svg rect.col title').allTextContents()).resolves.toEqual(hostile.map((text, i) => `${text}: ${i}`));
      await page.waitForTimeout(200);
      expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await page.screenshot({ path: path.join(ARTIFACTS, 'hostile-values.png') });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('speaks MCP Apps to its host: initialize, initialized, then its size', async () => {
    const { page } = await open(result([['n', 'integer']], [[1]]));
    try {
      const said = await page.evaluate(() => (globalThis as unknown as { said: { method?: string; params?: { appInfo?: unknown } }[] }).said);
      expect(said.map((m) => m.method).slice(0, 2)).toEqual(['ui/initialize', 'ui/notifications/initialized']);
      expect(said.map((m) => m.method)).toContain('ui/notifications/size-changed');
    } finally {
      await page.close();
    }
  });
});

describe('the result view page', () => {
  it('is small and allows nothing but its own inline style and script', () => {
    expect(Buffer.byteLength(RESULT_VIEW_HTML)).toBeLessThan(20_000);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(RESULT_VIEW_HTML)![1]!;
    expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-[A-Za-z0-9+/]+=*'; img-src data:; base-uri 'none'; form-action 'none'$/);
    expect(RESULT_VIEW_HTML.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//); // SVG's namespace is a name, not a request
  });
});
