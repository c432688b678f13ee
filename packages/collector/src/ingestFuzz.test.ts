import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from './createCollector';
import { ORIGIN, WRITE_KEY, batchRequest, makeEnvelope, readStore, testCollector } from './testSupport';

// Bodies that are never a valid batch: not JSON, bad encodings, wrong shapes, deep nesting, huge strings.
const json = fc.jsonValue({ maxDepth: 4 });
const notABatch = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  json.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v) || !('events' in v)).map((v) => JSON.stringify(v)),
  fc.record({ sentAt: fc.oneof(json, fc.string()), events: fc.oneof(json, fc.constant([])) }).map((v) => JSON.stringify(v)),
  fc.record({ sentAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), events: fc.array(json, { minLength: 501, maxLength: 520 }) }).map((v) => JSON.stringify(v)),
  fc.record({ sentAt: fc.string(), events: fc.array(fc.constant(makeEnvelope()), { minLength: 1, maxLength: 3 }) }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 200_000 }).map((n) => `{"sentAt":"2026-01-01T00:00:00Z","events":${'['.repeat(n)}`),
  fc.integer({ min: 1, max: 40 }).map((n) => JSON.stringify({ sentAt: 'x'.repeat(n * 1000), events: [1] })),
  fc.string({ maxLength: 50 }).map((s) => JSON.stringify(batchRequestBody()).slice(0, s.length)),
);

function batchRequestBody() {
  return { sentAt: new Date().toISOString(), events: [makeEnvelope()] };
}

describe('ingest fuzz', () => {
  let collector: Collector;
  let path: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ collector, path, cleanup } = testCollector());
    await collector.ready();
  });
  afterAll(() => cleanup());

  it('answers every malformed body with a 4xx problem and stores nothing', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(notABatch, fc.constantFrom('text/plain', 'application/json', undefined), async (body, type) => {
        const request = new Request(`http://collector.test/v1/batch?key=${WRITE_KEY}`, {
          method: 'POST',
          headers: { origin: ORIGIN, ...(type ? { 'content-type': type } : {}) },
          body,
        });
        const response = await collector.fetch(request);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(typeof (await response.json()).detail).toBe('string');
      }),
      { numRuns: 3000, seed: 20261126 },
    );
    expect(statuses.get(400)).toBeGreaterThan(2000);
    await collector.close();
    expect(await readStore(path)).toEqual({ events: [], failed: [] });
  }, 120_000); // 3,000 requests: CPU-bound, and CI runs every suite in parallel on two cores

  it('answers a valid body under the same conditions (the harness can tell apart)', async () => {
    const t = testCollector();
    try {
      const response = await t.collector.fetch(batchRequest(batchRequestBody()));
      expect(response.status).toBe(200);
    } finally {
      await t.cleanup();
    }
  });
});
