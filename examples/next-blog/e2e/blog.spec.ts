import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from '../../../scripts/e2e/chromiumPath';
import { duplicateIds } from '../../../scripts/e2e/duplicateIds';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { quietCount } from '../../../scripts/e2e/quietCount';

const chromium = chromiumPath();
if (!chromium) console.warn('[waymark] Chromium not found: set CHROMIUM_PATH or apt-get install chromium');

const appDir = fileURLToPath(new URL('..', import.meta.url));
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');

interface Received {
  id: string;
  anonymousId: string;
  name: string;
  properties: Record<string, unknown>;
  timestamp: string;
  context: { consent: { analytics: boolean }; page: { path: string; route?: string } };
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Clicks a Next.js <Link> and waits for the client-side navigation to show the new page's heading. */
async function navigate(page: Page, link: string, path: string, heading: string) {
  await page.click(link);
  await page.waitForURL((url) => url.pathname === path);
  await page.waitForSelector(`h1:text-is("${heading}")`);
}

describe.skipIf(!chromium)('Next.js travel blog in Chromium', () => {
  let server: ChildProcess | undefined;
  let origin = '';
  let browser: Browser;
  const readKey = `rk_${randomBytes(24).toString('hex')}`;

  beforeAll(async () => {
    const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
    // One production build per run, so the spec never tests an older build; start.mjs then finds it up to date.
    const build = spawn(process.execPath, [nextBin, 'build'], { cwd: appDir, env: { ...env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const [code] = await once(build, 'exit');
    expect(code).toBe(0);

    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, ['start.mjs'], {
      cwd: appDir,
      env: { ...env, PORT: String(port), WAYMARK_READ_KEY: readKey },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    server.stdout!.on('data', (chunk) => (output += String(chunk)));
    const deadline = Date.now() + 30_000;
    while ((await fetch(`${origin}/`).then((response) => response.status, () => 0)) !== 200) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`[waymark] the blog did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(output).not.toContain('Building'); // the build above is current
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  });

  /** What the collector mounted at /wm stored, read back through its query API with the demo's admin key. */
  const received = async (): Promise<Received[]> => {
    const response = await fetch(`${origin}/wm/v1/events?format=ndjson&order=asc`, { headers: { authorization: `Bearer ${readKey}` } });
    expect(response.status).toBe(200);
    return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  };
  const named = (events: Received[], name: string) => events.filter((event) => event.name === name);

  it('sends one page view per client-side navigation with its route pattern, and each interaction after consent', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.waitForSelector('#accept');
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }));
    await page.click('#accept');
    await expect.poll(() => page.locator('#consent').count()).toBe(0);

    await navigate(page, 'header nav a:text-is("Portugal")', '/destinations/pt', 'Portugal');
    await navigate(page, 'main a:has-text("Lisbon in 3 days")', '/destinations/pt/lisbon-3-days', 'Lisbon in 3 days');
    await page.click('[data-share="pinterest"]');
    const comment = 'Tram 28 before 8 am is the tip of the year.';
    await page.fill('#comment textarea[name=text]', comment);
    await page.click('#comment button[type=submit]');
    const [partnerTab] = await Promise.all([context.waitForEvent('page'), page.click('a[data-partner="tourly"]')]);
    await partnerTab.close();
    await navigate(page, 'header nav a:text-is("Japan")', '/destinations/jp', 'Japan');
    await navigate(page, 'main a:has-text("Kyoto in autumn")', '/destinations/jp/kyoto-in-autumn', 'Kyoto in autumn');
    // Every page came from the router, not from a full load.
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);

    await expect
      .poll(async () => {
        const events = await received();
        return ['page_viewed', 'post_shared', 'comment_posted', 'affiliate_link_clicked'].map((name) => named(events, name).length);
      }, { timeout: 15_000, interval: 500 }) // the read API allows 5 requests a second per key
      .toEqual([5, 1, 1, 1]);
    await page.waitForTimeout(1500); // a late duplicate would arrive within a flush interval
    const events = await received();

    const pageViews = named(events, 'page_viewed').sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    expect(pageViews.map((e) => [e.context.page.path, e.context.page.route])).toEqual([
      ['/', '/'],
      ['/destinations/pt', '/destinations/[country]'],
      ['/destinations/pt/lisbon-3-days', '/destinations/[country]/[slug]'],
      ['/destinations/jp', '/destinations/[country]'],
      ['/destinations/jp/kyoto-in-autumn', '/destinations/[country]/[slug]'],
    ]);
    expect(duplicateIds(events)).toEqual([]);

    const [shared] = named(events, 'post_shared');
    expect(shared.properties).toEqual({ postId: 'lisbon-3-days', authorId: 'ana', network: 'pinterest', method: 'button' });
    expect(shared.context.page.path).toBe('/destinations/pt/lisbon-3-days');
    expect(named(events, 'comment_posted')[0].properties).toEqual({ postId: 'lisbon-3-days', length: comment.length });
    expect(named(events, 'affiliate_link_clicked')[0].properties).toEqual({
      postId: 'lisbon-3-days',
      partner: 'tourly',
      productType: 'tour',
      url: `${origin}/partner/tourly?ref=next-blog&post=lisbon-3-days`,
      destination: { country: 'PT', city: 'Lisbon' },
      placement: 'post_sidebar',
    });
    expect(named(events, 'destination_viewed').map((e) => e.properties.postId)).toEqual(['lisbon-3-days', 'kyoto-in-autumn']);
    expect(events.every((e) => e.context.consent.analytics)).toBe(true);
    await context.close();
  });

  it('sends one page view per Pages Router navigation with the pattern from the router', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/guides`);
    await page.waitForSelector('#accept');
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }));
    await page.click('#accept');
    await expect.poll(() => page.locator('#consent').count()).toBe(0);

    await navigate(page, 'main a:has-text("Packing light")', '/guides/packing-light', 'Packing light');
    await navigate(page, 'main a:has-text("Rail passes, honestly")', '/guides/rail-passes', 'Rail passes, honestly');
    await navigate(page, 'main a:text-is("All guides")', '/guides', 'Guides');
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    // From the Pages Router to an App Router page, Next loads the whole page.
    await navigate(page, 'header nav a:text-is("Portugal")', '/destinations/pt', 'Portugal');
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBeUndefined();

    /** This reader's page views: the first test never opens a guide. */
    const readerViews = (events: Received[]) => {
      const views = named(events, 'page_viewed');
      const reader = new Set(views.filter((e) => e.context.page.path.startsWith('/guides')).map((e) => e.anonymousId));
      return views.filter((e) => reader.has(e.anonymousId));
    };
    await expect.poll(async () => readerViews(await received()).length, { timeout: 15_000, interval: 500 }).toBe(5);
    await page.waitForTimeout(1500); // a late duplicate would arrive within a flush interval
    const pageViews = readerViews(await received()).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    expect(pageViews.map((e) => [e.context.page.path, e.context.page.route])).toEqual([
      ['/guides', '/guides'],
      ['/guides/packing-light', '/guides/[slug]'],
      ['/guides/rail-passes', '/guides/[slug]'],
      ['/guides', '/guides'],
      ['/destinations/pt', '/destinations/[country]'],
    ]);
    expect(duplicateIds(pageViews)).toEqual([]);
    await context.close();
  });

  it('sends nothing at all when the reader declines', async () => {
    const before = await quietCount(async () => (await received()).length);
    const context = await browser.newContext();
    const page = await context.newPage();
    const batches: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/wm/v1/batch')) batches.push(request.url());
    });
    await page.goto(`${origin}/`);
    await page.click('#decline');
    await navigate(page, 'main a:has-text("Lisbon in 3 days")', '/destinations/pt/lisbon-3-days', 'Lisbon in 3 days');
    await page.click('[data-share="whatsapp"]');
    await page.close({ runBeforeUnload: true });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(batches).toEqual([]);
    expect((await received()).length).toBe(before);
    await context.close();
  });
});
