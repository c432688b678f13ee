import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { renderHtml } from '../src/renderHtml';
import type { ReportResult, ReportSet } from '../src/reportResult';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

const SCRIPT = '<script>window.__pwned = "script"</script>';
const IMG = '<img src=x onerror=alert(1)>';
const ATTR = '"><svg onload="window.__pwned=\'attr\'">';
const SAMPLING = 'Counts are weighted by each event\'s sample rate: 12% of the events in this period were sampled.';
const period = { from: '2026-10-01', to: '2026-10-14' };
const previous = { from: '2026-09-17', to: '2026-09-30' };

function day(offset: number): string {
  return new Date(Date.UTC(2026, 9, 1 + offset)).toISOString().slice(0, 10);
}

const overview: ReportResult = {
  id: 'overview',
  title: 'Overview',
  description: 'Page views per day against the previous period.',
  kind: 'overview',
  period,
  comparison: previous,
  filters: [],
  columns: [
    { key: 'day', label: 'Day', format: 'day' },
    { key: 'views', label: 'Page views', format: 'count' },
    { key: 'views_previous', label: 'Page views, previous period', format: 'count' },
    { key: 'views_change', label: 'Change', format: 'change' },
  ],
  rows: Array.from({ length: 14 }, (_, i) => {
    const views = 1200 + 300 * Math.sin(i / 2) + i * 20;
    const before = 1100 + 200 * Math.cos(i / 3);
    return { day: day(i), views, views_previous: before, views_change: views / before - 1 };
  }),
  charts: [{ type: 'line', x: 'day', series: ['views', 'views_previous'], title: 'Page views per day' }],
  notes: [SAMPLING],
};

const content: ReportResult = {
  id: 'content-by-post',
  title: 'Content performance by post',
  description: 'Views, readers and read-through per post.',
  kind: 'table',
  period,
  scope: { role: 'creator', authorId: 'ana' },
  filters: ['device = mobile', `utm_campaign = ${ATTR}`],
  columns: [
    { key: 'post', label: 'Post', format: 'text' },
    { key: 'views', label: 'Views', format: 'count' },
    { key: 'unique_readers', label: 'Unique readers', format: 'count' },
    { key: 'median_engaged_ms', label: 'Median engaged time', format: 'duration' },
    { key: 'read_through_rate', label: 'Read-through rate', format: 'ratio' },
    { key: 'affiliate_click_rate', label: 'Affiliate click rate', format: 'ratio' },
  ],
  rows: [
    { post: 'lisbon-in-three-days', views: 4210, unique_readers: 3120, median_engaged_ms: 154_000, read_through_rate: 0.43, affiliate_click_rate: 0.031 },
    { post: SCRIPT, views: 3180.5, unique_readers: 2500, median_engaged_ms: 98_000, read_through_rate: 0.38, affiliate_click_rate: 0.02 },
    { post: IMG, views: 2400, unique_readers: 2011, median_engaged_ms: 65_000, read_through_rate: 0.29, affiliate_click_rate: 0.011 },
    { post: 'porto-food-guide-with-a-rather-long-identifier-for-a-post', views: 1805, unique_readers: 1500, median_engaged_ms: 120_500, read_through_rate: 0.51, affiliate_click_rate: 0.045 },
    { post: ATTR, views: 900, unique_readers: 780, median_engaged_ms: 40_000, read_through_rate: 0.2, affiliate_click_rate: 0 },
    { post: '', views: 120, unique_readers: 118, median_engaged_ms: 5_000, read_through_rate: null, affiliate_click_rate: null },
  ],
  charts: [{ type: 'bar', x: 'post', series: ['views'], title: 'Views by post' }],
  notes: [SAMPLING],
};

const funnel: ReportResult = {
  id: 'read-to-booking',
  title: 'From reading to booking',
  kind: 'funnel',
  period,
  filters: [],
  columns: [
    { key: 'step', label: 'Step', format: 'text' },
    { key: 'readers', label: 'Readers', format: 'count' },
    { key: 'conversion', label: 'Of the first step', format: 'ratio' },
  ],
  rows: [
    { step: 'Post viewed', readers: 10_000, conversion: 1 },
    { step: 'Post read', readers: 4_200, conversion: 0.42 },
    { step: IMG, readers: 610, conversion: 0.061 },
    { step: 'Booking', readers: 75, conversion: 0.0075 },
  ],
  charts: [{ type: 'funnel', x: 'step', series: ['readers', 'conversion'] }],
  notes: [],
};

const retention: ReportResult = {
  id: 'retention',
  title: 'Readers who come back',
  kind: 'retention',
  period,
  filters: ['segment: traveller type = family'],
  columns: [
    { key: 'cohort', label: 'First visit week', format: 'day' },
    { key: 'week', label: 'Weeks since first visit', format: 'number' },
    { key: 'retained', label: 'Readers back', format: 'ratio' },
  ],
  rows: ['2026-09-14', '2026-09-21', '2026-09-28', '2026-10-05'].flatMap((cohort, c) =>
    Array.from({ length: 4 - c }, (_, week) => ({ cohort, week, retained: week === 0 ? 1 : 0.4 / week - c * 0.02 })),
  ),
  charts: [{ type: 'heatmap', x: 'week', y: 'cohort', series: ['retained'] }],
  notes: [],
};

const quality: ReportResult = {
  id: 'data-quality',
  title: 'Data quality',
  kind: 'quality',
  period,
  scope: { role: 'admin' },
  filters: [],
  columns: [
    { key: 'reason', label: 'Reason', format: 'text' },
    { key: 'events', label: 'Events', format: 'count' },
  ],
  rows: [
    { reason: 'invalid_event', events: 42 },
    { reason: `unknown_event ${SCRIPT}`, events: 3 },
  ],
  charts: [],
  notes: ['Sampling in effect: 1 in 8 page views on mobile.'],
};

const set: ReportSet = {
  title: `October travel report ${IMG}`,
  generatedAt: '2026-10-15T06:00:00.000Z',
  period,
  reports: [overview, content, funnel, retention, quality],
};
const chartCount = set.reports.reduce((sum, report) => sum + report.charts.length, 0);

interface Watch {
  /** Every request the page made (the document itself included). */
  requests: string[];
  /** Requests other than the report file, which the route stopped. */
  blocked: string[];
  dialogs: string[];
  errors: string[];
}

async function open(context: BrowserContext, url: string): Promise<{ page: Page; watch: Watch }> {
  const watch: Watch = { requests: [], blocked: [], dialogs: [], errors: [] };
  // Every request is routed: nothing but the report file itself may load.
  await context.route('**/*', (route) => {
    const requested = route.request().url();
    if (requested === url) return route.continue();
    watch.blocked.push(requested);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (request) => watch.requests.push(request.url()));
  page.on('dialog', async (dialog) => {
    watch.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watch.errors.push(message.text());
  });
  page.on('pageerror', (error) => watch.errors.push(error.message));
  await page.goto(url);
  return { page, watch };
}

/** Share of pixels that differ between two same-size PNGs, and the number of colours in the first, decoded by Chromium. */
async function comparePngs(page: Page, a: Buffer, b: Buffer): Promise<{ differing: number; colors: number; width: number }> {
  await page.setContent('<!doctype html><title>compare</title>');
  return page.evaluate(
    async ({ a, b }) => {
      const load = (base64: string) =>
        new Promise<HTMLImageElement>((resolve, reject) => {
          const image = new Image();
          image.onload = () => resolve(image);
          image.onerror = () => reject(new Error('PNG did not decode'));
          image.src = `data:image/png;base64,${base64}`;
        });
      const [first, second] = await Promise.all([load(a), load(b)]);
      const canvas = document.createElement('canvas');
      canvas.width = first.width;
      canvas.height = first.height;
      const context = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
      context.drawImage(first, 0, 0);
      const one = context.getImageData(0, 0, canvas.width, canvas.height).data;
      context.clearRect(0, 0, canvas.width, canvas.height);
      context.drawImage(second, 0, 0);
      const two = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let differing = 0;
      const colors = new Set<number>();
      for (let i = 0; i < one.length; i += 4) {
        const delta = Math.abs(one[i] - two[i]) + Math.abs(one[i + 1] - two[i + 1]) + Math.abs(one[i + 2] - two[i + 2]);
        if (delta > 48) differing += 1;
        colors.add((one[i] << 16) | (one[i + 1] << 8) | one[i + 2]);
      }
      return { differing: differing / (one.length / 4), colors: colors.size, width: first.width };
    },
    { a: a.toString('base64'), b: b.toString('base64') },
  );
}

describe.skipIf(missing)('HTML report in Chromium', () => {
  let browser: Browser;
  let dir: string;
  let reportUrl: string;
  let emptyUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'waymark-report-'));
    const reportFile = join(dir, 'report.html');
    const emptyFile = join(dir, 'empty.html');
    await writeFile(reportFile, renderHtml(set));
    await writeFile(emptyFile, '<!doctype html><html><head><meta charset="utf-8"><title>empty</title></head><body></body></html>');
    reportUrl = pathToFileURL(reportFile).href;
    emptyUrl = pathToFileURL(emptyFile).href;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renders the title, every section and every chart, loading nothing', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, watch } = await open(context, reportUrl);
    expect(await page.title()).toBe(`October travel report ${IMG} · 2026-10-01 – 2026-10-14`);
    expect(await page.locator('h1').textContent()).toBe(`October travel report ${IMG}`);
    expect(await page.locator('nav.toc li').allTextContents()).toEqual(set.reports.map((report) => report.title));
    const sections = page.locator('section.report');
    expect(await sections.count()).toBe(set.reports.length);
    for (const [index, report] of set.reports.entries()) {
      const section = sections.nth(index);
      await expect.poll(() => section.isVisible()).toBe(true);
      expect(await section.locator('h2').textContent()).toBe(report.title);
      expect(await section.locator('tbody tr').count()).toBe(report.rows.length);
      expect(await section.locator('.notes p').allTextContents()).toEqual(report.notes);
    }
    // The table of contents jumps to its section.
    await page.click('nav.toc a >> text=Readers who come back');
    expect(new URL(page.url()).hash).toBe('#report-retention');

    const charts = page.locator('figure.chart svg');
    expect(await charts.count()).toBe(chartCount);
    for (let i = 0; i < chartCount; i += 1) {
      const chart = charts.nth(i);
      await chart.scrollIntoViewIfNeeded();
      expect(await chart.isVisible()).toBe(true);
      const box = await chart.boundingBox();
      expect(box?.width).toBeGreaterThan(200);
      expect(box?.height).toBeGreaterThan(100);
      expect(await chart.locator('[ecmeta_ssr_type="chart"]').count()).toBeGreaterThan(0);
    }
    // One bar per post, one point per day and series, one step per funnel row, one cell per retention value.
    expect(await page.locator('figure.chart-bar [ecmeta_ssr_type="chart"]').count()).toBe(content.rows.length);
    expect(await page.locator('figure.chart-line [ecmeta_ssr_type="chart"]').count()).toBe(overview.rows.length * 2);
    expect(await page.locator('figure.chart-funnel [ecmeta_ssr_type="chart"]').count()).toBe(funnel.rows.length);
    expect(await page.locator('figure.chart-heatmap [ecmeta_ssr_type="chart"]').count()).toBe(retention.rows.length);

    // The sampling note is on screen, not only in the markup.
    const note = page.locator('#report-content-by-post .notes p').first();
    await note.scrollIntoViewIfNeeded();
    expect(await note.isVisible()).toBe(true);
    expect((await note.boundingBox())?.height).toBeGreaterThan(10);

    expect(watch.requests).toEqual([reportUrl]);
    expect(watch.blocked).toEqual([]);
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it('shows event text as text and runs none of it, even with its CSP bypassed', async () => {
    // Without the page's Content-Security-Policy only the escaping stands between event text and the reader.
    const context = await browser.newContext({ bypassCSP: true });
    const { page, watch } = await open(context, reportUrl);
    const cells = await page.locator('#report-content-by-post tbody td:first-child').allTextContents();
    expect(cells).toEqual([
      'lisbon-in-three-days',
      SCRIPT,
      IMG,
      'porto-food-guide-with-a-rather-long-identifier-for-a-post',
      ATTR,
      '(none)',
    ]);
    expect(await page.locator('#report-content-by-post dd li').allTextContents()).toEqual(['device = mobile', `utm_campaign = ${ATTR}`]);
    // Long category labels are shortened with an ellipsis: compare their beginnings.
    const barLabels = await page.locator('figure.chart-bar svg text').allTextContents();
    expect(barLabels.filter((label) => label.startsWith('<script>window.__pwned'))).toHaveLength(1);
    expect(barLabels.filter((label) => label.startsWith('<img src=x'))).toHaveLength(1);
    expect(barLabels.filter((label) => label.startsWith('"><svg onload='))).toHaveLength(1);
    expect(await page.locator('figure.chart-funnel svg text').allTextContents()).toContain(`${IMG}: 610 (6.1%)`);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('img, [onerror], [onload]').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(watch.dialogs).toEqual([]);
    expect(watch.requests).toEqual([reportUrl]);
    expect(watch.blocked).toEqual([]);
    await context.close();
  });

  it('is not a blank page on screen', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(reportUrl);
    const top = await page.screenshot();
    await page.locator('figure.chart-line').scrollIntoViewIfNeeded();
    const chart = await page.screenshot();
    await page.goto(emptyUrl);
    const empty = await page.screenshot();
    const atTop = await comparePngs(page, top, empty);
    expect(atTop.width).toBe(1280);
    expect(atTop.differing).toBeGreaterThan(0.02);
    expect(atTop.colors).toBeGreaterThan(20);
    const atChart = await comparePngs(page, chart, empty);
    expect(atChart.differing).toBeGreaterThan(0.02);
    expect(atChart.colors).toBeGreaterThan(50);
    // The comparison can fail: the empty page differs from itself nowhere.
    expect((await comparePngs(page, empty, empty)).differing).toBe(0);
    await context.close();
  });

  it('fits a phone screen: the page does not scroll sideways, wide tables and charts pan in their boxes', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const { page } = await open(context, reportUrl);
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      table: (document.querySelector('#report-content-by-post table') as HTMLElement).scrollWidth,
      wrap: (document.querySelector('#report-content-by-post .table-wrap') as HTMLElement).clientWidth,
      charts: [...document.querySelectorAll('figure.chart .plot')].map((plot) => plot.getBoundingClientRect().right),
      chartText: Math.min(
        ...[...document.querySelectorAll('figure.chart svg')].map((svg) => svg.getBoundingClientRect().width / Number(svg.getAttribute('width'))),
      ),
    }));
    expect(widths.viewport).toBe(390);
    expect(widths.page).toBeLessThanOrEqual(390);
    expect(widths.table).toBeGreaterThan(widths.wrap);
    expect(widths.charts).toHaveLength(chartCount);
    for (const right of widths.charts) expect(right).toBeLessThanOrEqual(390);
    // Charts pan inside their box rather than shrink their 12 px labels below about 9 px.
    expect(widths.chartText).toBeGreaterThanOrEqual(0.74);
    await context.close();
  });

  it('prints without the table of contents, charts kept', async () => {
    const context = await browser.newContext();
    const { page } = await open(context, reportUrl);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('nav.toc').isVisible()).toBe(false);
    expect(await page.locator('figure.chart svg').first().isVisible()).toBe(true);
    expect(await page.locator('#report-content-by-post .notes').isVisible()).toBe(true);
    await context.close();
  });
});
