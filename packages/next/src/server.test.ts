// @vitest-environment node
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector } from '@waymark/collector';
import type { Collector } from '@waymark/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorRoute, createServerTracker, track } from './server';

const origin = 'https://blog.example';

/** A valid catalogue event of visitor `anonymousId`, tracked now with analytics consent. */
const envelope = (anonymousId: string) => ({
  id: randomUUID(),
  type: 'track',
  name: 'destination_viewed',
  properties: { destination: { country: 'PT' } },
  timestamp: new Date().toISOString(),
  anonymousId,
  sessionId: randomUUID(),
  schema: 'travel@1',
  context: {
    page: { url: `${origin}/pt`, path: '/pt' },
    consent: { analytics: true, storage: false, marketing: false, gpc: false },
    sampleRate: 1,
    library: { name: '@waymark/core', version: '0.1.0' },
  },
});
const readKey = 'rk_test_next_server_0123456789';

describe('@waymark/next/server', () => {
  let dir: string;
  let collector: Collector;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'waymark-next-'));
    collector = createCollector({
      sites: [{ id: 'blog', writeKey: 'wk_blog', origins: [origin] }],
      userIdKey: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
      store: { path: join(dir, 'events.duckdb') },
      readKeys: [{ name: 'test', key: readKey, role: 'admin' }],
    });
  });
  afterAll(async () => {
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const route = () => collectorRoute(collector);
  /** What the collector stored, through the read API mounted under /wm. */
  const stored = async () => {
    const response = await route().GET(new Request(`${origin}/wm/v1/events?format=ndjson`, { headers: { authorization: `Bearer ${readKey}` } }));
    expect(response.status).toBe(200);
    return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  };
  /** A fetch that reaches the mounted route in-process, as the app's own origin would. */
  const viaRoute: typeof fetch = (input, init) => route().POST(new Request(input, init));

  it('stores a server event sent through the route mounted under the app origin', async () => {
    const tracker = createServerTracker({ endpoint: `${origin}/wm`, writeKey: 'wk_blog', origin, fetch: viaRoute });
    await tracker.track('comment_posted', { postId: 'lisbon-3-days', length: 42 });
    const events = await stored();
    expect(events.map((e) => [e.name, e.properties])).toEqual([['comment_posted', { postId: 'lisbon-3-days', length: 42 }]]);
  });

  it('passes each visitor\'s address from X-Forwarded-For, so visitors get their own rate limit and visitor id', async () => {
    const limited = createCollector({
      sites: [{ id: 'blog', writeKey: 'wk_blog', origins: [origin] }],
      userIdKey: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
      store: { path: join(dir, 'limited.duckdb') },
      readKeys: [{ name: 'test', key: readKey, role: 'admin' }],
      rateLimit: { perSecond: 0.001, burst: 1 },
    });
    try {
      const post = (xff: string, anonymousId: string, mounted = collectorRoute(limited)) =>
        mounted.POST(
          new Request(`${origin}/wm/v1/batch?key=wk_blog`, {
            method: 'POST',
            headers: { origin, 'content-type': 'text/plain', 'x-forwarded-for': xff, 'x-real-ip': '192.0.2.7' },
            body: JSON.stringify({ sentAt: new Date().toISOString(), events: [envelope(anonymousId)] }),
          }),
        );
      // A proxy in front appends the address it saw: the last one is the visitor, the first is whatever was sent.
      expect((await post('10.9.9.9, 203.0.113.1', 'a')).status).toBe(200);
      expect((await post('10.9.9.9, 198.51.100.2', 'b')).status).toBe(200);
      expect((await post('10.9.9.9, 203.0.113.1', 'a')).status).toBe(429);
      // A platform header chosen with the clientIp option: 192.0.2.7's bucket is still full.
      const byRealIp = collectorRoute(limited, { clientIp: (request) => request.headers.get('x-real-ip') ?? undefined });
      expect((await post('10.9.9.9, 203.0.113.1', 'c', byRealIp)).status).toBe(200);
      const response = await collectorRoute(limited).GET(new Request(`${origin}/wm/v1/events?format=ndjson`, { headers: { authorization: `Bearer ${readKey}` } }));
      const events = (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line));
      const visitor = (anonymousId: string) => events.find((e) => e.anonymousId === anonymousId).context.server.visitorId;
      expect(visitor('a')).not.toBe(visitor('b'));
    } finally {
      await limited.close();
    }
  });

  it('answers the CORS preflight through the route', async () => {
    const response = await route().OPTIONS(
      new Request(`${origin}/wm/v1/batch?key=wk_blog`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } }),
    );
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('serves every collector route under the mount with basePath', async () => {
    const mounted = collectorRoute(collector, { basePath: '/wm' });
    expect((await mounted.GET(new Request(`${origin}/wm/health`))).status).toBe(200);
    expect((await (await mounted.GET(new Request(`${origin}/wm/openapi.json`))).json()).openapi).toMatch(/^3\.1/);
    // Without basePath only /v1/ paths are found under a mount.
    expect((await route().GET(new Request(`${origin}/wm/health`))).status).toBe(404);
  });

  it('reports a refused event to onError and never rejects', async () => {
    const errors: Error[] = [];
    const tracker = createServerTracker({ endpoint: `${origin}/wm`, writeKey: 'wk_unknown', origin, fetch: viaRoute, onError: (e) => errors.push(e) });
    await expect(tracker.track('comment_posted', { postId: 'p', length: 1 })).resolves.toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(['[waymark] comment_posted not stored: 401']);
  });

  it('throws a fix-it message in development when track() has no configuration', () => {
    expect(() => track('comment_posted', { postId: 'p', length: 1 })).toThrow(/WAYMARK_ENDPOINT, WAYMARK_WRITE_KEY and WAYMARK_ORIGIN/);
  });
});
