import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { Collector } from './createCollector';
import { KEYS, READ_KEYS, batch, batchRequest, makeEnvelope, ndjson, readRequest, testCollector } from './testSupport';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});
function setup(options: Parameters<typeof testCollector>[0] = {}) {
  const t = testCollector({ readKeys: READ_KEYS, readRateLimit: false, retention: { intervalMs: 0 }, ...options });
  cleanups.push(t.cleanup);
  return t;
}

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

  it('rejects a configuration with a malformed hash, a short key or a creator without authorId', async () => {
    expect(() => setup({ readKeys: [{ name: 'a', hash: 'md5:abc', role: 'admin' }] })).toThrow(/sha256:/);
    expect(() => setup({ readKeys: [{ name: 'a', key: 'short', role: 'admin' }] })).toThrow(/at least 16/);
    expect(() => setup({ readKeys: [{ name: 'a', key: 'rk_long_enough_key_1', role: 'creator' }] })).toThrow(/authorId/);
  });
});
