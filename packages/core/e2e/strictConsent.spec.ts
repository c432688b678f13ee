import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { duplicateIds } from '../../../scripts/e2e/duplicateIds';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import { expectedTags, fixturesDir, openTrackerPage, tagOf, trackEvents, trackerPageUrl } from './fixtures/trackerPage';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

/** What the page could have stored: every store the visitor's consent covers. */
async function storageOf(page: Page) {
  return page.evaluate(async () => ({
    cookie: document.cookie,
    localStorage: localStorage.length,
    sessionStorage: sessionStorage.length,
    indexedDb: (await indexedDB.databases()).map((database) => database.name),
  }));
}

const emptyStorage = { cookie: '', localStorage: 0, sessionStorage: 0, indexedDb: [] };

describe.skipIf(missing)('strict consent in Chromium', () => {
  let browser: Browser;
  let site: Recorder;
  let collector: Recorder;
  let context: BrowserContext;
  let page: Page;
  /** Requests the page made other than loading itself and the bundle. */
  let leaving: string[];

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
    leaving = [];
    context.on('request', (request) => {
      const url = new URL(request.url());
      const pageLoad = url.origin === site.origin && ['/tracker.html', '/waymark.js'].includes(url.pathname);
      if (!pageLoad) leaving.push(`${request.method()} ${request.url()}`);
    });
    page = await context.newPage();
    // A short timer and flushAt so that a tracker ignoring consent would send within the test.
    await openTrackerPage(
      page,
      trackerPageUrl(site, collector, { consent: 'strict', buffer: true, flushAt: 2, flushInterval: 200 })
    );
  });
  afterEach(async () => {
    await context.close();
    await collector.close();
  });

  it('sends and stores nothing before consent', async () => {
    await page.evaluate(() => window.tracker.page());
    await trackEvents(page, 5, 'before');
    await page.evaluate(() => window.tracker.identify('user-42', { travellerType: 'family' }));
    await page.waitForTimeout(1500);
    expect(collector.requests()).toEqual([]);
    expect(leaving).toEqual([]);
    expect(await storageOf(page)).toEqual(emptyStorage);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => window.pageErrors)).toEqual([]);
  });

  it('sends and stores nothing when the page is left before consent', async () => {
    await trackEvents(page, 5, 'before');
    await page.goto(site.url('/away.html'));
    await page.waitForTimeout(1000);
    expect(collector.requests()).toEqual([]);
    expect(leaving).toEqual([`GET ${site.url('/away.html')}`]);
    expect(await storageOf(page)).toEqual(emptyStorage);
  });

  it('replays the queued events with their original timestamps when consent is granted', async () => {
    const trackedFrom = await page.evaluate(() => Date.now());
    await page.evaluate(() => window.tracker.page());
    await trackEvents(page, 5, 'before');
    await page.waitForTimeout(1000);
    expect(collector.requests()).toEqual([]);

    const grantedAt = await page.evaluate(() => {
      const now = Date.now();
      window.tracker.setConsent({ analytics: true, storage: true });
      return now;
    });
    const events = await collector.waitForEvents(6);
    await collector.settle(1000);
    expect(duplicateIds(collector.envelopes())).toEqual([]);
    expect(collector.envelopes()).toHaveLength(6);
    expect(events.filter((event) => event.type === 'page')).toHaveLength(1);
    expect(
      events
        .filter((event) => event.type === 'track')
        .map(tagOf)
        .sort()
    ).toEqual(expectedTags('before', 5).sort());
    for (const event of events) {
      const at = Date.parse(event.timestamp);
      expect(at).toBeGreaterThanOrEqual(trackedFrom);
      expect(at).toBeLessThan(grantedAt);
    }
  });

  it('discards the queued events when consent is denied', async () => {
    await trackEvents(page, 4, 'denied');
    await page.evaluate(() => window.tracker.setConsent({ analytics: false }));
    await page.waitForTimeout(500);
    await page.evaluate(() => window.tracker.setConsent({ analytics: true }));
    await trackEvents(page, 2, 'granted');
    await collector.waitForEvents(2);
    await collector.settle(1000);
    expect(collector.envelopes().map(tagOf).sort()).toEqual(expectedTags('granted', 2));
  });

  it('keeps storage empty when only analytics is granted', async () => {
    await page.evaluate(() => window.tracker.setConsent({ analytics: true }));
    await trackEvents(page, 3, 'analytics-only');
    await collector.waitForEvents(3);
    expect(await storageOf(page)).toEqual(emptyStorage);
    expect(await context.cookies()).toEqual([]);
  });
});
