import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { closePage } from '../../../scripts/e2e/closePage';
import { duplicateIds } from '../../../scripts/e2e/duplicateIds';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import { expectedTags, fixturesDir, openTrackerPage, tagOf, trackEvents, trackerPageUrl } from './fixtures/trackerPage';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

describe.skipIf(missing)('two tabs sharing the offline buffer in Chromium', () => {
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

  async function openTab(): Promise<Page> {
    const page = await context.newPage();
    await openTrackerPage(
      page,
      trackerPageUrl(site, collector, { consent: 'granted', buffer: true, flushAt: 5, flushInterval: 1000 })
    );
    return page;
  }

  async function expectDeliveredOnce(tags: string[]) {
    await collector.waitForEvents(tags.length, { timeout: 30_000 });
    await collector.settle(2000);
    const events = collector.envelopes();
    expect(duplicateIds(events)).toEqual([]);
    expect(events.map(tagOf).sort()).toEqual([...tags].sort());
  }

  it('delivers the events of a tab closed while offline exactly once through the other tab', async () => {
    const a = await openTab();
    const b = await openTab();
    await context.setOffline(true);
    await trackEvents(a, 10, 'a');
    await trackEvents(b, 10, 'b');
    await a.waitForTimeout(1500);
    await closePage(a);
    await b.waitForTimeout(500);
    expect(collector.collectorRequests()).toEqual([]);

    await context.setOffline(false);
    await expectDeliveredOnce([...expectedTags('a', 10), ...expectedTags('b', 10)]);
  });

  it('delivers the events of two open tabs exactly once when they come back online together', async () => {
    const a = await openTab();
    const b = await openTab();
    await context.setOffline(true);
    await trackEvents(a, 10, 'a');
    await trackEvents(b, 10, 'b');
    await a.waitForTimeout(1500);
    expect(collector.collectorRequests()).toEqual([]);

    await context.setOffline(false);
    await expectDeliveredOnce([...expectedTags('a', 10), ...expectedTags('b', 10)]);
  });

  it('delivers online and offline events of both tabs exactly once after one closes', async () => {
    const a = await openTab();
    const b = await openTab();
    await trackEvents(a, 3, 'a-online');
    await trackEvents(b, 3, 'b-online');
    await collector.waitForEvents(6, { timeout: 20_000 });
    await context.setOffline(true);
    await trackEvents(a, 4, 'a-offline');
    await trackEvents(b, 4, 'b-offline');
    await a.waitForTimeout(1500);
    await closePage(a);
    await context.setOffline(false);
    await expectDeliveredOnce([
      ...expectedTags('a-online', 3),
      ...expectedTags('b-online', 3),
      ...expectedTags('a-offline', 4),
      ...expectedTags('b-offline', 4),
    ]);
  });
});
