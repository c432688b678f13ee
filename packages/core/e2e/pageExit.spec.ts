import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { closePage } from '../../../scripts/e2e/closePage';
import { duplicateIds } from '../../../scripts/e2e/duplicateIds';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import {
  expectedTags,
  fixturesDir,
  openTrackerPage,
  tagOf,
  trackEvents,
  trackerPageUrl,
  type TrackerPageOptions,
} from './fixtures/trackerPage';

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
    await openTrackerPage(
      page,
      trackerPageUrl(site, collector, { consent: 'granted', flushInterval: NO_TIMER, ...options })
    );
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

  /** Tracks 25 events with the default flushAt (10): two groups of 10 are sent while the page lives, 5 wait for the exit. */
  async function trackTwentySentFiveWaiting(page: Page, tab: string) {
    for (const [from, to] of [
      [0, 10],
      [10, 20],
      [20, 25],
    ]) {
      await page.evaluate(
        ({ tab, from, to }) => {
          for (let seq = from; seq < to; seq++) window.tracker.track('itinerary_day_read', { tab, seq });
        },
        { tab, from, to }
      );
      if (to > 20) continue;
      await collector.waitForEvents(to);
      // The recorder sees a request before the page sees its answer; events tracked meanwhile would go right after it.
      await page.waitForTimeout(300);
    }
    expect(collector.envelopes()).toHaveLength(20);
  }

  it('delivers every event once when the page navigates away', async () => {
    const page = await openTracker({});
    await trackTwentySentFiveWaiting(page, 'nav');
    await page.goto(site.url('/away.html'));
    const events = await expectDeliveredOnce('nav', 25);
    expect(events.every((event) => event.name === 'itinerary_day_read' && event.type === 'track')).toBe(true);
  });

  it('delivers events still queued at exit when the page navigates away', async () => {
    const page = await openTracker({ flushAt: 100 });
    await trackEvents(page, 25, 'queued', { excerptBytes: 1000 });
    await page.waitForTimeout(300);
    expect(collector.collectorRequests()).toHaveLength(0);
    await page.goto(site.url('/away.html'));
    await expectDeliveredOnce('queued', 25);
  });

  // Chromium refuses keepalive requests beyond 64 KiB in flight per page, so without a buffer an exit flush larger than
  // that can only deliver its first 64 KiB; what matters is that no request is over budget and nothing is sent twice.
  it('keeps every exit request under the 64 KiB keepalive budget', async () => {
    const page = await openTracker({ flushAt: 100 });
    await trackEvents(page, 25, 'large', { excerptBytes: 3000 });
    await page.goto(site.url('/away.html'));
    await collector.waitForEvents(1);
    await collector.settle(1000);
    const events = collector.envelopes();
    expect(duplicateIds(events)).toEqual([]);
    expect(expectedTags('large', 25)).toEqual(expect.arrayContaining(events.map(tagOf)));
    for (const batch of collector.batches()) expect(batch.bodyBytes).toBeLessThanOrEqual(KEEPALIVE_BUDGET);
  });

  /**
   * Tracks 25 events of about 3.6 KB (about 90 KB, more than the 64 KiB Chromium lets keepalive requests have in
   * flight), leaves the page after `readMs`, comes back, and expects every event to have arrived by then.
   * Delivery is at-least-once: an exit request answered after the page is gone stays in IndexedDB and is sent again
   * under the same ids, for the collector to dedupe; so ids are counted once, as the collector counts them.
   */
  async function leaveOverBudgetAndComeBack(readMs: number) {
    // A slow collector keeps the first exit request in flight, so later ones meet the keepalive quota.
    collector.setDefaultResponse({ status: 200, delayMs: 1500 });
    const page = await context.newPage();
    await openTrackerPage(
      page,
      trackerPageUrl(site, collector, { consent: 'granted', buffer: true, flushAt: 100, flushInterval: NO_TIMER })
    );
    await trackEvents(page, 25, 'large', { excerptBytes: 3000 });
    if (readMs) await page.waitForTimeout(readMs);
    await page.goto(site.url('/away.html'));
    await collector.waitForEvents(1);
    await collector.settle(1000);
    await openTrackerPage(
      page,
      trackerPageUrl(site, collector, { consent: 'granted', buffer: true, flushAt: 100, flushInterval: 1000 })
    );
    await collector.waitForEvents(25, { distinct: true, timeout: 45_000 });
    await collector.settle(2000);
    const distinct = new Map(collector.envelopes().map((event) => [event.id, event]));
    expect([...distinct.values()].map(tagOf).sort()).toEqual(expectedTags('large', 25).sort());
    for (const batch of collector.batches()) expect(batch.bodyBytes).toBeLessThanOrEqual(KEEPALIVE_BUDGET);
  }

  it('sends what did not fit in the exit budget on the next visit, from IndexedDB', async () => {
    await leaveOverBudgetAndComeBack(1000);
  });

  // Left right after tracking, what fits the keepalive budget is sent at once; the rest waits in IndexedDB. (Left
  // within milliseconds of loading, the database may still be opening, and the rest is best effort.) The page first
  // settles, so its start-up send (which adopts from the buffer) cannot race the exit send.
  it('sends what fits the exit budget at once when the page is left right after tracking', async () => {
    collector.setDefaultResponse({ status: 200, delayMs: 1500 });
    const page = await context.newPage();
    await openTrackerPage(
      page,
      trackerPageUrl(site, collector, { consent: 'granted', buffer: true, flushAt: 100, flushInterval: NO_TIMER })
    );
    await page.waitForTimeout(1000);
    await trackEvents(page, 25, 'large', { excerptBytes: 3000 });
    await page.goto(site.url('/away.html'));
    await collector.waitForEvents(1);
    await collector.settle(2000);
    const batches = collector.batches();
    expect(batches.reduce((sum, batch) => sum + batch.bodyBytes, 0)).toBeLessThanOrEqual(KEEPALIVE_BUDGET);
    expect(duplicateIds(collector.envelopes())).toEqual([]);
    // Oldest first: the events that left are the first ones tracked, as many as the budget held.
    const delivered = collector.envelopes().map(tagOf);
    expect(delivered.length).toBeGreaterThanOrEqual(10);
    expect(delivered).toEqual(expectedTags('large', delivered.length));
  });

  it('delivers every event once when the tab is closed', async () => {
    const page = await openTracker({ flushAt: 100 });
    await trackEvents(page, 25, 'close');
    await closePage(page);
    await expectDeliveredOnce('close', 25);
  });

  it('delivers every event once when the tab is closed without beforeunload', async () => {
    const page = await openTracker({});
    await trackTwentySentFiveWaiting(page, 'plain-close');
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
    await openTrackerPage(
      page,
      trackerPageUrl(site, collector, { consent: 'granted', flushInterval: NO_TIMER, flushAt: 100 })
    );
    await page.evaluate(() => window.tracker.page());
    await trackEvents(page, 5, 'second');
    await closePage(page);
    await collector.waitForEvents(12);
    await collector.settle(1000);
    const events = collector.envelopes();
    expect(duplicateIds(events)).toEqual([]);
    expect(events.filter((event) => event.type === 'page')).toHaveLength(2);
    expect(
      events
        .filter((event) => event.type === 'track')
        .map(tagOf)
        .sort()
    ).toEqual([...expectedTags('first', 5), ...expectedTags('second', 5)].sort());
  });
});
