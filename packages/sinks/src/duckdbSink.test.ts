import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { duckdbSink } from './duckdbSink';
import { makeEvent, makeEvents } from './testSupport';

const dir = mkdtempSync(join(tmpdir(), 'waymark-duckdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string, sql: string) {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('duckdbSink (real DuckDB)', () => {
  it('stores each event as a row with columns and JSON', async () => {
    const path = join(dir, 'rows.duckdb');
    const sink = duckdbSink({ path });
    const event = makeEvent(3, { receivedAt: '2025-05-01T12:00:05.123Z', country: 'PT' });
    event.properties = { note: "quote ' tab\t", nested: { a: [1, 2] } };
    expect(await sink.write([event])).toEqual({ written: 1, skipped: 0, failed: [] });
    await sink.close!();
    const [row] = await readAll(
      path,
      `SELECT *, epoch_ms(timestamp) AS ts, epoch_ms(received_at) AS rat, properties->>'$.nested.a[1]' AS second FROM waymark_events`,
    );
    expect(row).toMatchObject({
      id: event.id,
      name: 'post_viewed',
      anonymous_id: event.anonymousId,
      user_id: event.userId,
      page_route: '/posts/[slug]',
      country: 'PT',
      sample_rate: 1,
      traits: null,
      ts: BigInt(Date.parse(event.timestamp)),
      rat: BigInt(Date.parse('2025-05-01T12:00:05.123Z')),
      second: '2',
    });
    expect(JSON.parse(row.properties as string)).toEqual(event.properties);
    expect(JSON.parse(row.context as string)).toEqual(event.context);
  });

  it('stores a batch retried after a restart, and in-batch repeats, once', async () => {
    const path = join(dir, 'dupes.duckdb');
    const events = makeEvents(500);
    const first = duckdbSink({ path });
    await first.write(events);
    await first.close!();
    const second = duckdbSink({ path });
    expect((await second.write([...events.slice(0, 200), ...events.slice(0, 200), ...makeEvents(1, 900)])).written).toBe(401);
    await second.close!();
    expect(await readAll(path, 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids FROM waymark_events')).toEqual([{ n: 501, ids: 501 }]);
  });

  it('stores a retried batch once in a table without the primary key', async () => {
    const path = join(dir, 'nokey.duckdb');
    const events = makeEvents(300);
    const first = duckdbSink({ path, primaryKey: false });
    await first.write(events.slice(0, 200));
    await first.close!();
    // A sink that would have made the key finds the table without it and still skips stored ids.
    const second = duckdbSink({ path });
    await second.write([...events.slice(100, 300), ...events.slice(250, 300), ...makeEvents(1, 900)]);
    await second.close!();
    expect(await readAll(path, 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids FROM waymark_events')).toEqual([{ n: 301, ids: 301 }]);
    expect(await readAll(path, "SELECT count(*)::INT AS n FROM duckdb_constraints() WHERE table_name = 'waymark_events' AND constraint_type = 'PRIMARY KEY'")).toEqual([
      { n: 0 },
    ]);
  });

  it('fails an event whose timestamp is not a date and writes the rest', async () => {
    const sink = duckdbSink();
    const bad = makeEvent(1, { timestamp: 'yesterday' });
    const result = await sink.write([makeEvent(0), bad, makeEvent(2)]);
    expect(result.written).toBe(2);
    expect(result.failed).toEqual([{ event: bad, reason: '[waymark] duckdbSink: timestamp "yesterday" is not an ISO 8601 date' }]);
    await sink.close!();
  });

  it('erases a subject and shares a connection the caller owns', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const sink = duckdbSink({ connection, table: 'events' });
    const events = makeEvents(60);
    await sink.write(events);
    const expected = events.filter((e) => e.userId === 'user-3' || e.anonymousId === 'anon-5').length;
    expect(await sink.erase!({ userId: 'user-3' })).toEqual({ deleted: events.filter((e) => e.userId === 'user-3').length });
    await sink.erase!({ anonymousId: 'anon-5' });
    await sink.close!();
    const left = (await connection.runAndReadAll('SELECT user_id, anonymous_id FROM events')).getRowObjectsJS();
    expect(left).toHaveLength(60 - expected);
    expect(left.some((r) => r.user_id === 'user-3' || r.anonymous_id === 'anon-5')).toBe(false);
    connection.closeSync();
    instance.closeSync();
  });

  it('names the conflicting options', () => {
    expect(() => duckdbSink({ path: 'a.duckdb', connection: {} as never })).toThrow(
      '[waymark] duckdbSink: option `path` cannot be combined with `instance` or `connection`',
    );
  });
});
