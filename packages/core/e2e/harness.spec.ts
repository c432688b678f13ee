import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import { fixturesDir } from './fixtures/trackerPage';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

type SendBatch = (
  endpoint: string,
  events: unknown[],
  contentType?: string
) => Promise<{ status: number; retryAfter: string | null }>;

/** Calls fetch.html's own `sendBatch`, so the recorder is checked without the tracker. */
function sendBatch(page: Page, endpoint: string, events: unknown[], contentType?: string) {
  return page.evaluate(
    ({ endpoint, events, contentType }) =>
      (window as unknown as { sendBatch: SendBatch }).sendBatch(endpoint, events, contentType),
    { endpoint, events, contentType }
  );
}

describe.skipIf(missing)('e2e harness in Chromium', () => {
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
    await page.goto(site.url('/fetch.html'));
  });
  afterEach(async () => {
    await context.close();
    await collector.close();
  });

  it('records a cross-origin text/plain batch without a preflight', async () => {
    const result = await sendBatch(page, collector.origin, [{ id: 'e1', name: 'post_viewed', properties: {} }]);
    expect(result.status).toBe(200);
    const [event] = await collector.waitForEvents(1);
    expect(event.id).toBe('e1');
    const [request] = collector.collectorRequests();
    expect(request).toMatchObject({ method: 'POST', path: '/v1/batch', query: { key: 'wk_e2e' } });
    expect(request.contentType).toBe('text/plain;charset=UTF-8');
    expect(request.headers.origin).toBe(site.origin);
    expect(collector.collectorRequests()).toHaveLength(1);
  });

  it('counts the preflight of a JSON batch', async () => {
    await sendBatch(page, collector.origin, [{ id: 'e1' }], 'application/json');
    expect(collector.collectorRequests().map((request) => request.method)).toEqual(['OPTIONS', 'POST']);
  });

  it('answers scripted statuses in order, with a readable Retry-After', async () => {
    collector.respond({ status: 503 }, { status: 429, headers: { 'Retry-After': '7' } });
    expect(await sendBatch(page, collector.origin, [{ id: 'a' }])).toEqual({ status: 503, retryAfter: null });
    expect(await sendBatch(page, collector.origin, [{ id: 'b' }])).toEqual({ status: 429, retryAfter: '7' });
    expect(await sendBatch(page, collector.origin, [{ id: 'c' }])).toEqual({ status: 200, retryAfter: null });
    expect(collector.batches().map((batch) => [batch.status, batch.accepted])).toEqual([
      [503, false],
      [429, false],
      [200, true],
    ]);
    expect(collector.envelopes().map((event) => event.id)).toEqual(['c']);
  });

  it('hangs up when told to, so the page sees a network error', async () => {
    collector.respond({ hangUp: true });
    await expect(sendBatch(page, collector.origin, [{ id: 'a' }])).rejects.toThrow(/Failed to fetch/);
    expect(collector.batches()).toHaveLength(1);
    expect(collector.envelopes()).toEqual([]);
  });

  it('times out waiting for events with a summary of what arrived', async () => {
    collector.respond({ status: 503 });
    await sendBatch(page, collector.origin, [{ id: 'a' }]);
    await expect(collector.waitForEvents(1, { timeout: 200 })).rejects.toThrow(/1 batches \[status:events 503:1\]/);
  });

  it('serves the @waymark/core bundle as window.Waymark', async () => {
    await page.addScriptTag({ url: site.url('/waymark.js') });
    const exports = await page.evaluate(() => Object.keys(window.Waymark).sort());
    expect(exports).toEqual(
      expect.arrayContaining(['beaconTransport', 'createTracker', 'fetchTransport', 'indexedDbBuffer'])
    );
  });
});
