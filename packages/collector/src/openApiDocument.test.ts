import type { Sink } from '@waymark/sinks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from './createCollector';
import { KEYS, READ_KEYS, WRITE_KEY, ORIGIN, batch, batchRequest, makeEnvelope, readRequest, testCollector } from './testSupport';

type Operation = {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema: { enum?: string[] } }[];
  responses: Record<string, unknown>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

const methods = ['get', 'post', 'put', 'patch', 'delete', 'options'] as const;
const SITE_KEY = 'rk_blog_admin_0123456789';
const EVIL_ORIGIN = 'https://evil.example';

/** A sink whose erase fails for one subject, so an erasure can answer its documented 502. */
const flakySink: Sink = {
  name: 'flaky',
  write: async (events) => ({ written: events.length, skipped: 0, failed: [] }),
  async erase(subject) {
    if (subject.anonymousId === 'anon-sink-down') throw new Error('warehouse offline');
    return { deleted: 0 };
  },
};

describe('GET /openapi.json', () => {
  let main: ReturnType<typeof testCollector>;
  let limited: ReturnType<typeof testCollector>;
  let down: ReturnType<typeof testCollector>;
  let document: Document;
  let job: string;
  beforeAll(async () => {
    main = testCollector({
      readKeys: [...READ_KEYS, { name: 'blog-admin', key: SITE_KEY, role: 'admin', siteId: 'blog' }],
      readRateLimit: false,
      retention: { intervalMs: 0 },
      sinks: [flakySink],
    });
    // A clock that never moves: once a bucket's one token is used, the next request is refused.
    const clock = Date.now();
    limited = testCollector({ readKeys: READ_KEYS, rateLimit: { perSecond: 1, burst: 1 }, readRateLimit: { perSecond: 1, burst: 1 }, now: () => clock, retention: { intervalMs: 0 } });
    down = testCollector({ readKeys: READ_KEYS, store: { path: '/proc/waymark-no-such-dir/store.duckdb' }, retention: { intervalMs: 0 }, logger: { error() {}, warn() {} } });
    await main.collector.fetch(batchRequest(batch([makeEnvelope()])));
    const created = await main.collector.fetch(
      readRequest('/v1/erasures', KEYS.admin, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subjects: [{ type: 'anonymous', id: 'anon-9' }] }) }),
    );
    job = (await created.json()).job;
    const response = await main.collector.fetch(readRequest('/openapi.json'));
    expect(response.status).toBe(200);
    document = await response.json();
  });
  afterAll(async () => {
    await Promise.all([main, limited, down].map((t) => t.cleanup()));
  });

  const operations = () => Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  const documented = (op: Operation) => Object.keys(op.responses).map(Number);
  const name = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

  type Call = { key?: string | null; body?: string; type?: string; origin?: string; writeKey?: string | null };
  /** One request to a documented path: the read key as a bearer token, the write key in the query string. */
  function request(method: string, path: string, { key = KEYS.admin, body, type = 'application/json', origin = ORIGIN, writeKey = WRITE_KEY }: Call = {}): Request {
    let url = `http://collector.test${path}`;
    if (path.startsWith('/v1/batch') && writeKey !== null) url += `?key=${writeKey}`;
    const headers: Record<string, string> = { origin };
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = type;
    return new Request(url, { method: method.toUpperCase(), headers, ...(body === undefined ? {} : { body }) });
  }
  const twice = async (collector: Collector, make: () => Request) => {
    await (await collector.fetch(make())).body?.cancel();
    return collector.fetch(make());
  };

  const erasure = JSON.stringify({ subjects: [{ type: 'anonymous', id: 'anon-9' }] });
  const events = () => JSON.stringify(batch([makeEnvelope()]));
  /** A valid request of each documented operation, as an admin (or with the write key) would send it. */
  const valid: Record<string, () => Request> = {
    'POST /v1/batch': () => request('post', '/v1/batch', { body: events(), type: 'text/plain' }),
    'OPTIONS /v1/batch': () => request('options', '/v1/batch'),
    'GET /v1/key': () => request('get', '/v1/key'),
    'POST /v1/failed-events/replay': () => request('post', '/v1/failed-events/replay', { body: '{}' }),
    'GET /v1/query': () => request('get', '/v1/query?metric=events'),
    'GET /v1/events': () => request('get', '/v1/events'),
    'GET /v1/subjects/{id}/events': () => request('get', '/v1/subjects/anon-1/events?type=anonymous'),
    'DELETE /v1/subjects/{id}': () => request('delete', '/v1/subjects/anon-2?type=anonymous'),
    'POST /v1/erasures': () => request('post', '/v1/erasures', { body: erasure }),
    'GET /v1/erasures/{job}': () => request('get', `/v1/erasures/${job}`),
    'GET /v1/stream': () => request('get', '/v1/stream'),
    'GET /health': () => request('get', '/health', { key: null }),
    'GET /metrics': () => request('get', '/metrics'),
    'GET /openapi.json': () => request('get', '/openapi.json', { key: null }),
    'GET /dashboard': () => request('get', '/dashboard', { key: null }),
    'GET /dashboard.js': () => request('get', '/dashboard.js', { key: null }),
  };

  /** For each operation, a request that answers each status it can answer. */
  const scenarios: Record<string, Record<number, () => Promise<Response>>> = {
    'POST /v1/batch': {
      200: () => main.collector.fetch(valid['POST /v1/batch']()),
      400: () => main.collector.fetch(request('post', '/v1/batch', { body: 'not json', type: 'text/plain' })),
      401: () => main.collector.fetch(request('post', '/v1/batch', { body: events(), writeKey: null })),
      403: () => main.collector.fetch(request('post', '/v1/batch', { body: events(), origin: EVIL_ORIGIN })),
      413: () => main.collector.fetch(request('post', '/v1/batch', { body: ' '.repeat(600_000) })),
      415: () => main.collector.fetch(request('post', '/v1/batch', { body: events(), type: 'application/xml' })),
      429: () => twice(limited.collector, valid['POST /v1/batch']),
      503: () => down.collector.fetch(valid['POST /v1/batch']()),
    },
    'OPTIONS /v1/batch': {
      204: () => main.collector.fetch(valid['OPTIONS /v1/batch']()),
      401: () => main.collector.fetch(request('options', '/v1/batch', { writeKey: null })),
      403: () => main.collector.fetch(request('options', '/v1/batch', { origin: EVIL_ORIGIN })),
    },
    'GET /v1/key': {
      200: () => main.collector.fetch(valid['GET /v1/key']()),
      401: () => main.collector.fetch(request('get', '/v1/key', { key: 'rk_wrong_0000000000000000' })),
      429: () => twice(limited.collector, valid['GET /v1/key']),
    },
    'POST /v1/failed-events/replay': {
      200: () => main.collector.fetch(valid['POST /v1/failed-events/replay']()),
      400: () => main.collector.fetch(request('post', '/v1/failed-events/replay', { body: '{"from":"2026-02-31"}' })),
      401: () => main.collector.fetch(request('post', '/v1/failed-events/replay', { key: null })),
      403: () => main.collector.fetch(request('post', '/v1/failed-events/replay', { key: KEYS.creator })),
      413: () => main.collector.fetch(request('post', '/v1/failed-events/replay', { body: ' '.repeat(10_001) })),
      415: () => main.collector.fetch(request('post', '/v1/failed-events/replay', { body: 'reason=x', type: 'text/plain' })),
      429: () => twice(limited.collector, valid['POST /v1/failed-events/replay']),
      503: () => down.collector.fetch(valid['POST /v1/failed-events/replay']()),
    },
    'GET /v1/query': {
      200: () => main.collector.fetch(valid['GET /v1/query']()),
      400: () => main.collector.fetch(request('get', '/v1/query?metric=events&limit=10001')),
      401: () => main.collector.fetch(request('get', '/v1/query?metric=events', { key: null })),
      429: () => twice(limited.collector, valid['GET /v1/query']),
      503: () => down.collector.fetch(valid['GET /v1/query']()),
    },
    'GET /v1/events': {
      200: () => main.collector.fetch(valid['GET /v1/events']()),
      400: () => main.collector.fetch(request('get', '/v1/events?from=2026-02-31')),
      401: () => main.collector.fetch(request('get', '/v1/events', { key: null })),
      403: () => main.collector.fetch(request('get', '/v1/events', { key: KEYS.marketing })),
      429: () => twice(limited.collector, valid['GET /v1/events']),
      503: () => down.collector.fetch(valid['GET /v1/events']()),
    },
    'GET /v1/subjects/{id}/events': {
      200: () => main.collector.fetch(valid['GET /v1/subjects/{id}/events']()),
      400: () => main.collector.fetch(request('get', '/v1/subjects/anon-1/events')),
      401: () => main.collector.fetch(request('get', '/v1/subjects/anon-1/events?type=anonymous', { key: null })),
      403: () => main.collector.fetch(request('get', '/v1/subjects/anon-1/events?type=anonymous', { key: KEYS.marketing })),
      429: () => twice(limited.collector, valid['GET /v1/subjects/{id}/events']),
      503: () => down.collector.fetch(valid['GET /v1/subjects/{id}/events']()),
    },
    'DELETE /v1/subjects/{id}': {
      200: () => main.collector.fetch(valid['DELETE /v1/subjects/{id}']()),
      400: () => main.collector.fetch(request('delete', '/v1/subjects/anon-2?type=email')),
      401: () => main.collector.fetch(request('delete', '/v1/subjects/anon-2?type=anonymous', { key: null })),
      403: () => main.collector.fetch(request('delete', '/v1/subjects/anon-2?type=anonymous', { key: KEYS.creator })),
      429: () => twice(limited.collector, valid['DELETE /v1/subjects/{id}']),
      502: () => main.collector.fetch(request('delete', '/v1/subjects/anon-sink-down?type=anonymous')),
      503: () => down.collector.fetch(valid['DELETE /v1/subjects/{id}']()),
    },
    'POST /v1/erasures': {
      202: () => main.collector.fetch(valid['POST /v1/erasures']()),
      400: () => main.collector.fetch(request('post', '/v1/erasures', { body: '{"subjects":[]}' })),
      401: () => main.collector.fetch(request('post', '/v1/erasures', { body: erasure, key: null })),
      403: () => main.collector.fetch(request('post', '/v1/erasures', { body: erasure, key: KEYS.creator })),
      413: () => main.collector.fetch(request('post', '/v1/erasures', { body: ' '.repeat(2_000_001) })),
      415: () => main.collector.fetch(request('post', '/v1/erasures', { body: 'subjects=1', type: 'application/x-www-form-urlencoded' })),
      429: () => twice(limited.collector, valid['POST /v1/erasures']),
      503: () => down.collector.fetch(valid['POST /v1/erasures']()),
    },
    'GET /v1/erasures/{job}': {
      200: () => main.collector.fetch(valid['GET /v1/erasures/{job}']()),
      401: () => main.collector.fetch(request('get', `/v1/erasures/${job}`, { key: null })),
      403: () => main.collector.fetch(request('get', `/v1/erasures/${job}`, { key: KEYS.marketing })),
      404: () => main.collector.fetch(request('get', '/v1/erasures/no-such-job')),
      429: () => twice(limited.collector, () => request('get', '/v1/erasures/no-such-job')),
    },
    'GET /v1/stream': {
      200: () => main.collector.fetch(valid['GET /v1/stream']()),
      401: () => main.collector.fetch(request('get', '/v1/stream', { key: null })),
      403: () => main.collector.fetch(request('get', '/v1/stream', { key: KEYS.marketing })),
      429: () => twice(limited.collector, valid['GET /v1/stream']),
      503: () => down.collector.fetch(valid['GET /v1/stream']()),
    },
    'GET /health': {
      200: () => main.collector.fetch(valid['GET /health']()),
      503: () => down.collector.fetch(valid['GET /health']()),
    },
    'GET /metrics': {
      200: () => main.collector.fetch(valid['GET /metrics']()),
      401: () => main.collector.fetch(request('get', '/metrics', { key: null })),
      403: () => main.collector.fetch(request('get', '/metrics', { key: SITE_KEY })),
      429: () => twice(limited.collector, valid['GET /metrics']),
    },
    'GET /openapi.json': { 200: () => main.collector.fetch(valid['GET /openapi.json']()) },
    'GET /dashboard': { 200: () => main.collector.fetch(valid['GET /dashboard']()) },
    'GET /dashboard.js': { 200: () => main.collector.fetch(valid['GET /dashboard.js']()) },
  };

  it('is OpenAPI 3.1 and answers a valid request of every documented operation with a documented success', async () => {
    expect(document.openapi).toBe('3.1.0');
    expect(operations().length).toBeGreaterThanOrEqual(16);
    for (const { path, method, op } of operations()) {
      const operation = name(method, path);
      expect(valid[operation], `${operation} has no valid request in this test`).toBeDefined();
      const response = await main.collector.fetch(valid[operation]());
      expect(documented(op), `${operation} answered ${response.status}`).toContain(response.status);
      expect(response.status, operation).toBeLessThan(300);
      await response.body?.cancel();
    }
  });

  it('answers the documented 401 to every secured operation called without a key', async () => {
    for (const { path, method, op } of operations()) {
      const operation = name(method, path);
      const response = await main.collector.fetch(
        new Request(valid[operation]().url.replace(/\?key=[^&]*&?/, '?'), { method: method.toUpperCase(), headers: { origin: ORIGIN } }),
      );
      await response.body?.cancel();
      if ((op.security ?? []).length === 0) {
        expect(response.status, `${operation} needs no key`).toBe(200);
        continue;
      }
      expect(documented(op), `${operation} does not document 401`).toContain(401);
      expect(response.status, operation).toBe(401);
    }
  });

  it('answers every status the document lists for each operation, and no status it leaves out', async () => {
    for (const { path, method, op } of operations()) {
      const operation = name(method, path);
      const cases = scenarios[operation] ?? {};
      expect(Object.keys(cases).map(Number).sort(), `${operation}: statuses documented vs. produced here`).toEqual(documented(op).sort());
      for (const [status, send] of Object.entries(cases)) {
        const response = await send();
        expect(response.status, `${operation} ${status}`).toBe(Number(status));
        if (response.status === 401 && (op.security ?? []).some((s) => 'readKey' in s)) expect(response.headers.get('www-authenticate'), operation).toMatch(/^Bearer/);
        if (response.status === 429 || response.status === 503) {
          if (operation !== 'GET /health') expect(response.headers.get('retry-after'), `${operation} ${status}`).toMatch(/^\d+$/);
        }
        await response.body?.cancel();
      }
    }
    expect(Object.keys(scenarios).sort()).toEqual(operations().map(({ path, method }) => name(method, path)).sort());
  }, 30_000);

  it('documents every route the collector answers', async () => {
    const candidates = [
      ...Object.keys(document.paths),
      '/', '/v1', '/v1/batches', '/v1/subjects', '/v1/subjects/x/y', '/v1/erasure', '/admin', '/debug', '/v2/batch', '/openapi.yaml', '/dashboard/x', '/metrics/x',
    ];
    for (const path of candidates) {
      const documentedPath = document.paths[path] ?? {};
      for (const method of methods) {
        if (documentedPath[method]) continue;
        // HEAD is answered for every GET, as HTTP defines it.
        const url = `http://collector.test${path.replace('{id}', 'anon-1').replace('{job}', 'j')}?key=${WRITE_KEY}&type=anonymous`;
        const response = await main.collector.fetch(new Request(url, { method: method.toUpperCase(), headers: { authorization: `Bearer ${KEYS.admin}`, origin: ORIGIN } }));
        expect(response.status, `${method.toUpperCase()} ${path} is not documented but answered ${response.status}`).toBe(404);
        await response.body?.cancel();
      }
    }
  });

  it('lists the same parameter values the routes accept', async () => {
    const query = document.paths['/v1/query'].get.parameters!;
    const metric = query.find((p) => p.name === 'metric')!.schema.enum!;
    for (const value of metric) expect((await main.collector.fetch(readRequest(`/v1/query?metric=${value}`, KEYS.admin))).status).toBe(200);
    const dimension = query.find((p) => p.name === 'dimension')!.schema.enum!;
    for (const value of dimension) expect((await main.collector.fetch(readRequest(`/v1/query?metric=events&dimension=${value}`, KEYS.admin))).status, value).toBe(200);
  });
});
