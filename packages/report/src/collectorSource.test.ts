import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector } from '@waymark/collector';
import type { Collector } from '@waymark/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCollectorSource } from './collectorSource';

const ORIGIN = 'https://blog.example';
const KEYS = { admin: 'rk_admin_0123456789abcdef', ben: 'rk_creator_ben_0123456789', marketing: 'rk_marketing_0123456789' };
const today = new Date().toISOString().slice(0, 10);

/** A page view of a post, `hoursAgo` hours ago. */
function pageView(postId: string, authorId: string, hoursAgo: number) {
  return {
    id: randomUUID(),
    type: 'page',
    name: 'page_viewed',
    properties: { postId, authorId },
    timestamp: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
    anonymousId: `anon-${postId}`,
    sessionId: 'sess-1',
    schema: 'travel@1',
    context: {
      page: { url: `${ORIGIN}/${postId}`, path: `/${postId}` },
      consent: { analytics: true, storage: true, marketing: true, gpc: false },
      sampleRate: 1,
      library: { name: '@waymark/core', version: '0.1.0' },
    },
  };
}

describe('openCollectorSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-collector-source-'));
  let collector: Collector;
  // The collector answered in-process, as a server would over HTTP.
  const fetchCollector = (async (input: RequestInfo | URL, init?: RequestInit) => collector.fetch(new Request(input, init))) as typeof fetch;
  const open = (key: string, extra: { maxEvents?: number } = {}) =>
    openCollectorSource({ url: 'http://collector.test/', key, from: today, to: today, fetch: fetchCollector, ...extra });

  beforeAll(async () => {
    collector = createCollector({
      sites: [{ id: 'blog', writeKey: 'wk_blog', origins: [ORIGIN] }],
      userIdKey: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
      store: { path: join(dir, 'store.duckdb') },
      rateLimit: false,
      readRateLimit: false,
      retention: { intervalMs: 0 },
      readKeys: [
        { name: 'admin', key: KEYS.admin, role: 'admin' },
        { name: 'ben', key: KEYS.ben, role: 'creator', authorId: 'ben' },
        { name: 'marketing', key: KEYS.marketing, role: 'marketing' },
      ],
    });
    // Within today (UTC), whatever the time of day: the download asks for today only.
    const minutesToday = new Date().getUTCHours() * 60 + new Date().getUTCMinutes();
    const hoursAgo = Math.min(1, minutesToday / 120);
    const events = [pageView('lisbon', 'ana', hoursAgo), pageView('porto', 'ben', hoursAgo), pageView('braga', 'ben', hoursAgo)];
    const response = await collector.fetch(
      new Request('http://collector.test/v1/batch?key=wk_blog', { method: 'POST', headers: { origin: ORIGIN }, body: JSON.stringify({ sentAt: new Date().toISOString(), events }) }),
    );
    expect(((await response.json()) as { results: { status: string }[] }).results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
  });
  afterAll(async () => {
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads a creator's events into the store layout and scopes to the author", async () => {
    const source = await open(KEYS.ben);
    try {
      expect(source).toMatchObject({ scope: { role: 'creator', authorId: 'ben' }, keyName: 'ben', events: 2 });
      const rows = await source.engine.query("SELECT page_path, json_extract_string(properties, '$.authorId') AS author, received_at IS NOT NULL AS received FROM waymark_events ORDER BY page_path");
      expect(rows).toEqual([
        { page_path: '/braga', author: 'ben', received: true },
        { page_path: '/porto', author: 'ben', received: true },
      ]);
      // The tables the data-quality report reads exist, empty: failures and duplicates stay in the collector's store.
      expect(await source.engine.query('SELECT (SELECT count(*) FROM waymark_failed_events) + (SELECT count(*) FROM waymark_ingest_stats) AS n')).toEqual([{ n: 0 }]);
    } finally {
      await source.engine.close();
    }
  });

  it('gives an admin key every event and an admin scope', async () => {
    const source = await open(KEYS.admin);
    await source.engine.close();
    expect(source).toMatchObject({ scope: { role: 'admin' }, events: 3 });
  });

  it('refuses a marketing key and a download the export limit would cut', async () => {
    await expect(open(KEYS.marketing)).rejects.toThrow(/^\[waymark\] the read key "marketing" is a marketing key: it may query aggregates/);
    await expect(open(KEYS.admin, { maxEvents: 3 })).rejects.toThrow(`[waymark] ${today} to ${today} holds 3 events or more, the most one download from the collector may hold`);
  });
});
