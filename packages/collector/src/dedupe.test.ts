import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Sink } from '@waymark/sinks';
import { eventColumns } from '@waymark/sinks';
import { duckdbSink } from '@waymark/sinks/duckdb';
import { createCollector } from './createCollector';
import { ORIGIN, USER_ID_KEY, WRITE_KEY, batch, batchRequest, makeEnvelope, readStore, testCollector } from './testSupport';

const cleanups: (() => Promise<void>)[] = [];
// Last in, first out: a reopened collector closes before its store's directory is removed.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const metricValue = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

describe('dedupe by event id', () => {
  it('stores a batch replayed 20 times concurrently once and answers duplicate to the rest', async () => {
    const t = testCollector();
    cleanups.push(t.cleanup);
    const events = [makeEnvelope(), makeEnvelope(), makeEnvelope()];
    const body = JSON.stringify(batch(events));
    const responses = await Promise.all(Array.from({ length: 20 }, () => t.collector.fetch(batchRequest(body))));
    const results = await Promise.all(responses.map(async (r) => (await r.json()).results as { id: string; status: string }[]));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    for (const event of events) {
      const statuses = results.map((r) => r.find((x) => x.id === event.id)!.status);
      expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
      expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(19);
    }
    const metrics = await (await t.collector.fetch(new Request('http://collector.test/metrics'))).text();
    expect(metricValue(metrics, 'waymark_duplicates_dropped_total')).toBe(57);
    expect(metricValue(metrics, 'waymark_events_accepted_total')).toBe(3);
    await t.collector.close();
    expect((await readStore(t.path)).events.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('answers duplicate for the same id twice in one batch', async () => {
    const t = testCollector();
    cleanups.push(t.cleanup);
    const event = makeEnvelope();
    const { results } = await (await t.collector.fetch(batchRequest(batch([event, event])))).json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'duplicate']);
  });

  it('remembers stored ids across a restart by warming up from the store', async () => {
    const t = testCollector();
    cleanups.push(t.cleanup);
    const event = makeEnvelope();
    await t.collector.fetch(batchRequest(batch([event])));
    await t.collector.close();
    const reopened = createCollector({ sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }], userIdKey: USER_ID_KEY, store: { path: t.path } });
    cleanups.push(() => reopened.close());
    const { results } = await (await reopened.fetch(batchRequest(batch([event])))).json();
    expect(results[0]).toEqual({ id: event.id, status: 'duplicate' });
  });

  it('stores an id again, with the rest of its batch, once its first copy is older than the dedupe window', async () => {
    const t = testCollector({ dedupe: { windowMs: 60_000 } });
    cleanups.push(t.cleanup);
    const old = makeEnvelope();
    await t.collector.fetch(batchRequest(batch([old])));
    await t.collector.close();
    // Two minutes later the window no longer holds the id; the same id comes again with a fresh timestamp.
    let clock = Date.now() + 120_000;
    const later = createCollector({
      sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
      userIdKey: USER_ID_KEY,
      store: { path: t.path },
      dedupe: { windowMs: 60_000 },
      now: () => clock++,
    });
    const stamp = new Date(clock).toISOString();
    const fresh = makeEnvelope({ timestamp: stamp });
    const response = await later.fetch(batchRequest(batch([{ ...old, timestamp: stamp }, fresh], stamp)));
    expect((await response.json()).results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted']);
    await later.close();
    const ids = (await readStore(t.path)).events.map((e) => e.id);
    expect(ids.filter((id) => id === old.id)).toHaveLength(2);
    expect(ids).toContain(fresh.id);
  });

  it('answers duplicate after a restart for an id stored within the window, with few exact ids held', async () => {
    const t = testCollector({ dedupe: { windowMs: 60_000, maxIds: 1 } });
    cleanups.push(t.cleanup);
    const events = Array.from({ length: 5 }, () => makeEnvelope());
    await t.collector.fetch(batchRequest(batch(events)));
    await t.collector.close();
    // 30 s later: inside the window, so the fingerprints loaded from the store hold every id.
    let clock = Date.now() + 30_000;
    const later = createCollector({
      sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
      userIdKey: USER_ID_KEY,
      store: { path: t.path },
      rateLimit: false,
      dedupe: { windowMs: 60_000, maxIds: 1 },
      now: () => clock++,
    });
    cleanups.push(() => later.close());
    const stamp = new Date(clock).toISOString();
    const fresh = makeEnvelope({ timestamp: stamp });
    const replay = events.map((e) => ({ ...e, timestamp: stamp }));
    const { results } = await (await later.fetch(batchRequest(batch([...replay, fresh], stamp)))).json();
    expect(results.map((r: { status: string }) => r.status)).toEqual([...Array(5).fill('duplicate'), 'accepted']);
    const again = await (await later.fetch(batchRequest(batch([...replay, fresh], stamp)))).json();
    expect(again.results.every((r: { status: string }) => r.status === 'duplicate')).toBe(true);
    await later.close();
    expect((await readStore(t.path)).events).toHaveLength(6);
  });

  it('drops the primary key of a store made by an older version, keeping its events and their dedupe', async () => {
    const t = testCollector();
    cleanups.push(t.cleanup);
    await t.collector.close();
    const events = [makeEnvelope(), makeEnvelope()];
    // The table as older versions made it: `id VARCHAR PRIMARY KEY`, filled by the standalone sink.
    const instance = await DuckDBInstance.create(t.path);
    const connection = await instance.connect();
    await connection.run('DROP TABLE waymark_events');
    const sink = duckdbSink({ connection });
    await sink.write(events.map((e) => ({ ...e, receivedAt: new Date().toISOString() })));
    await sink.close!();
    connection.closeSync();
    instance.closeSync();
    const reopened = createCollector({ sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }], userIdKey: USER_ID_KEY, store: { path: t.path } });
    cleanups.push(() => reopened.close());
    const fresh = makeEnvelope();
    const { results } = await (await reopened.fetch(batchRequest(batch([...events, fresh])))).json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'duplicate', 'accepted']);
    await reopened.close();
    const check = await DuckDBInstance.create(t.path);
    const db = await check.connect();
    const keys = await db.runAndReadAll("SELECT count(*)::INT FROM duckdb_constraints() WHERE table_name = 'waymark_events' AND constraint_type = 'PRIMARY KEY'");
    const columns = await db.runAndReadAll("SELECT column_name FROM information_schema.columns WHERE table_name = 'waymark_events' ORDER BY ordinal_position");
    db.closeSync();
    check.closeSync();
    expect(keys.getRows()).toEqual([[0]]);
    expect(columns.getRows().map(([name]) => name)).toEqual([...eventColumns]);
    expect((await readStore(t.path)).events.map((e) => e.id).sort()).toEqual([...events, fresh].map((e) => e.id).sort());
  });

  it('refuses a store memory limit that is not a size, naming the option', () => {
    expect(() => createCollector({ sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }], userIdKey: USER_ID_KEY, store: { path: ':memory:', memoryLimit: 'lots' } })).toThrow(
      '[waymark] createCollector: `store.memoryLimit` must be a size',
    );
  });

  it('asks the store about ids the full in-memory index had to forget', async () => {
    const t = testCollector({ dedupe: { maxIds: 2 } });
    cleanups.push(t.cleanup);
    const events = [makeEnvelope(), makeEnvelope(), makeEnvelope(), makeEnvelope()];
    await t.collector.fetch(batchRequest(batch(events)));
    const { results } = await (await t.collector.fetch(batchRequest(batch([events[0], makeEnvelope()])))).json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'accepted']);
  });
  it('asks the store after a restart whose warm-up did not fit in the index', async () => {
    const t = testCollector();
    cleanups.push(t.cleanup);
    const events = [makeEnvelope(), makeEnvelope(), makeEnvelope(), makeEnvelope()];
    await t.collector.fetch(batchRequest(batch(events)));
    await t.collector.close();
    const reopened = createCollector({
      sites: [{ id: 'blog', writeKey: WRITE_KEY, origins: [ORIGIN] }],
      userIdKey: USER_ID_KEY,
      store: { path: t.path },
      dedupe: { maxIds: 2 },
    });
    cleanups.push(() => reopened.close());
    const { results } = await (await reopened.fetch(batchRequest(batch(events)))).json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(Array(4).fill('duplicate'));
  });
});

describe('group commit and durability', () => {
  it('commits the events of concurrent requests in one store write', async () => {
    const t = testCollector({ commitWindowMs: 20 });
    cleanups.push(t.cleanup);
    await t.collector.ready();
    const responses = await Promise.all(Array.from({ length: 10 }, () => t.collector.fetch(batchRequest(batch([makeEnvelope()])))));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const metrics = await (await t.collector.fetch(new Request('http://collector.test/metrics'))).text();
    expect(metricValue(metrics, 'waymark_sink_write_seconds_count{sink="duckdb"}')).toBe(1);
  });

  it('answers 2xx only after forwarding sinks are handed the committed events, and a failing one changes nothing', async () => {
    const seen: string[] = [];
    const recorder: Sink = {
      name: 'recorder',
      async write(events) {
        seen.push(...events.map((e) => e.id));
        return { written: events.length, skipped: 0, failed: [] };
      },
    };
    const broken: Sink = {
      name: 'broken',
      async write() {
        throw new Error('down');
      },
    };
    const logger = { error: () => undefined, warn: () => undefined };
    const t = testCollector({ sinks: [recorder, broken], logger });
    cleanups.push(t.cleanup);
    const event = makeEnvelope();
    const response = await t.collector.fetch(batchRequest(batch([event])));
    expect((await response.json()).results[0].status).toBe('accepted');
    await t.collector.close();
    expect(seen).toEqual([event.id]);
    const metrics = await (await t.collector.fetch(new Request('http://collector.test/metrics'))).text();
    expect(metricValue(metrics, 'waymark_sink_failures_total{sink="broken"}')).toBe(1);
    expect(metricValue(metrics, 'waymark_sink_failures_total{sink="recorder"}')).toBe(0);
  });

  it('answers 503 after close() and still commits what was in flight', async () => {
    // A long window: the commit happens only because close() drains it.
    const t = testCollector({ commitWindowMs: 60_000 });
    cleanups.push(t.cleanup);
    await t.collector.ready();
    const event = makeEnvelope();
    const inFlight = t.collector.fetch(batchRequest(batch([event])));
    const queueDepth = async () => (await (await t.collector.fetch(new Request('http://collector.test/health'))).json()).queueDepth;
    while ((await queueDepth()) === 0) await new Promise((resolve) => setImmediate(resolve));
    const closing = t.collector.close();
    const late = await t.collector.fetch(batchRequest(batch([makeEnvelope()])));
    expect(late.status).toBe(503);
    expect((await (await inFlight).json()).results[0].status).toBe('accepted');
    await closing;
    expect((await readStore(t.path)).events.map((e) => e.id)).toEqual([event.id]);
  });
});
