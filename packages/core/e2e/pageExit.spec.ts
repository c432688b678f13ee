import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { closePage } from '../../../scripts/e2e/closePage';
import { duplicateIds } from '../../../scripts/e2e/duplicateIds';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import { expectedTags, fixturesDir, tagOf, trackEvents, trackerPageUrl, type TrackerPageOptions } from './fixtures/trackerPage';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

/** The keepalive / beacon in-flight budget every page-exit request must stay under. */
const KEEPALIVE_BUDGET = 64 * 1024;
/** Long enough that only the page exit (or flushAt) can trigger a send during a test. */
const NO_TIMER = 600_000;

// Headless Chromium keeps every page `visible` while it lives (a second page, a window.open tab, a minimised window
// and bringToFront all leave visibilityState 'visible'), so the hidden state is reached the way users reach it most:
// by navigating away or closing the tab, which fire pagehide and then visibilitychange (hidden).
describe.skipIf(missing)('page exit in Chromium', () => {
  let browser: Browser;
  let site: Recorder;
  let collector: Recorder;
  let context: BrowserContext;

  beforeAll(async () => {
    browser = await launchChromium();
    site = await startRecorder({ staticDir: fixturesDir });
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

  async function openTracker(options: TrackerPageOptions): Promise<Page> {
    const page = await context.newPage();
    await page.goto(trackerPageUrl(site, collector, { consent: 'granted', flushInterval: NO_TIMER, ...options }));
    return page;
  }

  /** Waits for `count` events plus a quiet second for late duplicates, then checks exactly-once and body sizes. */
  async function expectDeliveredOnce(tab: string, count: number) {
    await collector.waitForEvents(count);
    await collector.settle(1000);
    const events = collector.envelopes();
    expect(duplicateIds(events)).toEqual([]);
    expect(events.map(tagOf).sort()).toEqual(expectedTags(tab, count).sort());
    for (const batch of collector.batches()) {
      expect(batch.bodyBytes).toBeLessThanOrEqual(KEEPALIVE_BUDGET);
      expect(batch.contentType).toMatch(/^text\/plain/);
      expect(batch.query.key).toBe('wk_e2e');
    }
    return events;
  }

  it('delivers every event once when the page navigates away', async () => {
    const page = await openTracker({});
    await trackEvents(page, 25, 'nav');
    await page.goto(site.url('/away.html'));
    const events = await expectDeliveredOnce('nav', 25);
    expect(events.every((event) => event.name === 'itinerary_day_read' && event.type === 'track')).toBe(true);
  });

  it('delivers events still queued at exit when the page navigates away', async () => {
    const page = await openTracker({ flushAt: 100 });
    await trackEvents(page, 25, 'queued', 1000);
    await page.waitForTimeout(300);
    expect(collector.collectorRequests()).toHaveLength(0);
    await page.goto(site.url('/away.html'));
    await expectDeliveredOnce('queued', 25);
  });

  // Chromium refuses keepalive requests beyond 64 KiB in flight per page, so without a buffer an exit flush larger than
  // that can only deliver its first 64 KiB; what matters is that no request is over budget and nothing is sent twice.
  it('keeps every exit request under the 64 KiB keepalive budget', async () => {
    const page = await openTracker({ flushAt: 100 });
    await trackEvents(page, 25, 'large', 3000);
    await page.goto(site.url('/away.html'));
    await collector.waitForEvents(1);
    await collector.settle(1000);
    const events = collector.envelopes();
    expect(duplicateIds(events)).toEqual([]);
    expect(expectedTags('large', 25)).toEqual(expect.arrayContaining(events.map(tagOf)));
    for (const batch of collector.batches()) expect(batch.bodyBytes).toBeLessThanOrEqual(KEEPALIVE_BUDGET);
  });

  // Delivery is at-least-once: an exit request whose answer comes after the page is gone stays in IndexedDB and is
  // sent again, under the same ids, for the collector to dedupe. So this counts ids once, as the collector does.
  it('sends what did not fit in the exit budget on the next visit, from IndexedDB', async () => {
    collector.setDefaultResponse({ status: 200, delayMs: 100 });
    const url = trackerPageUrl(site, collector, { consent: 'granted', buffer: true, flushAt: 100, flushInterval: 1000 });
    const page = await context.newPage();
    await page.goto(url);
    await trackEvents(page, 25, 'large', 3000);
    await page.goto(site.url('/away.html'));
    await collector.waitForEvents(1);
    await collector.settle(1000);
    await page.goto(url);
    await collector.waitForEvents(25, { distinct: true, timeout: 45_000 });
    await collector.settle(1500);
    const distinct = new Map(collector.envelopes().map((event) => [event.id, event]));
    expect([...distinct.values()].map(tagOf).sort()).toEqual(expectedTags('large', 25).sort());
    for (const batch of collector.batches()) expect(batch.bodyBytes).toBeLessThanOrEqual(KEEPALIVE_BUDGET);
  });

  it('delivers every event once when the tab is closed', async () => {
    const page = await openTracker({ flushAt: 100 });
    await trackEvents(page, 25, 'close');
    await closePage(page);
    await expectDeliveredOnce('close', 25);
  });

  it('delivers every event once when the tab is closed without beforeunload', async () => {
    const page = await openTracker({});
    await trackEvents(page, 25, 'plain-close');
    await page.close();
    await expectDeliveredOnce('plain-close', 25);
  });

  it('delivers every event once with beaconTransport when the page reloads', async () => {
    const page = await openTracker({ flushAt: 100, transport: 'beacon' });
    await trackEvents(page, 25, 'beacon');
    await page.reload();
    await expectDeliveredOnce('beacon', 25);
  });

  it('sends the page view and events of each page when navigating between tracked pages', async () => {
    const page = await openTracker({ flushAt: 100 });
    await page.evaluate(() => window.tracker.page());
    await trackEvents(page, 5, 'first');
    await page.goto(trackerPageUrl(site, collector, { consent: 'granted', flushInterval: NO_TIMER, flushAt: 100 }));
    await page.evaluate(() => window.tracker.page());
    await trackEvents(page, 5, 'second');
    await closePage(page);
    await collector.waitForEvents(12);
    await collector.settle(1000);
    const events = collector.envelopes();
    expect(duplicateIds(events)).toEqual([]);
    expect(events.filter((event) => event.type === 'page')).toHaveLength(2);
    expect(events.filter((event) => event.type === 'track').map(tagOf).sort()).toEqual(
      [...expectedTags('first', 5), ...expectedTags('second', 5)].sort(),
    );
  });
});
