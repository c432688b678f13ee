import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumMissingReason } from '../../../scripts/e2e/chromiumPath';
import { launchChromium } from '../../../scripts/e2e/launchChromium';
import { serve } from '../src/node';
import type { CollectorServer } from '../src/node';
import { KEYS, ORIGIN, READ_KEYS, WRITE_KEY, batch, makeEnvelope, testCollector } from '../src/testSupport';

const missing = chromiumMissingReason();
if (missing) console.warn(missing);

const XSS = '<img src=x onerror=alert(1)>';

describe.skipIf(missing)('dashboard in Chromium', () => {
  let browser: Browser;
  let server: CollectorServer;
  let t: ReturnType<typeof testCollector>;
  let base: string;

  beforeAll(async () => {
    t = testCollector({ readKeys: READ_KEYS, readRateLimit: false, retention: { intervalMs: 0 } });
    server = await serve(t.collector, { port: 0 });
    base = `http://127.0.0.1:${server.port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.cleanup();
  });

  const send = (event: ReturnType<typeof makeEnvelope>) =>
    fetch(`${base}/v1/batch?key=${WRITE_KEY}`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'text/plain' }, body: JSON.stringify(batch([event])) });
  const hostile = () =>
    makeEnvelope({
      properties: { postId: 'lisbon', authorId: 'ana' },
      context: { ...makeEnvelope().context, page: { url: `https://blog.example/${XSS}`, path: `/${XSS}`, title: XSS } },
    });

  it('renders markup from events as text, live, under its CSP', async () => {
    expect((await send(hostile())).status).toBe(200);
    const context = await browser.newContext();
    const page = await context.newPage();
    const dialogs: string[] = [];
    const violations: string[] = [];
    const requests: string[] = [];
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${base}/dashboard`);
    await page.fill('#key', KEYS.creator);
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'live');
    expect(await page.locator('#rows tr').count()).toBe(1);
    expect((await send(hostile())).status).toBe(200);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 2);
    const cells = await page.locator('#rows td').allTextContents();
    expect(cells).toContain(XSS);
    expect(cells).toContain(`/${XSS}`);
    expect(await page.locator('#rows img').count()).toBe(0);
    expect(await page.inputValue('#key')).toBe('');
    // The CSP is in force: an injected inline script does not run.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__ran = true';
      document.body.append(script);
    });
    expect(await page.evaluate(() => (window as { __ran?: boolean }).__ran)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(violations.length).toBeGreaterThanOrEqual(1);
    expect(requests.every((url) => !url.includes(KEYS.creator))).toBe(true);
    await context.close();
  });
});
