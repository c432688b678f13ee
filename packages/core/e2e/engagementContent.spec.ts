import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { startRecorder, type Recorder } from '../../../scripts/e2e/startRecorder';
import { allModules, openEngagementPage, startEngagementSite, type EngagementSite } from './engagementSite';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

// Scroll depth, sections and itinerary days, SPA page views and content metadata, on a real page in Chromium.
describe.skipIf(missing)('reading capture in Chromium', () => {
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
    context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  });
  afterEach(async () => {
    await context.close();
    await collector.close();
  });

  it('sends scroll milestones once, read-through, and the time each section and day was read', async () => {
    const page = await openEngagementPage(context, site, collector.origin, {
      modules: { engagedTime: {}, scrollDepth: {}, sections: { dayReadAfter: 1000 } },
    });
    // Read the first section, skim the rest, stop on day 2, scroll back up a little.
    await page.waitForTimeout(1200);
    for (let i = 0; i < 40; i++) {
      await page.mouse.wheel(0, 250);
      await page.waitForTimeout(30);
    }
    await page.evaluate(() => document.querySelector('[data-itinerary-day="2"]')!.scrollIntoView());
    await page.waitForTimeout(1600);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(300);
    await page.mouse.wheel(0, -300);
    await page.waitForTimeout(300);
    await page.goto(site.url('/engagementAway.html'));
    await collector.waitForEvents(10);
    await collector.settle(800);
    const events = collector.envelopes();
    const named = (name: string) => events.filter((event) => event.name === name).map((event) => event.properties);

    expect(named('scroll_depth_reached').map((p) => p.percent)).toEqual([25, 50, 75, 100]);
    expect(named('post_read')).toHaveLength(1);
    expect(named('post_read')[0].engagedMs).toBeGreaterThan(1000);
    const sections = named('section_read');
    const first = sections.find((p) => p.sectionId === 's1');
    expect(first).toMatchObject({ heading: 'Getting there', index: 0 });
    expect(Number(first!.visibleMs)).toBeGreaterThan(1000);
    expect(new Set(sections.map((p) => p.sectionId)).size).toBe(sections.length);
    const days = named('itinerary_day_read');
    expect(days.map((p) => p.day)).toContain(2);
    expect(days.find((p) => p.day === 2)).toMatchObject({ itineraryId: 'lisbon-3-days' });
    // Content metadata from JSON-LD and meta tags rides on every event that accepts it.
    expect(events.every((event) => event.properties.postId === 'post-1842')).toBe(true);
    expect(named('page_viewed')[0]).toMatchObject({ template: 'post', themes: ['food', 'trams'], destinations: [{ country: 'PT', city: 'Lisbon' }] });
  });

  it('sends one page view per History API navigation, without duplicates', async () => {
    const page = await openEngagementPage(context, site, collector.origin, { modules: { history: {} }, flushInterval: 200 });
    await page.evaluate(async () => {
      const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
      history.pushState({}, '', '/engagement-lisbon.html');
      await tick();
      history.replaceState({}, '', '/engagement-lisbon.html'); // same URL
      history.pushState({}, '', '/engagement-lisbon.html#day-2'); // fragment only
      await tick();
      history.pushState({}, '', '/engagement-old.html');
      history.replaceState({}, '', '/engagement-porto.html'); // redirect in the same task
      await tick();
    });
    await page.goBack({ waitUntil: 'commit' }); // popstate to the fragment URL of the Lisbon page
    await page.goBack({ waitUntil: 'commit' }); // popstate to /engagement-lisbon.html: same page, no view
    await page.goBack({ waitUntil: 'commit' }); // back to the first page
    await page.waitForTimeout(100);
    await collector.waitForEvents(4);
    await collector.settle(800);
    const paths = collector.envelopes().filter((event) => event.type === 'page').map((event) => (event.context as { page: { path: string } }).page.path);
    expect(paths).toEqual(['/engagement.html', '/engagement-lisbon.html', '/engagement-porto.html', '/engagement-lisbon.html', '/engagement.html']);
  });

  it('adds no long task and throws nothing while every module runs', async () => {
    const page = await openEngagementPage(context, site, collector.origin, { modules: allModules });
    for (let i = 0; i < 30; i++) {
      await page.mouse.wheel(0, 300);
      await page.waitForTimeout(20);
    }
    await page.click('[data-share="pinterest"]');
    await page.waitForTimeout(500);
    const { longTasks, loadStart, errors } = await page.evaluate(() => ({
      longTasks: window.longTasks,
      loadStart: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventStart,
      errors: (window as unknown as { pageErrors: string[] }).pageErrors,
    }));
    expect(errors).toEqual([]);
    // Calling the modules only registers a load listener; everything they do runs after the load event (observers,
    // listeners, the web-vitals import) and while the reader scrolls and clicks. No long task may start in that time.
    // (Parsing the bundle and creating the tracker happen before load and are not part of this check.)
    expect(longTasks.filter((task) => task.start >= loadStart)).toEqual([]);
  });
});
