import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { duplicateIds } from '../../../scripts/e2e/duplicateIds';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import { expectedTags, fixturesDir, openTrackerPage, tagOf, trackEvents, trackerPageUrl } from './fixtures/trackerPage';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

describe.skipIf(missing)('retries in Chromium', () => {
  let browser: Browser;
  let site: Recorder;
  let collector: Recorder;
  let context: BrowserContext;
  let page: Page;

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
    page = await context.newPage();
    // flushAt 5 sends each group of 5 at once; the long timer leaves retries as the only other reason to send.
    await openTrackerPage(
      page,
      trackerPageUrl(site, collector, { consent: 'granted', flushAt: 5, flushInterval: 600_000 })
    );
  });
  afterEach(async () => {
    await context.close();
    await collector.close();
  });

  /** Ids carried by each batch, in arrival order. */
  const idsPerBatch = () => collector.batches().map((batch) => batch.events.map((event) => event.id).sort());

  it('retries a 503 until the collector accepts, delivering each event once', async () => {
    collector.respond({ status: 503 }, { status: 503 });
    await trackEvents(page, 5, 'retry');
    await collector.waitForEvents(5, { timeout: 20_000 });
    await collector.settle(1500);
    expect(collector.batches().map((batch) => batch.status)).toEqual([503, 503, 200]);
    const [first, second, third] = idsPerBatch();
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(duplicateIds(collector.envelopes())).toEqual([]);
    expect(collector.envelopes().map(tagOf).sort()).toEqual(expectedTags('retry', 5).sort());
  });

  it('drops a batch the collector rejects with 400 instead of retrying it', async () => {
    collector.respond({ status: 400 });
    await trackEvents(page, 5, 'rejected');
    await collector.waitForBatches(1);
    // Longer than the first backoff steps (0.5 s, 1 s, 2 s before jitter): a retry would have arrived by now.
    await page.waitForTimeout(4000);
    expect(collector.batches().map((batch) => batch.status)).toEqual([400]);

    await trackEvents(page, 5, 'next');
    await collector.waitForEvents(5);
    await collector.settle(1000);
    expect(collector.batches().map((batch) => batch.status)).toEqual([400, 200]);
    expect(collector.envelopes().map(tagOf).sort()).toEqual(expectedTags('next', 5).sort());
  });

  it('waits for Retry-After before retrying a 429', async () => {
    collector.respond({ status: 429, headers: { 'Retry-After': '3' } });
    await trackEvents(page, 5, 'throttled');
    await collector.waitForEvents(5, { timeout: 20_000 });
    await collector.settle(1000);
    const [first, second] = collector.batches();
    expect([first.status, second.status]).toEqual([429, 200]);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(2900);
    expect(duplicateIds(collector.envelopes())).toEqual([]);
    expect(collector.envelopes()).toHaveLength(5);
  });

  it('retries when the connection drops, delivering each event once', async () => {
    collector.respond({ hangUp: true });
    await trackEvents(page, 5, 'dropped');
    await collector.waitForEvents(5, { timeout: 20_000 });
    await collector.settle(1500);
    expect(collector.batches().map((batch) => batch.status)).toEqual([0, 200]);
    expect(duplicateIds(collector.envelopes())).toEqual([]);
    expect(collector.envelopes().map(tagOf).sort()).toEqual(expectedTags('dropped', 5).sort());
  });

  it('keeps delivering new events while an earlier batch waits for its retry', async () => {
    collector.respond({ status: 503 });
    await trackEvents(page, 5, 'first');
    await collector.waitForBatches(1);
    await trackEvents(page, 5, 'second');
    await collector.waitForEvents(10, { timeout: 20_000 });
    await collector.settle(1500);
    expect(duplicateIds(collector.envelopes())).toEqual([]);
    expect(collector.envelopes().map(tagOf).sort()).toEqual(
      [...expectedTags('first', 5), ...expectedTags('second', 5)].sort()
    );
  });
});
