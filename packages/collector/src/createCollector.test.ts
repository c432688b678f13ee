import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it, vi } from 'vitest';
import { createCollector } from './createCollector';
import { ORIGIN, USER_ID_KEY, WRITE_KEY, batch, batchRequest, makeEnvelope, readStore, tempDir } from './testSupport';
import { collectorsPerTest } from './collectorsPerTest';

const { setup, cleanups } = collectorsPerTest();

describe('POST /v1/batch', () => {
  it('stores valid events and answers accepted per event', async () => {
    const { collector, path } = setup();
    const events = [makeEnvelope(), makeEnvelope()];
    const response = await collector.fetch(batchRequest(batch(events)));
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(await response.json()).toEqual({ results: events.map((e) => ({ id: e.id, status: 'accepted' })) });
    await collector.close();
    const { events: stored, failed } = await readStore(path);
    expect(stored.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(failed).toEqual([]);
  });

  it('accepts an application/json body as well as text/plain', async () => {
    const { collector } = setup();
    const response = await collector.fetch(batchRequest(batch([makeEnvelope()]), { headers: { 'content-type': 'application/json' } }));
    expect(response.status).toBe(200);
  });

  it('answers 401 without a write key or with an unknown one', async () => {
    const { collector } = setup();
    const missing = await collector.fetch(batchRequest(batch([makeEnvelope()]), { key: null }));
    expect(missing.status).toBe(401);
    expect((await missing.json()).detail).toMatch(/missing write key/);
    const unknown = await collector.fetch(batchRequest(batch([makeEnvelope()]), { key: 'wk_nope' }));
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(unknown.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 403 to an origin the site does not list, without CORS headers', async () => {
    const { collector, path } = setup();
    const response = await collector.fetch(batchRequest(batch([makeEnvelope()]), { origin: 'https://evil.example' }));
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect((await response.json()).detail).toContain('https://evil.example');
    await collector.close();
    expect((await readStore(path)).events).toEqual([]);
  });

  it('checks the Referer when there is no Origin, and refuses requests with neither unless the site allows it', async () => {
    const { collector } = setup({
      sites: [
        { id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] },
        { id: 'server', writeKey: 'wk_server', origins: [], allowMissingOrigin: true },
      ],
    });
    const byReferer = await collector.fetch(batchRequest(batch([makeEnvelope()]), { origin: null, headers: { referer: `${ORIGIN}/lisbon` } }));
    expect(byReferer.status).toBe(200);
    const neither = await collector.fetch(batchRequest(batch([makeEnvelope()]), { origin: null }));
    expect(neither.status).toBe(403);
    const serverSide = await collector.fetch(batchRequest(batch([makeEnvelope()]), { key: 'wk_server', origin: null }));
    expect(serverSide.status).toBe(200);
  });

  it('answers 413 from Content-Length before reading the body', async () => {
    const { collector } = setup();
    const request = batchRequest('x'.repeat(600_000), { headers: { 'content-length': '600000' } });
    const response = await collector.fetch(request);
    expect(response.status).toBe(413);
  });

  it('answers 413 when a streamed body passes the cap whatever Content-Length claims', async () => {
    const { collector, path } = setup();
    let pulled = 0;
    const chunk = new TextEncoder().encode(JSON.stringify(batch([makeEnvelope()])).padEnd(64 * 1024, ' '));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.byteLength;
        // An endless body: only counting while streaming stops it.
        controller.enqueue(chunk);
      },
    });
    const request = new Request(`http://collector.test/v1/batch?key=${WRITE_KEY}`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'text/plain', 'content-length': '100' },
      body,
      duplex: 'half',
    } as RequestInit);
    const response = await collector.fetch(request);
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(1_000_000);
    await collector.close();
    expect(await readStore(path)).toEqual({ events: [], failed: [] });
  });

  it('answers 415 to a compressed body and to a content type it does not read', async () => {
    const { collector } = setup();
    const gzip = await collector.fetch(batchRequest(batch([makeEnvelope()]), { headers: { 'content-encoding': 'gzip' } }));
    expect(gzip.status).toBe(415);
    const form = await collector.fetch(batchRequest('a=1', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    expect(form.status).toBe(415);
  });

  it('answers 400 naming the problem for a body that is not JSON or not a batch', async () => {
    const { collector } = setup();
    const notJson = await collector.fetch(batchRequest('{"sentAt":'));
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).detail).toMatch(/not JSON/);
    const noEvents = await collector.fetch(batchRequest({ sentAt: new Date().toISOString(), events: [] }));
    expect(noEvents.status).toBe(400);
    expect((await noEvents.json()).detail).toMatch(/events/);
    const badSentAt = await collector.fetch(batchRequest({ sentAt: 'yesterday', events: [makeEnvelope()] }));
    expect((await badSentAt.json()).detail).toMatch(/sentAt/);
    const invalidUtf8 = await collector.fetch(batchRequest(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) as unknown as string));
    expect(invalidUtf8.status).toBe(400);
  });

  it('writes invalid events to the failed-events store with their reason and keeps the valid ones', async () => {
    const { collector, path } = setup();
    const good = makeEnvelope();
    const bad = makeEnvelope({ name: 'page_viewed', properties: { nope: 1 } });
    const response = await collector.fetch(batchRequest(batch([good, bad, 42])));
    const { results } = await response.json();
    expect(results[0]).toEqual({ id: good.id, status: 'accepted' });
    expect(results[1]).toMatchObject({ id: bad.id, status: 'rejected' });
    expect(results[1].reason).toMatch(/properties/);
    expect(results[2]).toMatchObject({ id: null, status: 'rejected' });
    await collector.close();
    const { events, failed } = await readStore(path);
    expect(events.map((e) => e.id)).toEqual([good.id]);
    expect(failed).toHaveLength(2);
    const badRow = failed.find((f) => f.id === bad.id)!;
    expect(badRow.reason).toBe(results[1].reason);
    expect(JSON.parse(badRow.payload as string).properties).toEqual({ nope: 1 });
    // Without a consent snapshot granting analytics only the id and the reason are kept (see ingestPrivacy.test.ts).
    expect(JSON.parse(failed.find((f) => f.id === null)!.payload as string)).toEqual({ id: null, note: 'payload not kept: no consent snapshot granting analytics' });
  });

  it('rejects an event above 32 KB alone', async () => {
    const { collector, path } = setup();
    const small = makeEnvelope();
    const big = makeEnvelope({ properties: { postId: 'x', padding: 'y'.repeat(40_000) } });
    const bigger = makeEnvelope({ properties: { postId: 'x', padding: 'y'.repeat(50_000) } });
    const { results } = await (await collector.fetch(batchRequest(batch([small, big, bigger])))).json();
    expect(results[0].status).toBe('accepted');
    expect(results[1]).toMatchObject({ id: big.id, status: 'rejected' });
    expect(results[1].reason).toMatch(/32768-byte limit/);
    // One reason whatever the size, so the data-quality report counts oversized events on one row.
    expect(results[2].reason).toBe(results[1].reason);
    await collector.close();
    const { events, failed } = await readStore(path);
    expect(events.map((e) => e.id)).toEqual([small.id]);
    expect(failed.map((f) => f.id).sort()).toEqual([big.id, bigger.id].sort());
  });

  it('rejects an event nested deeper than the limit without crashing on it', async () => {
    const { collector } = setup();
    const event = makeEnvelope({ properties: {} });
    // 20 000 levels: JSON.parse copes, a recursive JSON.stringify would overflow the stack.
    const json = JSON.stringify(event).replace('"properties":{}', `"properties":{"deep":${'['.repeat(20_000)}1${']'.repeat(20_000)}}`);
    const response = await collector.fetch(batchRequest(`{"sentAt":"${new Date().toISOString()}","events":[${json}]}`));
    const { results } = await response.json();
    expect(results[0]).toMatchObject({ id: event.id, status: 'rejected' });
    expect(results[0].reason).toMatch(/deeper than 32 levels/);
  });

  it('rejects events whose consent snapshot denies analytics and stores them nowhere', async () => {
    const { collector, path } = setup();
    const denied = makeEnvelope();
    denied.context.consent = { analytics: false, storage: false, marketing: false, gpc: false };
    const { results } = await (await collector.fetch(batchRequest(batch([denied])))).json();
    expect(results[0]).toMatchObject({ id: denied.id, status: 'rejected' });
    expect(results[0].reason).toMatch(/should not have been sent/);
    await collector.close();
    expect(await readStore(path)).toEqual({ events: [], failed: [] });
  });

  it('refuses events of suppressed subjects', async () => {
    const isSuppressed = vi.fn(({ anonymousId }: { anonymousId: string }) => anonymousId === 'anon-erased');
    const { collector, path } = setup({ isSuppressed });
    const erased = makeEnvelope({ anonymousId: 'anon-erased' });
    const kept = makeEnvelope();
    const { results } = await (await collector.fetch(batchRequest(batch([erased, kept])))).json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['rejected', 'accepted']);
    expect(isSuppressed).toHaveBeenCalledWith({ siteId: 'blog', anonymousId: 'anon-erased', userId: undefined });
    await collector.close();
    const stored = await readStore(path);
    expect(stored.events.map((e) => e.id)).toEqual([kept.id]);
    expect(stored.failed).toEqual([]);
  });

  it('answers 429 with Retry-After once the bucket of a site and IP is empty', async () => {
    const { collector } = setup({ rateLimit: { perSecond: 1, burst: 2 } });
    const send = (ip: string) => collector.fetch(batchRequest(batch([makeEnvelope()])), { clientIp: ip });
    expect((await send('203.0.113.1')).status).toBe(200);
    expect((await send('203.0.113.1')).status).toBe(200);
    const limited = await send('203.0.113.1');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect((await send('203.0.113.2')).status).toBe(200);
  });

  it('answers 503 with Retry-After when the store cannot be opened', async () => {
    const logger = { error: vi.fn(), warn: vi.fn() };
    const collector = createCollector({
      sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
      userIdKey: USER_ID_KEY,
      store: { path: '/nonexistent-dir/for/sure/store.duckdb' },
      logger,
    });
    cleanups.push(() => collector.close());
    await expect(collector.ready()).rejects.toThrow();
    const response = await collector.fetch(batchRequest(batch([makeEnvelope()])));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(logger.error).toHaveBeenCalled();
    expect((await collector.fetch(new Request('http://collector.test/health'))).status).toBe(503);
  });

  it('turns an unexpected error into a plain 500 that is logged and shows no stack', async () => {
    const logger = { error: vi.fn(), warn: vi.fn() };
    const { collector } = setup({
      logger,
      isSuppressed: () => {
        throw new Error('suppression list offline at /srv/secret/path');
      },
    });
    const response = await collector.fetch(batchRequest(batch([makeEnvelope()])));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toBe('Internal Server Error');
    expect(logger.error).toHaveBeenCalledWith('[waymark] collector: unexpected error', expect.any(Error));
  });
});

describe('OPTIONS /v1/batch', () => {
  it('answers the preflight of an allowed origin by echoing it, never with *', async () => {
    const { collector } = setup();
    const response = await collector.fetch(
      new Request(`http://collector.test/v1/batch?key=${WRITE_KEY}`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('refuses the preflight of another origin or an unknown key', async () => {
    const { collector } = setup();
    const other = await collector.fetch(
      new Request(`http://collector.test/v1/batch?key=${WRITE_KEY}`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } }),
    );
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const unknown = await collector.fetch(
      new Request('http://collector.test/v1/batch?key=wk_nope', { method: 'OPTIONS', headers: { origin: ORIGIN } }),
    );
    expect(unknown.status).toBe(401);
  });
});

describe('GET /health, GET /metrics and unknown routes', () => {
  it('reports health once the store is open', async () => {
    const { collector } = setup();
    const response = await collector.fetch(new Request('http://collector.test/health'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', queueDepth: 0 });
  });

  it('exposes counters in Prometheus text', async () => {
    const { collector } = setup();
    const event = makeEnvelope();
    await collector.fetch(batchRequest(batch([event, { id: 'not-an-event' }])));
    await collector.fetch(batchRequest(batch([event])));
    await collector.fetch(batchRequest('nope'));
    const response = await collector.fetch(new Request('http://collector.test/metrics'));
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await response.text();
    expect(text).toContain('waymark_events_accepted_total 1\n');
    expect(text).toContain('waymark_duplicates_dropped_total 1\n');
    expect(text).toContain('waymark_events_rejected_total{reason="invalid"} 1\n');
    expect(text).toContain('waymark_http_requests_total{status="200"} 2\n');
    expect(text).toContain('waymark_http_requests_total{status="400"} 1\n');
    expect(text).toMatch(/waymark_sink_write_seconds_count\{sink="duckdb"\} [12]\n/);
    expect(text).toContain('waymark_sink_failures_total{sink="duckdb"} 0\n');
    expect(text).toContain('waymark_queue_depth 0\n');
    // The memory gauges: the stored event sits in DuckDB's buffer manager, and the process figures are this process's.
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
    const store = [...text.matchAll(/^waymark_store_memory_bytes\{tag="([a-z_]+)"\} (\d+)$/gm)].map(([, tag, bytes]) => [tag, Number(bytes)] as const);
    expect(store.map(([tag]) => tag)).toContain('base_table');
    expect(store.reduce((sum, [, bytes]) => sum + bytes, 0)).toBeGreaterThan(0);
    expect(gauge('process_resident_memory_bytes')).toBeGreaterThan(gauge('nodejs_heap_size_used_bytes'));
    expect(gauge('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(gauge('nodejs_external_memory_bytes')).toBeGreaterThan(0);
  });

  it('answers /metrics without the store gauge when the store cannot be read', async () => {
    const { collector } = setup();
    await collector.fetch(batchRequest(batch([makeEnvelope()])));
    await collector.close();
    const text = await (await collector.fetch(new Request('http://collector.test/metrics'))).text();
    expect(text).toContain('waymark_events_accepted_total 1\n');
    expect(text).not.toContain('waymark_store_memory_bytes');
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
  });

  it('answers 404 as a problem for an unknown route', async () => {
    const { collector } = setup();
    const response = await collector.fetch(new Request('http://collector.test/v1/nope'));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });
});

describe('createCollector options', () => {
  it('refuses a userIdKey that is not 32 bytes', () => {
    const temp = tempDir();
    cleanups.push(async () => temp.remove());
    expect(() =>
      createCollector({ sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }], userIdKey: 'short', store: { path: `${temp.dir}/x.duckdb` } }),
    ).toThrow(/userIdKey. must be 32 bytes/);
  });

  it('refuses timer intervals longer than a timer can wait, naming the option and the maximum', () => {
    const temp = tempDir();
    cleanups.push(async () => temp.remove());
    const options = { sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }], userIdKey: USER_ID_KEY, store: { path: `${temp.dir}/x.duckdb` } };
    const run = async () => undefined;
    expect(() => createCollector({ ...options, retention: { intervalMs: 2 ** 31 } })).toThrow(/`retention\.intervalMs` must be .*up to 2147483647 \(about 24\.8 days\)/);
    expect(() => createCollector({ ...options, retention: { intervalMs: Number.NaN } })).toThrow(/`retention\.intervalMs`/);
    expect(() => createCollector({ ...options, maintenance: { everyMs: 30 * 86_400_000, run } })).toThrow(/`maintenance\.everyMs` must be at most 2147483647 ms \(about 24\.8 days\)/);
    expect(() => createCollector({ ...options, commitWindowMs: 30 * 86_400_000 })).toThrow(/`commitWindowMs` must be a number of ms from 0 to 60000/);
    expect(() => createCollector({ ...options, commitWindowMs: -1 })).toThrow(/`commitWindowMs`/);
  });

  it('accepts the longest intervals a timer can wait and does not run them early', async () => {
    let runs = 0;
    const { collector } = setup({ retention: { intervalMs: 2 ** 31 - 1 }, maintenance: { everyMs: 2 ** 31 - 1, run: async () => void (runs += 1) } });
    await collector.ready();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runs).toBe(1);
  });
});

/** The rows of `waymark_ingest_stats`, read after the collector has closed the file. */
async function readIngestStats(path: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const db = await instance.connect();
  try {
    const reader = await db.runAndReadAll('SELECT CAST(day AS VARCHAR) AS day, site_id, accepted, duplicates, rejected FROM waymark_ingest_stats ORDER BY day, site_id');
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

describe('waymark_ingest_stats', () => {
  it('adds accepted, duplicate and rejected events per UTC day and site as batches commit', async () => {
    let clock = Date.parse('2026-05-01T23:59:59Z');
    const { collector, path } = setup({ now: () => clock });
    const send = (events: unknown[]) => collector.fetch(batchRequest(batch(events, new Date(clock).toISOString())));
    const at = () => makeEnvelope({ timestamp: new Date(clock).toISOString() });
    const first = at();
    const noConsent = at();
    noConsent.context = { ...noConsent.context, consent: { ...noConsent.context.consent, analytics: false } };
    const statuses = (response: Response) => response.json().then((body: { results: { status: string }[] }) => body.results.map((r) => r.status));
    expect(await statuses(await send([first, first, { id: 'not-an-event' }, noConsent]))).toEqual(['accepted', 'duplicate', 'rejected', 'rejected']);
    expect(await statuses(await send([at(), first]))).toEqual(['accepted', 'duplicate']);
    clock = Date.parse('2026-05-02T00:00:01Z');
    expect(await statuses(await send([at()]))).toEqual(['accepted']);
    // The in-memory counters of /metrics stay as they were.
    const metrics = await (await collector.fetch(new Request('http://collector.test/metrics'))).text();
    expect(metrics).toContain('waymark_events_accepted_total 3\n');
    expect(metrics).toContain('waymark_duplicates_dropped_total 2\n');
    await collector.close();
    expect(await readIngestStats(path)).toEqual([
      { day: '2026-05-01', site_id: 'blog', accepted: '2', duplicates: '2', rejected: '2' },
      { day: '2026-05-02', site_id: 'blog', accepted: '1', duplicates: '0', rejected: '0' },
    ]);
  });
});

describe('waymark_ingest_stats while running', () => {
  it('adds the counts within about a second of the commit', async () => {
    let accepted = -1;
    const { collector } = setup({
      maintenance: {
        everyMs: 20,
        async run(connection) {
          accepted = Number((await connection.runAndReadAll('SELECT coalesce(sum(accepted), 0) FROM waymark_ingest_stats')).getRows()[0][0]);
        },
      },
    });
    await collector.fetch(batchRequest(batch([makeEnvelope(), makeEnvelope()])));
    await vi.waitFor(() => expect(accepted).toBe(2), { timeout: 3000, interval: 20 });
  });
});

describe('maintenance', () => {
  it('runs the task on the store periodically, one run at a time', async () => {
    let running = 0;
    let overlapped = false;
    const seen: number[] = [];
    const { collector, path } = setup({
      maintenance: {
        everyMs: 5,
        async run(connection) {
          running += 1;
          if (running > 1) overlapped = true;
          await connection.run('CREATE OR REPLACE TABLE maintenance_probe AS SELECT count(*) AS events FROM waymark_events');
          seen.push(Number((await connection.runAndReadAll('SELECT events FROM maintenance_probe')).getRows()[0][0]));
          await new Promise((resolve) => setTimeout(resolve, 10));
          running -= 1;
        },
      },
    });
    await collector.fetch(batchRequest(batch([makeEnvelope(), makeEnvelope()])));
    await vi.waitFor(() => expect(seen.filter((n) => n === 2).length).toBeGreaterThanOrEqual(3));
    const metrics = await (await collector.fetch(new Request('http://collector.test/metrics'))).text();
    expect(Number(/^waymark_maintenance_runs_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
    expect(metrics).toContain('waymark_maintenance_failures_total 0\n');
    expect(Number(/^waymark_maintenance_last_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(Date.now() / 1000 - 60);
    await collector.close();
    expect(overlapped).toBe(false);
    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const db = await instance.connect();
    expect((await db.runAndReadAll('SELECT events FROM maintenance_probe')).getRows()[0][0]).toBe(2n);
    db.closeSync();
    instance.closeSync();
  });

  it('logs and counts a failing run, keeps ingesting and runs again', async () => {
    const logger = { error: vi.fn(), warn: vi.fn() };
    let runs = 0;
    const { collector, path } = setup({
      logger,
      maintenance: {
        everyMs: 5,
        async run() {
          runs += 1;
          throw new Error('rollup table is broken');
        },
      },
    });
    await vi.waitFor(() => expect(runs).toBeGreaterThanOrEqual(2));
    const event = makeEnvelope();
    const response = await collector.fetch(batchRequest(batch([event])));
    expect((await response.json()).results[0].status).toBe('accepted');
    expect(logger.error).toHaveBeenCalledWith('[waymark] collector: the maintenance task failed; it runs again at its next interval', expect.objectContaining({ message: 'rollup table is broken' }));
    const metrics = await (await collector.fetch(new Request('http://collector.test/metrics'))).text();
    expect(Number(/^waymark_maintenance_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(metrics).toContain('waymark_maintenance_last_success_timestamp_seconds 0\n');
    await collector.close();
    expect((await readStore(path)).events.map((e) => e.id)).toEqual([event.id]);
  });

  it('waits for a running task before closing the store', async () => {
    let finished = false;
    const { collector } = setup({
      maintenance: {
        everyMs: 60_000,
        async run(connection) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          await connection.run('SELECT 1');
          finished = true;
        },
      },
    });
    await collector.ready();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await collector.close();
    expect(finished).toBe(true);
  });

  it('refuses a maintenance option without run or a positive everyMs', () => {
    const temp = tempDir();
    cleanups.push(async () => temp.remove());
    const options = { sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }], userIdKey: USER_ID_KEY, store: { path: `${temp.dir}/x.duckdb` } };
    expect(() => createCollector({ ...options, maintenance: { everyMs: 0, run: async () => undefined } })).toThrow(/`maintenance` needs `run\(connection\)` and `everyMs` above 0/);
  });
});
