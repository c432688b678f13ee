import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason } from './chromiumPath';
import { closePage } from './closePage';
import { launchChromium } from './launchChromium';
import { quietCount } from './quietCount';

/** One event as the collector's query API returns it. */
export interface StoredEvent {
  id: string;
  name: string;
  properties: Record<string, unknown>;
  timestamp: string;
  context: { consent: { analytics: boolean }; page: { path: string; route?: string; url: string } };
}

/** A running example blog: its production build beside the reference collector. */
export interface SpaBlog {
  /** The blog's origin, `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every event the collector stored, read back through its query API with the demo's read key. */
  stored(): Promise<StoredEvent[]>;
}

/** What one framework's blog adds to the journey that the React and Vue blogs share. */
export interface SpaBlogSpecOptions {
  /** The suite's name. */
  name: string;
  /** The example's folder, where `vite build` runs and `server.mjs` starts. */
  exampleDir: URL;
  /** Runs on each destination page before the reader goes on, such as waiting for a view to count. */
  onDestination?: (page: Page) => Promise<void>;
  /** Runs on the Lisbon post after the share, the comment and the booking click. */
  onPost?: (page: Page, blog: SpaBlog) => Promise<void>;
  /** Checks the framework's own events among those the journey stored. */
  checkJourney?: (events: StoredEvent[]) => void;
  /** Runs last, with the Kyoto post still open. */
  afterJourney?: (page: Page, blog: SpaBlog) => Promise<void>;
}

const vite = fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url));

/** Follows an in-app link and waits for the new page's heading: a client-side navigation, no reload. */
async function followLink(page: Page, href: string, heading: string): Promise<void> {
  await page.click(`a[href="${href}"]`);
  await page.waitForFunction(
    ([path, text]) => location.pathname === path && document.querySelector('h1')?.textContent?.trim() === text,
    [href, heading] as const,
  );
}

/**
 * The Chromium suite of a single-page example blog (React, Vue), against its production build and the reference
 * collector: five client-side navigations give five page views with route patterns, the share, comment and booking
 * clicks arrive with their properties, and declining consent sends nothing. Both blogs show the same content
 * (`@waymark/example-blog-content`), so they must store the same events; `options` adds what each framework tracks
 * on its own.
 *
 * @example
 * describeSpaBlog({ name: 'React travel blog (production build) in Chromium', exampleDir: new URL('..', import.meta.url) });
 */
export function describeSpaBlog(options: SpaBlogSpecOptions): void {
  const { onDestination = async () => {}, onPost, checkJourney, afterJourney } = options;
  const missing = chromiumMissingReason();
  if (missing) console.warn(missing);

  describe.skipIf(missing)(options.name, () => {
    let server: ChildProcess;
    let browser: Browser;
    let collector = '';
    let readKey = '';
    const blog: SpaBlog = {
      origin: '',
      async stored() {
        const response = await fetch(`${collector}/v1/events?format=ndjson`, { headers: { authorization: `Bearer ${readKey}` } });
        expect(response.status).toBe(200);
        return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as StoredEvent);
      },
    };

    beforeAll(async () => {
      // Always the production build of the current sources: `vite build` takes a few seconds.
      const exampleDir = fileURLToPath(options.exampleDir);
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
      blog.origin = output.match(/blog: (http:\/\/[^/\s]+)\//)![1];
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

    it('sends one page view per client-side navigation with its route pattern, and each interaction with its properties', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const documents: string[] = [];
      page.on('request', (request) => {
        if (request.isNavigationRequest() && request.frame() === page.mainFrame()) documents.push(request.url());
      });
      await page.goto(`${blog.origin}/`);
      await page.click('#accept');
      await followLink(page, '/destinations/pt', 'Portugal');
      await onDestination(page);
      await followLink(page, '/destinations/pt/lisbon-3-days', 'Three days in Lisbon');
      await page.click('[data-share="pinterest"]');
      await page.fill('textarea[name=text]', 'Tram 28 before 8 am is the tip of the year.');
      await page.click('#comment button[type=submit]');
      const partnerTab = context.waitForEvent('page');
      await page.click('a[data-partner="booking"]'); // target=_blank: a new tab, the blog stays
      await (await partnerTab).close();
      await page.bringToFront();
      await onPost?.(page, blog);
      await followLink(page, '/destinations/jp', 'Japan');
      await onDestination(page);
      await followLink(page, '/destinations/jp/kyoto-in-autumn', 'Kyoto in autumn');
      expect(documents).toEqual([`${blog.origin}/`]); // one document load, the rest client-side

      const pageViews = async () => (await blog.stored()).filter((e) => e.name === 'page_viewed');
      await expect.poll(async () => (await pageViews()).length, { timeout: 15_000 }).toBe(5);
      await expect.poll(async () => (await blog.stored()).some((e) => e.name === 'affiliate_link_clicked'), { timeout: 10_000 }).toBe(true);
      // Later batches would reveal a duplicate page view.
      await new Promise((resolve) => setTimeout(resolve, 2000));

      const events = await blog.stored();
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
        url: `${blog.origin}/partner/booking?city=lisbon`,
        destination: { country: 'PT', city: 'Lisbon', iata: 'LIS', unlocode: 'PTLIS' },
        placement: 'post_footer',
      });
      checkJourney?.(events);
      expect(events.every((e) => e.context.consent.analytics)).toBe(true);
      await afterJourney?.(page, blog);
      await context.close();
    });

    it('sends nothing at all when the reader declines', async () => {
      const before = await quietCount(async () => (await blog.stored()).length);
      const context = await browser.newContext();
      const page = await context.newPage();
      const batches: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/v1/batch')) batches.push(request.url());
      });
      await page.goto(`${blog.origin}/`);
      await page.click('#decline');
      await followLink(page, '/destinations/pt', 'Portugal');
      await onDestination(page);
      await followLink(page, '/destinations/pt/lisbon-3-days', 'Three days in Lisbon');
      await page.click('[data-share="whatsapp"]');
      await page.fill('textarea[name=text]', 'Lovely.');
      await page.click('#comment button[type=submit]');
      await page.waitForTimeout(1500);
      await closePage(page);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(batches).toEqual([]);
      expect((await blog.stored()).length).toBe(before);
      await context.close();
    });
  });
}
