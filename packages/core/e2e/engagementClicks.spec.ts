import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { closePage } from '../../../scripts/e2e/closePage';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import { allModules, openEngagementPage, startEngagementSite, type EngagementSite } from './engagementSite';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

const links = { links: allModules.links };

// Links, shares and forms in Chromium. The page's flushInterval is 10 minutes, so an event that arrives was sent by the
// tracker's page-exit flush (or, for a page that stays, by the explicit close at the end).
describe.skipIf(missing)('clicks and forms in Chromium', () => {
  let browser: Browser;
  let site: EngagementSite;
  let collector: Recorder;
  let context: BrowserContext;

  beforeAll(async () => {
    browser = await launchChromium();
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

  const named = (name: string) => collector.envelopes().filter((event) => event.name === name);

  it('delivers an affiliate click on a link that navigates away in the same tab', async () => {
    const page = await openEngagementPage(context, site, collector.origin, { modules: links });
    expect(collector.collectorRequests()).toHaveLength(0);
    await page.click('#partner');
    await page.waitForURL(`${site.otherOrigin}/engagementAway.html?partner=booking`);
    await collector.waitForEvents(2);
    expect(named('affiliate_link_clicked').map((event) => event.properties)).toEqual([
      { postId: 'post-1842', authorId: 'author-ana', partner: 'booking', productType: 'hotel', placement: 'header', url: `${site.otherOrigin}/engagementAway.html?partner=booking` },
    ]);
  });

  it('keeps target=_blank and modifier-clicks working and still records them', async () => {
    const page = await openEngagementPage(context, site, collector.origin, { modules: links });
    const blank = context.waitForEvent('page');
    await page.click('#partner-blank');
    const opened = await blank;
    await opened.waitForLoadState();
    expect(opened.url()).toContain('tab=new');
    const modified = context.waitForEvent('page');
    await page.click('#outbound', { modifiers: ['Control'] });
    await (await modified).waitForLoadState();
    expect(page.url()).toContain('/engagement.html');
    await closePage(page);
    await collector.waitForEvents(3);
    expect(named('affiliate_link_clicked').map((event) => event.properties.url)).toEqual([`${site.otherOrigin}/engagementAway.html?partner=booking&tab=new`]);
    expect(named('outbound_link_clicked').map((event) => event.properties)).toEqual([
      { postId: 'post-1842', authorId: 'author-ana', url: `${site.otherOrigin}/engagementAway.html?ref=wiki`, host: 'localhost' },
    ]);
  });

  it('records share buttons, Web Share API shares and forms, including one that navigates away', async () => {
    // Desktop Linux Chromium has no Web Share API: a stand-in that completes, as a picked share target does.
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'share', { configurable: true, writable: true, value: () => Promise.resolve() });
    });
    const page = await openEngagementPage(context, site, collector.origin, { modules: { shares: {}, forms: {} } });
    await page.click('[data-share="pinterest"]');
    await page.click('#native-share');
    await page.click('#commentform button');
    await page.click('#newsletter button');
    await page.waitForURL(/engagementAway\.html\?address=/);
    await collector.waitForEvents(5);
    await collector.settle(500);
    expect(named('post_shared').map((event) => [event.properties.network, event.properties.method])).toEqual([
      ['pinterest', 'button'],
      ['native', 'web_share_api'],
    ]);
    expect(named('comment_posted').map((event) => event.properties)).toEqual([{ postId: 'post-1842', authorId: 'author-ana', length: 11, isReply: false }]);
    expect(named('newsletter_signed_up').map((event) => event.properties)).toEqual([
      { postId: 'post-1842', authorId: 'author-ana', listId: 'weekly', placement: 'footer' },
    ]);
    expect(JSON.stringify(collector.envelopes())).not.toContain('reader@example.test');
  });

  it('loads web-vitals only after the page is idle and delivers the vitals with the template', async () => {
    const page = await openEngagementPage(context, site, collector.origin, { modules: { webVitals: {} } });
    await page.mouse.click(50, 600); // an interaction, for INP
    await page.waitForTimeout(300);
    expect(site.webVitalsChunk).toMatch(/^\/bundle\/.+\.js$/);
    const timing = await page.evaluate((chunk) => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const chunks = performance.getEntriesByType('resource').filter((entry) => entry.name.endsWith(chunk));
      return { loadEnd: nav.loadEventEnd, chunks: chunks.map((entry) => entry.startTime) };
    }, site.webVitalsChunk);
    // web-vitals is its own chunk, fetched once, after the load event.
    expect(timing.chunks).toHaveLength(1);
    expect(timing.chunks[0]).toBeGreaterThan(timing.loadEnd);
    await page.goto(site.url('/engagementAway.html'));
    await collector.waitForEvents(5);
    await collector.settle(800);
    const vitals = named('web_vital_measured').map((event) => event.properties);
    expect(vitals.map((p) => p.metric).sort()).toEqual(expect.arrayContaining(['CLS', 'FCP', 'LCP', 'TTFB']));
    for (const vital of vitals) {
      expect(vital).toMatchObject({ template: 'post', navigationType: 'navigate' });
      expect(['good', 'needs-improvement', 'poor']).toContain(vital.rating);
    }
  });
});
