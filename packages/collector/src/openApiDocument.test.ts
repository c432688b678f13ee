import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, READ_KEYS, WRITE_KEY, ORIGIN, batch, batchRequest, makeEnvelope, readRequest, testCollector } from './testSupport';

type Operation = { parameters?: { name: string; in: string; required?: boolean; schema: { enum?: string[] } }[] };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

const methods = ['get', 'post', 'put', 'patch', 'delete', 'options'] as const;

describe('GET /openapi.json', () => {
  let t: ReturnType<typeof testCollector>;
  let document: Document;
  beforeAll(async () => {
    t = testCollector({ readKeys: READ_KEYS, readRateLimit: false, retention: { intervalMs: 0 } });
    await t.collector.fetch(batchRequest(batch([makeEnvelope()])));
    const response = await t.collector.fetch(readRequest('/openapi.json'));
    expect(response.status).toBe(200);
    document = await response.json();
  });
  afterAll(() => t.cleanup());

  /** A request for a documented operation, with its required parameters filled in. */
  function requestFor(path: string, method: string, operation: Operation): Request {
    let url = path.replace('{id}', 'anon-1').replace('{job}', 'no-such-job');
    const query = new URLSearchParams();
    for (const p of operation.parameters ?? []) if (p.in === 'query' && p.required) query.set(p.name, p.schema.enum?.[0] ?? 'x');
    if (path === '/v1/batch') query.set('key', WRITE_KEY);
    if ([...query].length > 0) url += `?${query}`;
    const init: RequestInit = { method: method.toUpperCase(), headers: { authorization: `Bearer ${KEYS.admin}`, origin: ORIGIN, 'content-type': 'application/json' } };
    if (method === 'post') init.body = path === '/v1/erasures' ? JSON.stringify({ subjects: [{ type: 'anonymous', id: 'anon-9' }] }) : JSON.stringify(batch([makeEnvelope()]));
    return new Request(`http://collector.test${url}`, init);
  }

  it('is OpenAPI 3.1 and every documented operation answers with a valid key', async () => {
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThanOrEqual(14);
    for (const { path, method, op } of operations) {
      const response = await t.collector.fetch(requestFor(path, method, op));
      const expected = path === '/v1/erasures/{job}' ? 404 : undefined; // a documented 404: the job does not exist
      expect(response.status, `${method.toUpperCase()} ${path}`).toBeLessThan(500);
      if (expected) expect((await response.json()).detail).toMatch(/no erasure job/);
      else {
        expect([404, 405], `${method.toUpperCase()} ${path} answered ${response.status}`).not.toContain(response.status);
        await response.body?.cancel();
      }
    }
  });

  it('documents every route the collector answers', async () => {
    const candidates = [
      ...Object.keys(document.paths),
      '/', '/v1', '/v1/batches', '/v1/subjects', '/v1/subjects/x/y', '/v1/erasure', '/admin', '/debug', '/v2/batch', '/openapi.yaml', '/dashboard/x', '/metrics/x',
    ];
    for (const path of candidates) {
      const documented = document.paths[path] ?? {};
      for (const method of methods) {
        if (documented[method]) continue;
        // HEAD is answered for every GET, as HTTP defines it.
        const url = `http://collector.test${path.replace('{id}', 'anon-1').replace('{job}', 'j')}?key=${WRITE_KEY}&type=anonymous`;
        const response = await t.collector.fetch(new Request(url, { method: method.toUpperCase(), headers: { authorization: `Bearer ${KEYS.admin}`, origin: ORIGIN } }));
        expect(response.status, `${method.toUpperCase()} ${path} is not documented but answered ${response.status}`).toBe(404);
        await response.body?.cancel();
      }
    }
  });

  it('lists the same parameter values the routes accept', async () => {
    const query = document.paths['/v1/query'].get.parameters!;
    const metric = query.find((p) => p.name === 'metric')!.schema.enum!;
    for (const value of metric) expect((await t.collector.fetch(readRequest(`/v1/query?metric=${value}`, KEYS.admin))).status).toBe(200);
    const dimension = query.find((p) => p.name === 'dimension')!.schema.enum!;
    for (const value of dimension) expect((await t.collector.fetch(readRequest(`/v1/query?metric=events&dimension=${value}`, KEYS.admin))).status, value).toBe(200);
  });
});
