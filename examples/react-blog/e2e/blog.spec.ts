import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { closePage } from '../../../scripts/e2e/closePage';
import { launchChromium } from '../../../scripts/e2e/launchChromium';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const vite = fileURLToPath(new URL('../../../node_modules/vite/bin/vite.js', import.meta.url));

interface Stored {
  id: string;
  name: string;
  properties: Record<string, unknown>;
  timestamp: string;
  context: { consent: { analytics: boolean }; page: { path: string; route?: string; url: string } };
}

describe.skipIf(missing)('React travel blog (production build) in Chromium', () => {
  let server: ChildProcess;
  let origin = '';
  let collector = '';
  let readKey = '';
  let browser: Browser;

  beforeAll(async () => {
    // Always the production build of the current sources: `vite build` takes a few seconds.
    const build = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'error'], { cwd: exampleDir, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    server = spawn(process.execPath, ['server.mjs'], {
      cwd: exampleDir,
      env: { ...process.env, PORT: '0', COLLECTOR_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    while (!output.includes('Ctrl-C')) {
      const [chunk] = await once(server.stdout!, 'data');
      output += String(chunk);
    }
    origin = output.match(/blog: (http:\/\/[^/\s]+)\//)![1];
    collector = output.match(/Collector: +(http:\/\/\S+)/)![1];
    readKey = output.match(/Bearer (\w+)/)![1];
    // Keep reading the printed events so the pipe never fills.
    server.stdout!.resume();
    browser = await launchChromium();
  });

  // A test that fails half-way must not leave a page sending events into the next one.
  afterEach(async () => {
    await Promise.all(browser?.contexts().map((context) => context.close()) ?? []);
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  });

  /** What the collector stored, read back through its query API with the demo's read key. */
  const stored = async (): Promise<Stored[]> => {
    const response = await fetch(`${collector}/v1/events?format=ndjson`, { headers: { authorization: `Bearer ${readKey}` } });
    expect(response.status).toBe(200);
    return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Stored);
  };

  /** Follows an in-app link and waits for the new page's heading: a client-side navigation, no reload. */
  const navigate = async (page: Page, href: string, heading: string) => {
    await page.click(`a[href="${href}"]`);
    await page.waitForFunction(
      ([path, text]) => location.pathname === path && document.querySelector('h1')?.textContent?.trim() === text,
      [href, heading] as const,
    );
  };

  it('sends one page view per client-side navigation with its route pattern, and each interaction with its properties', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const documents: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) documents.push(request.url());
    });
    await page.goto(`${origin}/`);
    await page.click('#accept');
    await navigate(page, '/destinations/pt', 'Portugal');
    await navigate(page, '/destinations/pt/lisbon-3-days', 'Three days in Lisbon');
    await page.click('[data-share="pinterest"]');
    await page.fill('textarea[name=text]', 'Tram 28 before 8 am is the tip of the year.');
    await page.click('#comment button[type=submit]');
    const partnerTab = context.waitForEvent('page');
    await page.click('a[data-partner="booking"]'); // target=_blank: a new tab, the blog stays
    await (await partnerTab).close();
    await page.bringToFront();
    // useTrackOnView: the itinerary counts as viewed after a second on screen.
    await page.locator('.itinerary').scrollIntoViewIfNeeded();
    await expect.poll(async () => (await stored()).some((e) => e.name === 'itinerary_viewed'), { timeout: 10_000 }).toBe(true);
    await navigate(page, '/destinations/jp', 'Japan');
    await navigate(page, '/destinations/jp/kyoto-in-autumn', 'Kyoto in autumn');
    expect(documents).toEqual([`${origin}/`]); // one document load, the rest client-side

    const pageViews = async () => (await stored()).filter((e) => e.name === 'page_viewed');
    await expect.poll(async () => (await pageViews()).length, { timeout: 15_000 }).toBe(5);
    // Later batches would reveal a duplicate page view.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const events = await stored();
    const views = events.filter((e) => e.name === 'page_viewed').sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    expect(views.map((e) => [e.context.page.path, e.context.page.route])).toEqual([
      ['/', '/'],
      ['/destinations/pt', '/destinations/:country'],
      ['/destinations/pt/lisbon-3-days', '/destinations/:country/:slug'],
      ['/destinations/jp', '/destinations/:country'],
      ['/destinations/jp/kyoto-in-autumn', '/destinations/:country/:slug'],
    ]);
    expect(new Set(views.map((e) => e.id)).size).toBe(5);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(views[2].properties).toEqual({
      template: 'post',
      postId: 'lisbon-3-days',
      authorId: 'ana',
      themes: ['city', 'food'],
      destinations: [{ country: 'PT', city: 'Lisbon', iata: 'LIS', unlocode: 'PTLIS' }],
    });

    const only = (name: string) => {
      const found = events.filter((e) => e.name === name);
      expect(found, name).toHaveLength(1);
      return found[0];
    };
    expect(only('post_shared').properties).toEqual({ postId: 'lisbon-3-days', authorId: 'ana', network: 'pinterest', method: 'button' });
    expect(only('post_shared').context.page.path).toBe('/destinations/pt/lisbon-3-days');
    expect(only('comment_posted').properties).toEqual({ postId: 'lisbon-3-days', length: 43 });
    expect(only('affiliate_link_clicked').properties).toEqual({
      postId: 'lisbon-3-days',
      partner: 'booking',
      productType: 'hotel',
      url: `${origin}/partner/booking?city=lisbon`,
      destination: { country: 'PT', city: 'Lisbon', iata: 'LIS', unlocode: 'PTLIS' },
      placement: 'post_footer',
    });
    // Once per post, however long it stays on screen.
    expect(events.filter((e) => e.name === 'itinerary_viewed').map((e) => e.properties)).toEqual(
      expect.arrayContaining([
        {
          postId: 'lisbon-3-days',
          itineraryId: 'lisbon-3-days',
          days: 3,
          destinations: [{ country: 'PT', city: 'Lisbon', iata: 'LIS', unlocode: 'PTLIS' }],
        },
      ]),
    );
    expect(events.filter((e) => e.name === 'itinerary_viewed' && e.properties.postId === 'lisbon-3-days')).toHaveLength(1);
    // useReadTime reported the Lisbon sections read when the post unmounted, still with the post's URL.
    const lisbonSections = events.filter(
      (e) => e.name === 'section_read' && ['getting-there', 'where-to-stay', 'eating'].includes(e.properties.sectionId as string),
    );
    expect(lisbonSections.map((e) => e.properties.sectionId)).toContain('getting-there');
    expect(lisbonSections.map((e) => e.context.page.path)).toEqual(lisbonSections.map(() => '/destinations/pt/lisbon-3-days'));
    expect(events.every((e) => e.context.consent.analytics)).toBe(true);
    await context.close();
  });

  it('sends nothing at all when the reader declines', async () => {
    // Pages of earlier tests may still be delivering their exit reports: count once the store is quiet.
    let before = -1;
    for (let now = (await stored()).length; now !== before; now = (await stored()).length) {
      before = now;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const context = await browser.newContext();
    const page = await context.newPage();
    const batches: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/v1/batch')) batches.push(request.url());
    });
    await page.goto(`${origin}/`);
    await page.click('#decline');
    await navigate(page, '/destinations/pt', 'Portugal');
    await navigate(page, '/destinations/pt/lisbon-3-days', 'Three days in Lisbon');
    await page.click('[data-share="whatsapp"]');
    await page.fill('textarea[name=text]', 'Lovely.');
    await page.click('#comment button[type=submit]');
    await page.waitForTimeout(1500);
    await closePage(page);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(batches).toEqual([]);
    expect((await stored()).length).toBe(before);
    await context.close();
  });
});
