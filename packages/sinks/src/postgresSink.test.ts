import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresSink } from './postgresSink';
import { retryingSink } from './retryingSink';
import { hostPort, makeEvent, makeEvents, portOpen, startCutProxy, uniqueName, until } from './testSupport';

const url = process.env.WAYMARK_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const target = hostPort(url, 5432);
const up = await portOpen(target.port, target.host);
if (!up) console.warn(`[waymark] postgresSink tests skipped: no PostgreSQL at ${target.host}:${target.port} (set WAYMARK_PG_URL or start it as in .ci/run)`);

describe.skipIf(!up)('postgresSink (real PostgreSQL)', () => {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const tables: string[] = [];
  const newTable = () => {
    const table = uniqueName('waymark_test');
    tables.push(table);
    return table;
  };
  const rows = async (table: string) => (await pool.query(`SELECT * FROM ${table} ORDER BY timestamp`)).rows;

  afterAll(async () => {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it('stores each event as a row with columns and jsonb', async () => {
    const table = newTable();
    const sink = postgresSink({ connectionString: url, table });
    const event = makeEvent(3, { receivedAt: '2025-05-01T12:00:05.123Z', country: 'PT' });
    event.properties = { note: 'tab\there\nnewline \\ "quoted"', 'ünï': 'cödé' };
    expect(await sink.write([event])).toEqual({ written: 1, skipped: 0, failed: [] });
    const [row] = await rows(table);
    expect(row).toMatchObject({
      id: event.id,
      name: 'post_viewed',
      type: 'track',
      schema: 'travel@1',
      anonymous_id: event.anonymousId,
      user_id: event.userId,
      session_id: event.sessionId,
      page_path: '/posts/3',
      page_route: '/posts/[slug]',
      country: 'PT',
      utm_source: 'newsletter',
      sample_rate: 1,
      properties: event.properties,
      traits: null,
      context: event.context,
    });
    expect(row.timestamp.toISOString()).toBe(event.timestamp);
    expect(row.received_at.toISOString()).toBe('2025-05-01T12:00:05.123Z');
    await sink.close!();
  });

  it('stores a retried batch and in-batch repeats once', async () => {
    const table = newTable();
    const sink = postgresSink({ connectionString: url, table });
    const events = makeEvents(300);
    await sink.write(events);
    const again = await sink.write([...events.slice(0, 100), ...events.slice(0, 100)]);
    expect(again.failed).toEqual([]);
    const { rows: counts } = await pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${table}`);
    expect(counts[0]).toEqual({ n: 300, ids: 300 });
    await sink.close!();
  });

  it('fails only the event the server refuses', async () => {
    const table = newTable();
    const sink = postgresSink({ connectionString: url, table });
    const events = makeEvents(20);
    events[7].properties = { bad: 'nul \u0000 char' };
    const result = await sink.write(events);
    expect(result.written).toBe(19);
    expect(result.failed.map((f) => f.event.id)).toEqual([events[7].id]);
    expect(result.failed[0].reason).toMatch(/^\[waymark\] postgresSink: unsupported Unicode escape sequence/);
    expect((await rows(table)).map((r) => r.id).sort()).toEqual(events.filter((_, i) => i !== 7).map((e) => e.id).sort());
    await sink.close!();
  });

  it('erases a subject by user id or anonymous id', async () => {
    const table = newTable();
    const sink = postgresSink({ connectionString: url, table });
    const events = makeEvents(60);
    await sink.write(events);
    const expected = events.filter((e) => e.userId === 'user-3' || e.anonymousId === 'anon-5').length;
    expect(await sink.erase!({ userId: 'user-3' })).toEqual({ deleted: events.filter((e) => e.userId === 'user-3').length });
    await sink.erase!({ anonymousId: 'anon-5' });
    const left = await rows(table);
    expect(left).toHaveLength(60 - expected);
    expect(left.some((r) => r.user_id === 'user-3' || r.anonymous_id === 'anon-5')).toBe(false);
    await sink.close!();
  });

  describe('when the server goes away mid-run', () => {
    let proxy: Awaited<ReturnType<typeof startCutProxy>>;
    beforeAll(async () => {
      proxy = await startCutProxy(target);
    });
    afterAll(() => proxy.close());

    it('retries and loses nothing once the server is back', async () => {
      const table = newTable();
      const viaProxy = new URL(url);
      viaProxy.port = String(proxy.port);
      const inner = postgresSink({ connectionString: viaProxy.toString(), table });
      let retries = 0;
      const sink = retryingSink(inner, { baseDelayMs: 50, maxDelayMs: 200, attempts: 100, onRetry: () => retries++ });
      const batches = Array.from({ length: 30 }, (_, i) => makeEvents(500, i * 500));
      let written = 0;
      const writer = (async () => {
        for (const batch of batches) written += (await sink.write(batch)).written;
      })();
      await until(() => written >= 500); // cut once the first batch is stored, while the next is in flight
      await proxy.cut();
      const writtenAtCut = written;
      await new Promise((r) => setTimeout(r, 800));
      await proxy.restore();
      await writer;
      expect(writtenAtCut).toBeLessThan(15_000);
      expect(retries).toBeGreaterThan(0);
      const { rows: counts } = await pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${table}`);
      expect(counts[0]).toEqual({ n: 15_000, ids: 15_000 });
      const stored = new Set((await pool.query(`SELECT id FROM ${table}`)).rows.map((r) => r.id));
      expect(batches.flat().every((e) => stored.has(e.id))).toBe(true);
      await inner.close!();
    }, 60_000); // thousands of writes through a cut connection, beside every other suite in CI
  });
});
