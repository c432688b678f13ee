import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import type { Collector } from './createCollector';
import { KEYS, READ_KEYS, batch, batchRequest, makeEnvelope, readRequest, testCollector } from './testSupport';
import { collectorsPerTest } from './collectorsPerTest';

const { setup, cleanups } = collectorsPerTest({ readKeys: READ_KEYS, readRateLimit: false, retention: { intervalMs: 0 } });

const XSS = '<img src=x onerror=alert(1)>';
const hostile = () =>
  makeEnvelope({
    properties: { postId: 'lisbon', authorId: 'ana' },
    context: {
      ...makeEnvelope().context,
      page: { url: `https://blog.example/${XSS}`, path: `/${XSS}`, referrer: XSS, title: XSS },
    },
  });

/** Reads Server-Sent Events from a response until `count` `stored` events have arrived. */
async function readEvents(response: Response, count: number): Promise<Record<string, unknown>[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const events: Record<string, unknown>[] = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const message = text.slice(0, end);
      text = text.slice(end + 2);
      const data = message.split('\n').find((line) => line.startsWith('data: '));
      if (message.startsWith('event: stored') && data) events.push(JSON.parse(data.slice(6)));
    }
  }
  await reader.cancel();
  return events;
}

describe('GET /v1/stream', () => {
  it('streams stored events, scoped to a creator’s own posts', async () => {
    const { collector } = setup();
    const admin = await collector.fetch(readRequest('/v1/stream', KEYS.admin));
    const creator = await collector.fetch(readRequest('/v1/stream', KEYS.creator));
    expect(admin.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const ana = makeEnvelope({ properties: { postId: 'lisbon', authorId: 'ana' } });
    const ben = makeEnvelope({ properties: { postId: 'porto', authorId: 'ben' } });
    const ana2 = makeEnvelope({ properties: { postId: 'sintra', authorId: 'ana' }, userId: 'secret-user' });
    await collector.fetch(batchRequest(batch([ana, ben])));
    await collector.fetch(batchRequest(batch([ana2])));
    const [seenByAdmin, seenByCreator] = await Promise.all([readEvents(admin, 3), readEvents(creator, 2)]);
    expect(seenByAdmin.map((e) => e.id)).toEqual([ana.id, ben.id, ana2.id]);
    expect(seenByCreator.map((e) => e.id)).toEqual([ana.id, ana2.id]);
    expect(seenByCreator[1]).toEqual({
      id: ana2.id,
      type: 'page',
      name: 'page_viewed',
      timestamp: expect.any(String),
      siteId: 'blog',
      path: '/lisbon',
      referrer: 'news.example',
      device: 'desktop',
      postId: 'sintra',
      authorId: 'ana',
    });
  });
});

describe('GET /dashboard', () => {
  it('serves a page with a strict CSP and no inline script or key in any URL', async () => {
    const { collector } = setup();
    const response = await collector.fetch(readRequest('/dashboard'));
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).not.toContain('unsafe');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).toMatch(/<script src="\/dashboard\.js" defer><\/script>/);
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/);
    expect(html).toContain('type="password"');
    const script = await (await collector.fetch(readRequest('/dashboard.js'))).text();
    expect(script).toContain('textContent');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect(script).toContain("authorization: 'Bearer ' + key");
    expect(script).not.toMatch(/[?&]key=/);
  });

  it('shows an event whose path, title and referrer hold markup as text', async () => {
    const { collector } = setup();
    await collector.fetch(batchRequest(batch([hostile()])));
    const { window, alerts, requests } = await openDashboard(collector);
    window.document.querySelector<HTMLInputElement>('#key')!.value = KEYS.creator;
    window.document.querySelector('form')!.dispatchEvent(new window.Event('submit', { cancelable: true }));
    await expect.poll(() => window.document.querySelectorAll('#rows tr').length).toBe(1);
    // A second, live event over the stream.
    await expect.poll(() => window.document.querySelector('#status')!.textContent).toBe('live');
    await collector.fetch(batchRequest(batch([hostile()])));
    await expect.poll(() => window.document.querySelectorAll('#rows tr').length).toBe(2);
    const cells = [...window.document.querySelectorAll('#rows td')].map((td) => td.textContent);
    expect(cells).toContain(`/${XSS}`);
    expect(cells).toContain(XSS);
    expect(window.document.querySelector('#rows img')).toBeNull();
    expect(alerts).toEqual([]);
    expect(window.document.querySelector<HTMLInputElement>('#key')!.value).toBe('');
    expect(requests.every((url) => !url.includes(KEYS.creator))).toBe(true);
    expect(window.document.querySelector('#events-count')!.textContent).toBe('2');
  });
});

/** The dashboard in jsdom, its fetches answered by the collector in process. */
async function openDashboard(collector: Collector) {
  const html = await (await collector.fetch(readRequest('/dashboard'))).text();
  const script = await (await collector.fetch(readRequest('/dashboard.js'))).text();
  const dom = new JSDOM(html.replace('<script src="/dashboard.js" defer></script>', ''), { url: 'http://collector.test/dashboard', runScripts: 'outside-only' });
  const { window } = dom;
  const alerts: unknown[] = [];
  const requests: string[] = [];
  Object.assign(window, {
    alert: (message: unknown) => alerts.push(message),
    TextDecoderStream,
    fetch: (path: string, init: RequestInit = {}) => {
      requests.push(path);
      return collector.fetch(new Request(new URL(path, 'http://collector.test'), { headers: init.headers }));
    },
  });
  window.eval(script);
  return { window, alerts, requests };
}

describe('serve() with an open stream', () => {
  it('closes while a client still listens to /v1/stream', async () => {
    const { serve } = await import('./node');
    const t = testCollector({ readKeys: READ_KEYS, readRateLimit: false, retention: { intervalMs: 0 } });
    cleanups.push(t.cleanup);
    const server = await serve(t.collector, { port: 0 });
    const response = await fetch(`http://127.0.0.1:${server.port}/v1/stream`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    await server.close();
    expect((await reader.read()).done).toBe(true);
  });
});
