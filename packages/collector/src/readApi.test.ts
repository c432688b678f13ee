import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { defineEvent, extendCatalogue, travelCatalogue } from '@waymark/taxonomy';
import { beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createCollector } from './createCollector';
import type { CollectorOptions } from './createCollector';
import type { Collector } from './createCollector';
import { KEYS, ORIGIN, READ_KEYS, USER_ID_KEY, WRITE_KEY, batch, batchRequest, makeEnvelope, ndjson, readRequest, tempDir, testCollector } from './testSupport';
import { collectorsPerTest } from './collectorsPerTest';

const { setup, cleanups } = collectorsPerTest({ readKeys: READ_KEYS, readRateLimit: false, retention: { intervalMs: 0 } });

/** Posts for two authors: ana has 3 page views (one sampled at 0.5) and a share, ben has 2 page views. */
async function seed(collector: Collector) {
  const ana = (extra: Partial<ReturnType<typeof makeEnvelope>> = {}) =>
    makeEnvelope({ properties: { postId: 'lisbon-in-3-days', authorId: 'ana' }, anonymousId: 'anon-shared', ...extra });
  const ben = () => makeEnvelope({ properties: { postId: 'porto-food', authorId: 'ben' }, anonymousId: 'anon-shared' });
  const sampled = ana({ sessionId: 'sess-sampled' });
  sampled.context = { ...sampled.context, sampleRate: 0.5 };
  const share = ana({ type: 'track', name: 'post_shared', properties: { postId: 'lisbon-in-3-days', authorId: 'ana', network: 'whatsapp' } });
  const events = [ana(), ana(), sampled, share, ben(), ben()];
  const response = await collector.fetch(batchRequest(batch(events)));
  const { results } = await response.json();
  expect(results.map((r: { status: string }) => r.status)).toEqual(events.map(() => 'accepted'));
  return events;
}

describe('auth matrix', () => {
  let t: ReturnType<typeof testCollector>;
  let job: string;
  beforeAll(async () => {
    t = testCollector({ readKeys: READ_KEYS, readRateLimit: false, retention: { intervalMs: 0 } });
    await seed(t.collector);
    const created = await t.collector.fetch(
      readRequest('/v1/erasures', KEYS.admin, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subjects: [{ type: 'anonymous', id: 'anon-nobody' }] }) }),
    );
    job = (await created.json()).job;
  });
  afterAll(() => t.cleanup());

  const erasureBody = () => JSON.stringify({ subjects: [{ type: 'anonymous', id: 'anon-nobody-2' }] });
  const routes: { route: string; request: () => RequestInit; path: () => string; expected: [number, number, number, number, number] }[] = [
    // expected: none, wrong key, admin, creator, marketing
    { route: 'GET /v1/query', path: () => '/v1/query?metric=events', request: () => ({}), expected: [401, 401, 200, 200, 200] },
    { route: 'GET /v1/events', path: () => '/v1/events', request: () => ({}), expected: [401, 401, 200, 200, 403] },
    { route: 'GET /v1/events csv', path: () => '/v1/events?format=csv', request: () => ({}), expected: [401, 401, 200, 200, 403] },
    { route: 'GET /v1/subjects/{id}/events', path: () => '/v1/subjects/anon-shared/events?type=anonymous', request: () => ({}), expected: [401, 401, 200, 200, 403] },
    { route: 'DELETE /v1/subjects/{id}', path: () => '/v1/subjects/anon-nobody-3/events'.replace('/events', '') + '?type=anonymous', request: () => ({ method: 'DELETE' }), expected: [401, 401, 200, 403, 403] },
    {
      route: 'POST /v1/erasures',
      path: () => '/v1/erasures',
      request: () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: erasureBody() }),
      expected: [401, 401, 202, 403, 403],
    },
    { route: 'GET /v1/erasures/{job}', path: () => `/v1/erasures/${job}`, request: () => ({}), expected: [401, 401, 200, 403, 403] },
    { route: 'GET /v1/stream', path: () => '/v1/stream', request: () => ({}), expected: [401, 401, 200, 200, 403] },
    { route: 'GET /metrics', path: () => '/metrics', request: () => ({}), expected: [401, 401, 200, 403, 403] },
    { route: 'GET /v1/key', path: () => '/v1/key', request: () => ({}), expected: [401, 401, 200, 200, 200] },
    { route: 'POST /v1/failed-events/replay', path: () => '/v1/failed-events/replay', request: () => ({ method: 'POST' }), expected: [401, 401, 200, 403, 403] },
  ];
  const callers: [string, string | undefined][] = [
    ['no key', undefined],
    ['a wrong key', 'rk_wrong_0000000000000000'],
    ['admin', KEYS.admin],
    ['creator', KEYS.creator],
    ['marketing', KEYS.marketing],
  ];

  for (const { route, path, request, expected } of routes) {
    it(`answers ${route} with ${expected.join('/')} for none/wrong/admin/creator/marketing`, async () => {
      const statuses: number[] = [];
      for (const [, key] of callers) {
        const response = await t.collector.fetch(readRequest(path(), key, request()));
        statuses.push(response.status);
        if (response.status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        if (response.status >= 400) expect((await response.json()).detail).toMatch(/^\[waymark\]/);
        else await response.body?.cancel();
      }
      expect(statuses).toEqual(expected);
    });
  }

  it('never shows a creator another author’s events, in any route', async () => {
    const exported = await ndjson(await t.collector.fetch(readRequest('/v1/events', KEYS.creator)));
    expect(exported).toHaveLength(4);
    expect(exported.every((e) => (e.properties as { authorId: string }).authorId === 'ana')).toBe(true);
    const csv = await (await t.collector.fetch(readRequest('/v1/events?format=csv', KEYS.creator))).text();
    expect(csv).not.toContain('"authorId"":""ben"');
    expect(csv).not.toContain('porto-food');
    expect(csv.trim().split('\r\n')).toHaveLength(5);
    const subject = await ndjson(await t.collector.fetch(readRequest('/v1/subjects/anon-shared/events?type=anonymous', KEYS.creator)));
    expect(subject.map((line) => ((line.event as { properties: { authorId: string } }).properties.authorId))).toEqual(['ana', 'ana', 'ana', 'ana']);
    const byAuthor = await (await t.collector.fetch(readRequest('/v1/query?metric=events&dimension=author', KEYS.creator))).json();
    expect(byAuthor.rows.map((r: { author: string }) => r.author)).toEqual(['ana']);
    const filtered = await (await t.collector.fetch(readRequest('/v1/query?metric=events&filter=author:ben', KEYS.creator))).json();
    expect(filtered.rows).toEqual([]);
    const asBen = await ndjson(await t.collector.fetch(readRequest('/v1/events', KEYS.otherCreator)));
    expect(asBen.map((e) => (e.properties as { authorId: string }).authorId)).toEqual(['ben', 'ben']);
    const asAdmin = await ndjson(await t.collector.fetch(readRequest('/v1/subjects/anon-shared/events?type=anonymous', KEYS.admin)));
    expect(asAdmin).toHaveLength(6);
  });
});

describe('GET /v1/query', () => {
  it('weights counts by 1 / sampleRate and says so', async () => {
    const { collector } = setup();
    await seed(collector);
    const response = await collector.fetch(readRequest('/v1/query?metric=pageviews&bucket=day&dimension=post', KEYS.marketing));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ metric: 'pageviews', bucket: 'day', dimension: 'post', weighted: true });
    expect(body.note).toMatch(/1 \/ sampleRate/);
    const byPost = Object.fromEntries(body.rows.map((r: { post: string; value: number }) => [r.post, r.value]));
    expect(byPost).toEqual({ 'lisbon-in-3-days': 4, 'porto-food': 2 });
    expect(body.rows[0].bucket).toMatch(/T00:00:00\.000Z$/);
    const events = await (await collector.fetch(readRequest('/v1/query?metric=events', KEYS.admin))).json();
    expect(events.rows.reduce((sum: number, r: { value: number }) => sum + r.value, 0)).toBe(7);
    const sessions = await (await collector.fetch(readRequest('/v1/query?metric=sessions', KEYS.admin))).json();
    // sess-1 counts once, sess-sampled stands for two sessions.
    expect(sessions.rows.reduce((sum: number, r: { value: number }) => sum + r.value, 0)).toBe(3);
    const visitors = await (await collector.fetch(readRequest('/v1/query?metric=visitors', KEYS.admin))).json();
    expect(visitors.weighted).toBe(false);
    expect(visitors.rows[0].value).toBe(1);
  });

  it('buckets by hour, week and month in UTC and filters by dimension', async () => {
    const { collector } = setup();
    await seed(collector);
    for (const bucket of ['hour', 'week', 'month']) {
      const body = await (await collector.fetch(readRequest(`/v1/query?metric=events&bucket=${bucket}&filter=name:post_shared`, KEYS.admin))).json();
      expect(body.rows).toHaveLength(1);
      expect(body.rows[0].value).toBe(1);
    }
    const month = await (await collector.fetch(readRequest('/v1/query?metric=events&bucket=month', KEYS.admin))).json();
    expect(month.rows[0].bucket).toMatch(/-01T00:00:00\.000Z$/);
  });

  it('answers 400 naming the parameter and its allowed values', async () => {
    const { collector } = setup();
    const cases: [string, RegExp][] = [
      ['/v1/query', /"metric" is required; allowed values: "events", "pageviews", "sessions", "visitors"/],
      ['/v1/query?metric=revenue', /"metric" is "revenue"; allowed values: "events"/],
      ['/v1/query?metric=events&bucket=year', /"bucket" is "year"; allowed values: "hour", "day", "week", "month"/],
      ['/v1/query?metric=events&dimension=email', /"dimension" is "email"; allowed values: .*"campaign_source"/],
      ['/v1/query?metric=events&from=yesterday', /"from" is "yesterday"; allowed values: an ISO 8601 date/],
      ['/v1/query?metric=events&from=2026-02-01&to=2026-01-01', /"from" must be before "to"/],
      ['/v1/query?metric=events&filter=name', /"filter" is "name"; write it as <dimension>:<value>/],
      ["/v1/query?metric=events&filter=name' OR 1=1 --:x", /"filter"/],
      ['/v1/query?metric=events&sql=1', /unknown query parameter "sql"; allowed parameters: "metric", "bucket"/],
      ['/v1/query?metric=events&metric=pageviews', /"metric" is given 2 times/],
      ['/v1/events?format=xlsx', /"format" is "xlsx"; allowed values: "ndjson", "csv"/],
      ['/v1/events?limit=0', /"limit" is "0"; allowed values: an integer from 1 to 1000000/],
      ['/v1/subjects/u1/events', /"type" is missing; allowed values: "user", "anonymous"/],
    ];
    for (const [path, detail] of cases) {
      const response = await collector.fetch(readRequest(path, KEYS.admin));
      expect(response.status, path).toBe(400);
      expect((await response.json()).detail, path).toMatch(detail);
    }
  });

  it('pages rows with limit and offset and says when more follow', async () => {
    const { collector } = setup();
    const paths = ['/a', '/b', '/c', '/d', '/e'];
    await collector.fetch(batchRequest(batch(paths.map((path) => makeEnvelope({ context: { ...makeEnvelope().context, page: { url: `https://blog.example${path}`, path } } })))));
    const page = async (query: string) => (await collector.fetch(readRequest(`/v1/query?metric=events&dimension=path${query}`, KEYS.admin))).json();
    const whole = await page('');
    expect(whole).toMatchObject({ limit: 10_000, offset: 0, nextOffset: null });
    expect(whole.rows.map((r: { path: string }) => r.path)).toEqual(paths);
    const first = await page('&limit=2');
    expect(first).toMatchObject({ limit: 2, offset: 0, nextOffset: 2 });
    const second = await page(`&limit=2&offset=${first.nextOffset}`);
    expect(second).toMatchObject({ offset: 2, nextOffset: 4 });
    const last = await page(`&limit=2&offset=${second.nextOffset}`);
    expect(last).toMatchObject({ offset: 4, nextOffset: null });
    expect([...first.rows, ...second.rows, ...last.rows]).toEqual(whole.rows);
    for (const [query, detail] of [
      ['&limit=10001', /"limit" is "10001"; allowed values: an integer from 1 to 10000/],
      ['&limit=0', /"limit" is "0"; allowed values: an integer from 1 to 10000/],
      ['&offset=-1', /"offset" is "-1"; allowed values: an integer from 0/],
    ] as const) {
      const response = await collector.fetch(readRequest(`/v1/query?metric=events${query}`, KEYS.admin));
      expect(response.status, query).toBe(400);
      expect((await response.json()).detail).toMatch(detail);
    }
  });

  it('never cuts more than 10000 rows silently: the first page points at the rest', async () => {
    const { collector } = setup();
    const total = 10_001;
    for (let start = 0; start < total; start += 500) {
      const events = Array.from({ length: Math.min(500, total - start) }, (_, i) => {
        const event = makeEnvelope();
        event.context = { ...event.context, page: { url: `https://blog.example/p${start + i}`, path: `/p${start + i}` } };
        return event;
      });
      await collector.fetch(batchRequest(batch(events)));
    }
    const first = await (await collector.fetch(readRequest('/v1/query?metric=events&dimension=path', KEYS.admin))).json();
    expect(first.rows).toHaveLength(10_000);
    expect(first.nextOffset).toBe(10_000);
    const rest = await (await collector.fetch(readRequest(`/v1/query?metric=events&dimension=path&offset=${first.nextOffset}`, KEYS.admin))).json();
    expect(rest.rows).toHaveLength(1);
    expect(rest.nextOffset).toBeNull();
    const paths = new Set([...first.rows, ...rest.rows].map((r: { path: string }) => r.path));
    expect(paths.size).toBe(total);
  }, 60_000);

  it('refuses dates that do not exist instead of rolling them over', async () => {
    const { collector } = setup();
    for (const path of [
      '/v1/query?metric=events&from=2026-02-31',
      '/v1/query?metric=events&from=2025-02-29',
      '/v1/query?metric=events&to=2026-04-31T00:00:00Z',
      '/v1/events?from=2026-01-01T24:00Z',
      '/v1/events?from=2026-13-01',
      '/v1/events?from=2026-01-01T12:60:00%2B01:00',
    ]) {
      const response = await collector.fetch(readRequest(path, KEYS.admin));
      expect(response.status, path).toBe(400);
      expect((await response.json()).detail, path).toMatch(/which is not a calendar date; allowed values: an ISO 8601 date \(2026-05-01\) or date-time with offset \(2026-05-01T12:00:00Z\)/);
    }
    expect((await collector.fetch(readRequest('/v1/query?metric=events&from=2024-02-29&to=2024-03-01T00:00:00.000%2B01:00', KEYS.admin))).status).toBe(200);
  });

  it('treats a filter value as data, never as SQL', async () => {
    const { collector } = setup();
    await seed(collector);
    const body = await (await collector.fetch(readRequest(`/v1/query?metric=events&filter=${encodeURIComponent("name:x' OR '1'='1")}`, KEYS.admin))).json();
    expect(body.rows).toEqual([]);
  });
});

describe('GET /v1/events', () => {
  it('exports CSV quoted per RFC 4180 with formula cells defused', async () => {
    const { collector } = setup();
    const event = makeEnvelope({
      properties: { postId: 'a', authorId: 'ana' },
      context: { ...makeEnvelope().context, page: { url: 'https://blog.example/x', path: '/x', title: '=HYPERLINK("http://evil.example","click, "me"")' } },
    });
    const tab = makeEnvelope({ properties: { postId: 'b' }, context: { ...makeEnvelope().context, page: { url: 'https://blog.example/y', path: '/y', title: '\tcmd' } } });
    await collector.fetch(batchRequest(batch([event, tab])));
    const response = await collector.fetch(readRequest('/v1/events?format=csv', KEYS.admin));
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await response.text();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('id,type,name,schema,timestamp,received_at,site_id,anonymous_id,user_id,session_id,page_path,page_route,page_referrer,page_title,country,locale,screen,device,browser,os,utm_source,utm_medium,utm_campaign,sample_rate,properties');
    expect(text).toContain(`,"'=HYPERLINK(""http://evil.example"",""click, ""me"""")",`);
    expect(text).toContain(",'\tcmd,");
    expect(text).toContain('"{""postId"":""a"",""authorId"":""ana""}"');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(4);
  });

  it('exports NDJSON newest first with a limit', async () => {
    const { collector } = setup();
    const old = makeEnvelope({ timestamp: new Date(Date.now() - 60_000).toISOString() });
    const recent = makeEnvelope();
    await collector.fetch(batchRequest(batch([old, recent])));
    const lines = await ndjson(await collector.fetch(readRequest('/v1/events?order=desc&limit=1', KEYS.admin)));
    expect(lines.map((e) => e.id)).toEqual([recent.id]);
    expect(lines[0]).toMatchObject({ name: 'page_viewed', anonymousId: 'anon-1', context: { server: { siteId: 'blog' } } });
  });
});

describe('HEAD on the streaming routes', () => {
  it('answers with the GET headers and no body, and leaves no DuckDB connection open', async () => {
    let opened = 0;
    let closed = 0;
    const connect = DuckDBInstance.prototype.connect;
    const closeSync = DuckDBConnection.prototype.closeSync;
    const spies = [
      vi.spyOn(DuckDBInstance.prototype, 'connect').mockImplementation(function (this: DuckDBInstance, ...args) {
        opened += 1;
        return connect.apply(this, args);
      }),
      vi.spyOn(DuckDBConnection.prototype, 'closeSync').mockImplementation(function (this: DuckDBConnection) {
        closed += 1;
        return closeSync.apply(this);
      }),
    ];
    try {
      const { collector } = setup();
      await collector.ready();
      await collector.fetch(batchRequest(batch([makeEnvelope()])));
      const start = opened - closed;
      const routes: [string, RegExp][] = [
        ['/v1/events', /^application\/x-ndjson/],
        ['/v1/events?format=csv', /^text\/csv/],
        ['/v1/subjects/anon-1/events?type=anonymous', /^application\/x-ndjson/],
        ['/v1/stream', /^text\/event-stream/],
      ];
      for (const [path, type] of routes) {
        for (let i = 0; i < 20; i += 1) {
          const response = await collector.fetch(readRequest(path, KEYS.admin, { method: 'HEAD' }));
          expect(response.status, path).toBe(200);
          expect(response.headers.get('content-type'), path).toMatch(type);
          expect(response.body, path).toBeNull();
        }
      }
      expect(opened - closed).toBe(start);
      // A HEAD is still checked like its GET.
      expect((await collector.fetch(readRequest('/v1/events?format=xlsx', KEYS.admin, { method: 'HEAD' }))).status).toBe(400);
      expect((await collector.fetch(readRequest('/v1/events', KEYS.marketing, { method: 'HEAD' }))).status).toBe(403);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe('statuses of every read route', () => {
  const routes: [string, RequestInit][] = [
    ['/v1/key', {}],
    ['/v1/events', {}],
    ['/v1/subjects/anon-1/events?type=anonymous', {}],
    ['/v1/subjects/anon-1?type=anonymous', { method: 'DELETE' }],
    ['/v1/erasures', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subjects: [{ type: 'anonymous', id: 'a' }] }) }],
    ['/v1/erasures/no-such-job', {}],
    ['/v1/failed-events/replay', { method: 'POST' }],
    ['/v1/stream', {}],
    ['/metrics', {}],
  ];

  it('answers 429 with Retry-After on every read route once its key has used its burst', async () => {
    let clock = Date.parse('2026-06-01T12:00:00Z');
    const { collector } = setup({ readRateLimit: { perSecond: 1, burst: 1 }, now: () => clock });
    await collector.ready();
    for (const [path, init] of routes) {
      clock += 60_000;
      const first = await collector.fetch(readRequest(path, KEYS.admin, init));
      expect(first.status, path).not.toBe(429);
      await first.body?.cancel();
      const limited = await collector.fetch(readRequest(path, KEYS.admin, init));
      expect(limited.status, path).toBe(429);
      expect(limited.headers.get('retry-after'), path).toBe('1');
      expect((await limited.json()).detail, path).toMatch(/rate limit reached for read key "admin"/);
    }
  });

  it('answers 503 with Retry-After on every route that reads the store when it cannot be opened', async () => {
    const { collector } = setup({ store: { path: '/proc/waymark-no-such-dir/store.duckdb' }, logger: { error() {}, warn() {} } });
    await collector.ready().catch(() => undefined);
    const storeRoutes: [string, RequestInit][] = [
      ['/v1/query?metric=events', {}],
      ...routes.filter(([path]) => !['/v1/key', '/v1/erasures/no-such-job', '/metrics'].includes(path)),
    ];
    for (const [path, init] of storeRoutes) {
      const response = await collector.fetch(readRequest(path, KEYS.admin, init));
      expect(response.status, path).toBe(503);
      expect(response.headers.get('retry-after'), path).toBe('5');
      expect((await response.json()).detail, path).toMatch(/the store is unavailable; retry later/);
    }
  });

  it('answers 413 for an erasure list or a replay filter above its size limit', async () => {
    const { collector } = setup();
    const post = (path: string, bytes: number) =>
      collector.fetch(readRequest(path, KEYS.admin, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ' '.repeat(bytes) }));
    const erasures = await post('/v1/erasures', 2_000_001);
    expect(erasures.status).toBe(413);
    expect((await erasures.json()).detail).toMatch(/above the 2000000-byte limit/);
    const replay = await post('/v1/failed-events/replay', 10_001);
    expect(replay.status).toBe(413);
    expect((await replay.json()).detail).toMatch(/above the 10000-byte limit/);
  });
});

describe('read keys', () => {
  it('rate-limits each read key on its own', async () => {
    const clock = Date.parse('2026-06-01T12:00:00Z');
    const { collector } = setup({ readRateLimit: { perSecond: 1, burst: 2 }, now: () => clock });
    const ask = (key: string) => collector.fetch(readRequest('/v1/query?metric=events', key));
    expect((await ask(KEYS.admin)).status).toBe(200);
    expect((await ask(KEYS.admin)).status).toBe(200);
    const limited = await ask(KEYS.admin);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await ask(KEYS.marketing)).status).toBe(200);
  });

  it('refuses every read route when no read keys are configured, and leaves /metrics open', async () => {
    const { collector } = setup({ readKeys: [] });
    const response = await collector.fetch(readRequest('/v1/query?metric=events', KEYS.admin));
    expect(response.status).toBe(401);
    expect((await response.json()).detail).toMatch(/no read keys are configured/);
    expect((await collector.fetch(readRequest('/metrics'))).status).toBe(200);
  });

  it('refuses /metrics to a key bound to one site, since the counters cover every site', async () => {
    const { collector } = setup({ readKeys: [...READ_KEYS, { name: 'blog-admin', key: 'rk_blog_admin_0123456789', role: 'admin', siteId: 'blog' }] });
    const refused = await collector.fetch(readRequest('/metrics', 'rk_blog_admin_0123456789'));
    expect(refused.status).toBe(403);
    expect((await refused.json()).detail).toMatch(/limited to site "blog"; \/metrics counts every site/);
    expect((await collector.fetch(readRequest('/metrics', KEYS.admin))).status).toBe(200);
  });

  it('rejects a configuration with a malformed hash, a short key or a creator without authorId', async () => {
    expect(() => setup({ readKeys: [{ name: 'a', hash: 'md5:abc', role: 'admin' }] })).toThrow(/sha256:/);
    expect(() => setup({ readKeys: [{ name: 'a', key: 'short', role: 'admin' }] })).toThrow(/at least 16/);
    expect(() => setup({ readKeys: [{ name: 'a', key: 'rk_long_enough_key_1', role: 'creator' }] })).toThrow(/authorId/);
  });
});

describe('GET /v1/key', () => {
  it('tells a key its role and, for a creator, its author', async () => {
    const { collector } = setup();
    const ask = async (key: string) => (await collector.fetch(readRequest('/v1/key', key))).json();
    expect(await ask(KEYS.admin)).toEqual({ name: 'admin', role: 'admin' });
    expect(await ask(KEYS.creator)).toEqual({ name: 'ana', role: 'creator', authorId: 'ana' });
    expect(await ask(KEYS.marketing)).toEqual({ name: 'marketing', role: 'marketing' });
    const unknown = await collector.fetch(readRequest('/v1/key', 'rk_wrong_0000000000000000'));
    expect(unknown.status).toBe(401);
  });
});

describe('POST /v1/failed-events/replay', () => {
  /** A team's own event, unknown to the built-in catalogue until the team adds it. */
  const acmeCatalogue = extendCatalogue(travelCatalogue, {
    id: 'acme-travel',
    version: 1,
    events: {
      packing_list_downloaded: defineEvent({
        category: 'conversion',
        version: 1,
        description: 'The reader downloaded a packing list.',
        properties: z.strictObject({ listId: z.string() }),
      }),
    },
  });

  const temp = tempDir();
  afterAll(() => temp.remove());
  let n = 0;
  /** Collectors on one store file, one after the other, as a restart after a catalogue change has it. */
  function storeFile() {
    const path = join(temp.dir, `replay-${(n += 1)}.duckdb`);
    return (options: Partial<CollectorOptions> = {}) => {
      const collector = createCollector({
        sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
        userIdKey: USER_ID_KEY,
        store: { path },
        rateLimit: false,
        readKeys: READ_KEYS,
        readRateLimit: false,
        retention: { intervalMs: 0 },
        ...options,
      });
      cleanups.push(() => collector.close().catch(() => undefined));
      return collector;
    };
  }
  const replay = (collector: { fetch(r: Request): Promise<Response> }, body?: unknown, key: string = KEYS.admin) =>
    collector.fetch(
      readRequest('/v1/failed-events/replay', key, {
        method: 'POST',
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      }),
    );
  const packingList = (overrides: Partial<ReturnType<typeof makeEnvelope>> = {}) =>
    makeEnvelope({ type: 'track', name: 'packing_list_downloaded', schema: 'acme-travel@1', properties: { listId: 'iceland-winter' }, ...overrides });

  it('stores the events an extended catalogue accepts, marks them replayed and keeps the rest failed', async () => {
    const open = storeFile();
    const before = open();
    const fixed = packingList({ userId: 'traveller-42' });
    const broken = makeEnvelope({ properties: { nope: 1 } });
    const { results } = await (await before.fetch(batchRequest(batch([fixed, broken])))).json();
    expect(results.map((r: { status: string; reason: string }) => r.status)).toEqual(['rejected', 'rejected']);
    expect(results[0].reason).toMatch(/unknown catalogue "acme-travel@1"/);
    // Under the catalogue it was refused by, nothing passes.
    expect(await (await replay(before)).json()).toEqual({ replayed: 0, duplicates: 0, dropped: 0, stillFailing: 2 });
    await before.close();

    const after = open({ catalogues: [travelCatalogue, acmeCatalogue] });
    const response = await replay(after);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ replayed: 1, duplicates: 0, dropped: 0, stillFailing: 1 });
    const stored = await ndjson(await after.fetch(readRequest('/v1/events?from=2020-01-01', KEYS.admin)));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: fixed.id, name: 'packing_list_downloaded', properties: { listId: 'iceland-winter' }, context: { server: { siteId: 'blog', replayed: true } } });
    // The payload's user id was pseudonymised when it was kept: it is stored as is, not pseudonymised twice.
    const subject = await ndjson(await after.fetch(readRequest('/v1/subjects/traveller-42/events?type=user', KEYS.admin)));
    expect(subject.map((line) => [line.source, (line.event as { id: string }).id])).toEqual([['events', fixed.id]]);
    // A second replay finds only what still fails.
    expect(await (await replay(after)).json()).toEqual({ replayed: 0, duplicates: 0, dropped: 0, stillFailing: 1 });
    const metrics = await (await after.fetch(readRequest('/metrics', KEYS.admin))).text();
    expect(metrics).toContain('waymark_failed_events_replayed_total 1\n');
    await after.close();

    const instance = await DuckDBInstance.create(join(temp.dir, `replay-${n}.duckdb`), { access_mode: 'READ_ONLY' });
    const db = await instance.connect();
    const failed = (await db.runAndReadAll('SELECT id FROM waymark_failed_events')).getRows().map(([id]) => id);
    db.closeSync();
    instance.closeSync();
    expect(failed).toEqual([broken.id]);
  });

  it('replays only failed events whose reason and receipt time match the filter', async () => {
    const open = storeFile();
    const before = open();
    const first = packingList();
    await before.fetch(batchRequest(batch([first])));
    const cut = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = packingList();
    await before.fetch(batchRequest(batch([second])));
    await before.close();

    const after = open({ catalogues: [travelCatalogue, acmeCatalogue] });
    expect(await (await replay(after, { reason: 'no reason says this' })).json()).toEqual({ replayed: 0, duplicates: 0, dropped: 0, stillFailing: 0 });
    expect(await (await replay(after, { reason: 'unknown catalogue', to: cut })).json()).toEqual({ replayed: 1, duplicates: 0, dropped: 0, stillFailing: 0 });
    const ids = async () => (await ndjson(await after.fetch(readRequest('/v1/events?from=2020-01-01', KEYS.admin)))).map((e) => e.id);
    expect(await ids()).toEqual([first.id]);
    expect(await (await replay(after, { from: cut })).json()).toEqual({ replayed: 1, duplicates: 0, dropped: 0, stillFailing: 0 });
    expect((await ids()).sort()).toEqual([first.id, second.id].sort());
  });

  it('removes without storing what is already stored, has no analytics consent or belongs to an erased subject', async () => {
    const open = storeFile();
    const before = open();
    const stored = makeEnvelope({ anonymousId: 'anon-ok' });
    await before.fetch(batchRequest(batch([stored])));
    expect((await before.fetch(readRequest('/v1/subjects/anon-gone?type=anonymous', KEYS.admin, { method: 'DELETE' }))).status).toBe(200);
    const again = packingList({ id: stored.id });
    const { results } = await (await before.fetch(batchRequest(batch([again])))).json();
    expect(results[0].reason).toMatch(/unknown catalogue/);
    await before.close();
    // Failed events this collector no longer keeps, but a store written by an earlier version may hold: one whose
    // snapshot refuses analytics, and one of a subject erased since.
    const noConsent = packingList();
    noConsent.context = { ...noConsent.context, consent: { ...noConsent.context.consent, analytics: false } };
    const erased = packingList({ anonymousId: 'anon-gone' });
    const instance = await DuckDBInstance.create(join(temp.dir, `replay-${n}.duckdb`));
    const db = await instance.connect();
    for (const event of [noConsent, erased]) {
      await db.run(`INSERT INTO waymark_failed_events VALUES ($1, 'blog', now(), 'schema: unknown catalogue "acme-travel@1"', $2)`, [event.id, JSON.stringify(event)]);
    }
    db.closeSync();
    instance.closeSync();

    const after = open({ catalogues: [travelCatalogue, acmeCatalogue] });
    expect(await (await replay(after)).json()).toEqual({ replayed: 0, duplicates: 1, dropped: 2, stillFailing: 0 });
    const ids = (await ndjson(await after.fetch(readRequest('/v1/events?from=2020-01-01', KEYS.admin)))).map((e) => e.id);
    expect(ids).toEqual([stored.id]);
    expect(await (await replay(after)).json()).toEqual({ replayed: 0, duplicates: 0, dropped: 0, stillFailing: 0 });
  });

  it('replays only the failed events of the site a key is bound to', async () => {
    const sites = [
      { id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] },
      { id: 'other', writeKey: 'wk_test_other', origins: ['https://other.example'] },
    ];
    const readKeys = [...READ_KEYS, { name: 'blog-admin', key: 'rk_blog_admin_0123456789', role: 'admin' as const, siteId: 'blog' }];
    const open = storeFile();
    const before = open({ sites });
    const onBlog = packingList();
    const onOther = packingList();
    await before.fetch(batchRequest(batch([onBlog])));
    await before.fetch(batchRequest(batch([onOther]), { key: 'wk_test_other', origin: 'https://other.example' }));
    await before.close();

    const after = open({ sites, readKeys, catalogues: [travelCatalogue, acmeCatalogue] });
    expect(await (await replay(after, undefined, 'rk_blog_admin_0123456789')).json()).toEqual({ replayed: 1, duplicates: 0, dropped: 0, stillFailing: 0 });
    const ids = async () => (await ndjson(await after.fetch(readRequest('/v1/events?from=2020-01-01', KEYS.admin)))).map((e) => e.id);
    expect(await ids()).toEqual([onBlog.id]);
    expect(await (await replay(after)).json()).toEqual({ replayed: 1, duplicates: 0, dropped: 0, stillFailing: 0 });
    expect((await ids()).sort()).toEqual([onBlog.id, onOther.id].sort());
  });

  it('drops on replay only what is suppressed on the failed event’s own site', async () => {
    const sites = [
      { id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] },
      { id: 'other', writeKey: 'wk_test_other', origins: ['https://other.example'] },
    ];
    const readKeys = [...READ_KEYS, { name: 'blog-admin', key: 'rk_blog_admin_0123456789', role: 'admin' as const, siteId: 'blog' }];
    const open = storeFile();
    const before = open({ sites, readKeys });
    const onOther = packingList({ anonymousId: 'anon-b' });
    await before.fetch(batchRequest(batch([onOther]), { key: 'wk_test_other', origin: 'https://other.example' }));
    expect((await before.fetch(readRequest('/v1/subjects/anon-b?type=anonymous', 'rk_blog_admin_0123456789', { method: 'DELETE' }))).status).toBe(200);
    await before.close();

    const after = open({ sites, readKeys, catalogues: [travelCatalogue, acmeCatalogue] });
    expect(await (await replay(after)).json()).toEqual({ replayed: 1, duplicates: 0, dropped: 0, stillFailing: 0 });
  });

  it('answers 400 naming the field for a bad filter and 415 for a body that is not JSON', async () => {
    const { collector } = setup();
    const detail = async (body: unknown) => {
      const response = await replay(collector, body);
      expect(response.status).toBe(400);
      return (await response.json()).detail as string;
    };
    expect(await detail({ reasons: 'x' })).toMatch(/unknown field "reasons"; allowed fields: "reason", "from", "to"/);
    expect(await detail({ reason: '' })).toMatch(/"reason" must be text of 1 to 500 characters/);
    expect(await detail({ from: 'yesterday' })).toMatch(/"from" must be an ISO 8601 date/);
    expect(await detail({ from: '2026-05-02', to: '2026-05-01' })).toMatch(/"from" must be before "to"/);
    expect(await detail({ from: '2026-02-31' })).toMatch(/"from" must be an ISO 8601 date \(2026-05-01\) or date-time with offset \(2026-05-01T12:00:00Z\); got "2026-02-31", which is not a calendar date/);
    expect(await detail({ to: '2026-06-31T10:00:00Z' })).toMatch(/"to" must be an ISO 8601 date.*which is not a calendar date/);
    expect(await detail([1])).toMatch(/must be a JSON object/);
    const text = await collector.fetch(readRequest('/v1/failed-events/replay', KEYS.admin, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'reason=x' }));
    expect(text.status).toBe(415);
  });
});
