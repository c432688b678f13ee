import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from '../../../scripts/e2e/chromiumPath';
import { launchChromium } from '../../../scripts/e2e/launchChromium';

const chromium = chromiumPath();
if (!chromium) console.warn('[waymark] Chromium not found: set CHROMIUM_PATH or apt-get install chromium');

interface Received {
  name: string;
  properties: Record<string, unknown>;
  timestamp: string;
  context: { consent: { analytics: boolean }; page: { path: string } };
}

describe.skipIf(!chromium)('example travel blog in Chromium', () => {
  let server: ChildProcess;
  let origin = '';
  let collector = '';
  let readKey = '';
  let browser: Browser;

  beforeAll(async () => {
    server = spawn(process.execPath, ['server.mjs'], {
      cwd: new URL('..', import.meta.url),
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
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    server?.kill();
  });

  /** What the collector stored, read back through its query API with the demo's read key. */
  const received = async (): Promise<Received[]> => {
    const response = await fetch(`${collector}/v1/events?format=ndjson`, { headers: { authorization: `Bearer ${readKey}` } });
    expect(response.status).toBe(200);
    return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  };

  it('sends nothing before consent, then the held events and each interaction with its properties', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${origin}/`);
    await page.waitForTimeout(1500);
    expect(requests.filter((url) => url.includes('/v1/batch'))).toEqual([]);
    expect(await received()).toEqual([]);

    const before = Date.now();
    await page.click('#accept');
    await page.click('[data-share="pinterest"]');
    await page.fill('textarea[name=text]', 'Tram 28 before 8 am is the tip of the year.');
    await page.click('#comment button[type=submit]');
    await page.click('#book-tour'); // target=_blank: opens a tab, the blog stays
    await expect.poll(async () => (await received()).length, { timeout: 10_000 }).toBe(5);

    const events = await received();
    expect(events.map((e) => e.name).sort()).toEqual(
      ['affiliate_link_clicked', 'comment_posted', 'destination_viewed', 'page_viewed', 'post_shared'].sort(),
    );
    const byName = Object.fromEntries(events.map((e) => [e.name, e]));
    expect(byName.post_shared.properties).toEqual({ postId: 'lisbon-3-days', authorId: 'ana', network: 'pinterest', method: 'button' });
    expect(byName.comment_posted.properties).toEqual({ postId: 'lisbon-3-days', length: 43 });
    expect(byName.affiliate_link_clicked.properties).toMatchObject({ partner: 'tourly', productType: 'tour' });
    // Held before consent: sent afterwards with the time they happened.
    expect(Date.parse(byName.page_viewed.timestamp)).toBeLessThan(before);
    expect(events.every((e) => e.context.consent.analytics)).toBe(true);
    await context.close();
  });

  it('sends nothing at all when the reader declines', async () => {
    // Pages of earlier tests may still be delivering their exit reports: count once the store is quiet.
    let start = -1;
    for (let now = (await received()).length; now !== start; now = (await received()).length) {
      start = now;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.click('#decline');
    await page.click('[data-share="whatsapp"]');
    await page.close({ runBeforeUnload: true });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await received()).length).toBe(start);
    await context.close();
  });
});
