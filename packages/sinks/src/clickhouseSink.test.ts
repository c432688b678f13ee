import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseSink } from './clickhouseSink';
import { retryingSink } from './retryingSink';
import { hostPort, makeEvent, makeEvents, portOpen, startCutProxy, uniqueName, until } from './testSupport';

const url = process.env.WAYMARK_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const target = hostPort(url, 8123);
const up = await portOpen(target.port, target.host);
if (!up) console.warn(`[waymark] clickhouseSink tests skipped: no ClickHouse at ${url} (set WAYMARK_CLICKHOUSE_URL or start it as in .ci/run)`);

async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const response = await fetch(url, { method: 'POST', body: `${sql} FORMAT JSONEachRow` });
  const text = await response.text();
  if (!response.ok) throw new Error(text);
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

describe.skipIf(!up)('clickhouseSink (real ClickHouse)', () => {
  const tables: string[] = [];
  const newTable = () => {
    const table = uniqueName('waymark_test');
    tables.push(table);
    return table;
  };
  const counts = async (table: string) =>
    (await query<{ n: string; ids: string }>(`SELECT count() AS n, uniqExact(id) AS ids FROM default.${table} FINAL`))[0];

  afterAll(async () => {
    for (const table of tables) await fetch(url, { method: 'POST', body: `DROP TABLE IF EXISTS default.${table}` });
  });

  it('stores each event as a row with columns and JSON text', async () => {
    const table = newTable();
    const sink = clickhouseSink({ url, table });
    const event = makeEvent(3, { receivedAt: '2025-05-01T12:00:05.123Z', country: 'PT' });
    event.properties = { note: "quote ' and \\ backslash\nnewline", 'ünï': 'cödé' };
    expect(await sink.write([event])).toEqual({ written: 1, skipped: 0, failed: [] });
    const [row] = await query(`SELECT *, toUnixTimestamp(timestamp) AS ts, toUnixTimestamp(received_at) AS rat FROM default.${table}`);
    expect(row).toMatchObject({
      id: event.id,
      name: 'post_viewed',
      type: 'track',
      anonymous_id: event.anonymousId,
      user_id: event.userId,
      page_path: '/posts/3',
      page_route: '/posts/[slug]',
      country: 'PT',
      sample_rate: 1,
      traits: null,
      ts: Math.floor(Date.parse(event.timestamp) / 1000),
      timestamp_ms: String(Date.parse(event.timestamp)),
      rat: Math.floor(Date.parse('2025-05-01T12:00:05.123Z') / 1000),
    });
    expect(JSON.parse(row.properties as string)).toEqual(event.properties);
    expect(JSON.parse(row.context as string)).toEqual(event.context);
  });

  it('collapses a retried batch and in-batch repeats to one row per id', async () => {
    const table = newTable();
    const sink = clickhouseSink({ url, table });
    const events = makeEvents(300);
    await sink.write(events);
    await sink.write([...events.slice(0, 100), ...events.slice(0, 100)]);
    expect(await counts(table)).toEqual({ n: '300', ids: '300' });
    await fetch(url, { method: 'POST', body: `OPTIMIZE TABLE default.${table} FINAL` });
    expect((await query<{ n: string }>(`SELECT count() AS n FROM default.${table}`))[0].n).toBe('300');
  });

  it('reports a missing table as failed events, not a retry', async () => {
    const sink = clickhouseSink({ url, table: uniqueName('missing'), createTable: false });
    const result = await sink.write(makeEvents(2));
    expect(result.written).toBe(0);
    expect(result.failed).toHaveLength(2);
    expect(result.failed[0].reason).toMatch(/^\[waymark\] clickhouseSink: INSERT failed with HTTP 404: Code: 60/);
  });

  it('erases a subject and waits for the mutation to finish', async () => {
    const table = newTable();
    // No derived tables: other suites' report rollups in this database are not this test's.
    const sink = clickhouseSink({ url, table, derivedTables: [] });
    const events = makeEvents(60);
    await sink.write(events);
    const expected = events.filter((e) => e.userId === 'user-3').length;
    expect(await sink.erase!({ userId: 'user-3' })).toEqual({ deleted: expected });
    await sink.erase!({ anonymousId: "anon-5' OR 1=1 --" });
    const left = await query<{ user_id: string | null }>(`SELECT user_id FROM default.${table}`);
    expect(left).toHaveLength(60 - expected);
    expect(left.some((r) => r.user_id === 'user-3')).toBe(false);
  });

  it('erases the subject from the derived tables too, before the events that name its visitors and sessions', async () => {
    const table = newTable();
    const [facts, sessions, posts] = [newTable(), newTable(), newTable()];
    const run = async (sql: string) => {
      const response = await fetch(url, { method: 'POST', body: sql });
      if (!response.ok) throw new Error(await response.text());
    };
    const sink = clickhouseSink({ url, table, derivedTables: [facts, sessions, posts, uniqueName('waymark_missing')] });
    await sink.write(makeEvents(60));
    // Shaped like the report rollups: facts with every id, sessions without a user id, posts with none.
    await run(`CREATE TABLE default.${facts} (id String, anonymous_id String, session_id String, user_id String) ENGINE = MergeTree() ORDER BY id`);
    await run(`INSERT INTO default.${facts} SELECT id, anonymous_id, session_id, ifNull(user_id, '') FROM default.${table}`);
    await run(`CREATE TABLE default.${sessions} (session_id String, anonymous_id String) ENGINE = MergeTree() ORDER BY session_id`);
    await run(`INSERT INTO default.${sessions} SELECT session_id, min(anonymous_id) FROM default.${table} GROUP BY session_id`);
    await run(`CREATE TABLE default.${posts} (post_id String) ENGINE = MergeTree() ORDER BY post_id`);
    await run(`INSERT INTO default.${posts} SELECT DISTINCT visitParamExtractString(properties, 'postId') FROM default.${table}`);
    const column = async (sql: string) => (await query<{ v: string }>(sql)).map((r) => r.v).sort();

    // user-3's events are events 3 and 33: visitor anon-3, sessions sess-3 and sess-13.
    expect(await sink.erase!({ userId: 'user-3' })).toEqual({ deleted: 2 });
    expect(await column(`SELECT DISTINCT anonymous_id AS v FROM default.${facts}`)).not.toContain('anon-3');
    expect(await column(`SELECT count() AS v FROM default.${facts}`)).toEqual(['54']);
    expect(await column(`SELECT session_id AS v FROM default.${sessions} WHERE session_id IN ('sess-3', 'sess-13')`)).toEqual([]);
    expect(await column(`SELECT count() AS v FROM default.${sessions}`)).toEqual(['18']);

    // anon-5 has no events with a user id; its sessions are sess-5 and sess-15.
    await sink.erase!({ anonymousId: 'anon-5' });
    expect(await column(`SELECT count() AS v FROM default.${facts}`)).toEqual(['48']);
    expect(await column(`SELECT count() AS v FROM default.${sessions}`)).toEqual(['16']);
    expect(await column(`SELECT count() AS v FROM default.${posts}`)).toEqual(['50']);
    // The events: 2 of user-3 and 6 of anon-5 gone; pre-identify events of anon-3 stay, their derived rows do not.
    expect(await column(`SELECT count() AS v FROM default.${table}`)).toEqual(['52']);
  });

  it('refuses a derived table name that is not a plain identifier', () => {
    expect(() => clickhouseSink({ url, derivedTables: ['waymark_facts; DROP TABLE x'] })).toThrow(/`derivedTables` must list plain table identifiers/);
  });

  describe('when the server goes away mid-run', () => {
    let proxy: Awaited<ReturnType<typeof startCutProxy>>;
    beforeAll(async () => {
      proxy = await startCutProxy(target);
    });
    afterAll(() => proxy.close());

    it('retries and loses nothing once the server is back', async () => {
      const table = newTable();
      const inner = clickhouseSink({ url: `http://127.0.0.1:${proxy.port}`, table });
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
      expect(await counts(table)).toEqual({ n: '15000', ids: '15000' });
      const stored = new Set((await query<{ id: string }>(`SELECT id FROM default.${table}`)).map((r) => r.id));
      expect(batches.flat().every((e) => stored.has(e.id))).toBe(true);
    }, 60_000); // thousands of writes through a cut connection, beside every other suite in CI
  });
});
