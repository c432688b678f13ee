import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { chromiumLaunchOptions } from '../../../scripts/e2e/launchChromium';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import { openEngagementPage, startEngagementSite, type EngagementSite } from './engagementSite';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

const engagedReports = (collector: Recorder) =>
  collector.envelopes().filter((event) => event.name === 'engaged_time_reported').map((event) => event.properties);

/** Moves the mouse a little every 200 ms for `ms`: an active reader. */
async function read(page: Page, ms: number) {
  for (let t = 0; t < ms; t += 200) {
    await page.mouse.move(100 + (t % 400), 200 + (t % 300));
    await page.waitForTimeout(200);
  }
}

/**
 * Makes the page report `hidden` as its visibility and fire `visibilitychange`, as switching tabs does (headless Chromium
 * keeps a live page visible); `visible` removes the override, so the browser's real state shows through again.
 */
async function setVisibility(page: Page, state: 'visible' | 'hidden') {
  await page.evaluate((value) => {
    if (value === 'hidden') Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => value });
    else delete (document as { visibilityState?: string }).visibilityState;
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  }, state);
}

describe.skipIf(missing)('engaged time in Chromium', () => {
  let browser: Browser;
  let site: EngagementSite;
  let collector: Recorder;
  let context: BrowserContext;

  beforeAll(async () => {
    // Playwright turns the back/forward cache off by default; these tests need it.
    browser = await chromium.launch({ ...chromiumLaunchOptions(), ignoreDefaultArgs: ['--disable-back-forward-cache'] });
    site = await startEngagementSite();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });
  beforeEach(async () => {
    collector = await startRecorder();
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context.close();
    await collector.close();
  });

  it('counts active reading only, and delivers the final report when the reader navigates away', async () => {
    const page = await openEngagementPage(context, site, collector.origin, { modules: { engagedTime: { idleAfter: 1000, pingEvery: 0 } } });
    const opened = Date.now();
    await read(page, 2000);
    await page.waitForTimeout(3000); // idle after 1 s of this
    await page.goto(site.url('/engagementAway.html'));
    const elapsed = Date.now() - opened;
    await collector.waitForEvents(2);
    await collector.settle(500);
    const reports = engagedReports(collector);
    expect(reports).toHaveLength(1);
    expect(reports[0].final).toBe(true);
    // About 2 s of input plus the 1 s before idle, and some load time; well below the time on the page.
    expect(reports[0].engagedMs).toBeGreaterThan(2500);
    expect(reports[0].engagedMs).toBeLessThan(elapsed - 1500);
    expect(collector.envelopes().find((event) => event.name === 'engaged_time_reported')?.properties.postId).toBe('post-1842');
  });

  it('does not count while the page is hidden, and reports at each hide', async () => {
    const page = await openEngagementPage(context, site, collector.origin, { modules: { engagedTime: { idleAfter: 60_000, pingEvery: 0 } } });
    await read(page, 1000);
    await setVisibility(page, 'hidden');
    const first = await collector.waitForEvents(2);
    await page.waitForTimeout(3000);
    await setVisibility(page, 'visible');
    await read(page, 1000);
    await page.goto(site.url('/engagementAway.html'));
    await collector.waitForEvents(first.length + 1);
    await collector.settle(500);
    const reports = engagedReports(collector);
    expect(reports.map((report) => report.final)).toEqual([true, true]);
    expect(reports[1].engagedMs).toBeGreaterThan(800);
    expect(reports[1].engagedMs).toBeLessThan(2500);
  });

  it('sends pings on long reads', async () => {
    const page = await openEngagementPage(context, site, collector.origin, {
      modules: { engagedTime: { idleAfter: 60_000, pingEvery: 1000 } },
      flushInterval: 200,
    });
    await read(page, 3200);
    await collector.waitForEvents(4);
    const pings = engagedReports(collector).filter((report) => report.final === false);
    expect(pings.length).toBeGreaterThanOrEqual(2);
    for (const ping of pings.slice(1)) expect(Number(ping.engagedMs)).toBeLessThanOrEqual(1300);
  });

  it('keeps counting after a back/forward-cache restore', async () => {
    const page = await openEngagementPage(context, site, collector.origin, { modules: { engagedTime: { idleAfter: 60_000, pingEvery: 0 } } });
    await read(page, 1000);
    await page.goto(site.url('/engagementAway.html'));
    await collector.waitForEvents(2);
    // A restored page fires no load event.
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForFunction(() => window.restored === 1, undefined, { timeout: 5000 });
    expect(await page.evaluate(() => window.restored)).toBe(1);
    await read(page, 1500);
    await page.goto(site.url('/engagementAway.html'));
    await collector.waitForEvents(3);
    await collector.settle(500);
    const reports = engagedReports(collector);
    expect(reports).toHaveLength(2);
    expect(reports[1].final).toBe(true);
    expect(reports[1].engagedMs).toBeGreaterThan(1200);
    expect(reports[1].engagedMs).toBeLessThan(3000);
    expect(new Set(collector.envelopes().map((event) => event.id)).size).toBe(collector.envelopes().length);
  });
});
