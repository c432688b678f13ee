import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { duplicateIds } from '../../../scripts/e2e/duplicateIds';
import { launchChromium, launchPersistentChromium } from '../../../scripts/e2e/launchChromium';
import { routeThroughNode } from '../../../scripts/e2e/routeThroughNode';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import { expectedTags, fixturesDir, openTrackerPage, tagOf, trackEvents, trackerPageUrl } from './fixtures/trackerPage';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

describe.skipIf(missing)('offline delivery in Chromium', () => {
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

  /** Consent granted, IndexedDB buffer, and a 1 s flush timer so the tracker keeps trying while offline. */
  const bufferedPage = () =>
    trackerPageUrl(site, collector, { consent: 'granted', buffer: true, flushAt: 5, flushInterval: 1000 });

  async function expectDeliveredOnce(tags: string[]) {
    await collector.waitForEvents(tags.length, { timeout: 20_000 });
    await collector.settle(1500);
    const events = collector.envelopes();
    expect(duplicateIds(events)).toEqual([]);
    expect(events.map(tagOf).sort()).toEqual([...tags].sort());
  }

  it('delivers events tracked offline once the browser is back online', async () => {
    const page = await context.newPage();
    await openTrackerPage(page, bufferedPage());
    await context.setOffline(true);
    await trackEvents(page, 8, 'offline');
    await page.waitForTimeout(2500);
    expect(collector.collectorRequests()).toEqual([]);
    await context.setOffline(false);
    await expectDeliveredOnce(expectedTags('offline', 8));
  });

  it('delivers each event once through offline, a 500 and a 429 before the collector recovers', async () => {
    const page = await context.newPage();
    await openTrackerPage(page, bufferedPage());
    await context.setOffline(true);
    await trackEvents(page, 8, 'chaos');
    await page.waitForTimeout(1500);
    collector.respond({ status: 500 }, { status: 429, headers: { 'Retry-After': '1' } });
    await context.setOffline(false);
    await expectDeliveredOnce(expectedTags('chaos', 8));
    expect(
      collector
        .batches()
        .slice(0, 2)
        .map((batch) => batch.status)
    ).toEqual([500, 429]);
  });

  it('sends events tracked before an offline reload once the new page is online', async () => {
    const page = await context.newPage();
    await openTrackerPage(page, bufferedPage());
    await context.setOffline(true);
    await trackEvents(page, 6, 'before-reload');
    await page.waitForTimeout(1000);

    const restore = await routeThroughNode(context, site.origin);
    await page.reload();
    await restore();
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    await trackEvents(page, 3, 'after-reload');
    await page.waitForTimeout(1500);
    expect(collector.collectorRequests()).toEqual([]);

    await context.setOffline(false);
    await expectDeliveredOnce([...expectedTags('before-reload', 6), ...expectedTags('after-reload', 3)]);
  });

  it('sends events from a browser closed while offline on the next visit', async () => {
    const first = await launchPersistentChromium();
    try {
      const page: Page = await first.context.newPage();
      await openTrackerPage(page, bufferedPage());
      await first.context.setOffline(true);
      await trackEvents(page, 7, 'last-visit');
      await page.waitForTimeout(1000);
      await first.close();
      expect(collector.collectorRequests()).toEqual([]);

      const second = await launchPersistentChromium(first.userDataDir);
      try {
        const next = await second.context.newPage();
        await openTrackerPage(next, bufferedPage());
        await expectDeliveredOnce(expectedTags('last-visit', 7));
      } finally {
        await second.close();
      }
    } finally {
      await first.dispose();
    }
  });
});
