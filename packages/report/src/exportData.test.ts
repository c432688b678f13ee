import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SinkEvent } from '@waymark/sinks';
import { clickhouseSink } from '@waymark/sinks/clickhouse';
import { duckdbSink } from '@waymark/sinks/duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseEngine } from './clickhouseEngine';
import type { ClickhouseEngine } from './clickhouseEngine';
import { duckdbEngine } from './duckdbEngine';
import type { DuckdbEngine } from './duckdbEngine';
import { exportData } from './exportData';
import { refreshRollups } from './refreshRollups';

const url = process.env.WAYMARK_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const up = await fetch(`${url}/ping`).then(
  (r) => r.ok,
  () => false,
);
if (!up) console.warn(`[waymark] exportData ClickHouse tests skipped: no ClickHouse at ${url} (set WAYMARK_CLICKHOUSE_URL or start it as in .ci/run)`);

const dir = mkdtempSync(join(tmpdir(), 'waymark-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 24 events over 2026-10-01..03: posts by two authors (one with a quote in its id), a late event, a sampled one. */
function events(): SinkEvent[] {
  const out: SinkEvent[] = [];
  for (let i = 0; i < 24; i++) {
    const author = i % 3 === 0 ? "o'brien" : 'a1';
    const at = Date.UTC(2026, 9, 1) + i * 3 * 3_600_000 + 123;
    out.push({
      id: `x-${String(i).padStart(3, '0')}`,
      type: i % 4 === 0 ? 'page' : 'track',
      name: i % 4 === 0 ? 'page_viewed' : 'engaged_time_reported',
      properties: i % 4 === 0 ? { postId: `p${i % 3}`, authorId: author, template: 'guide', themes: ['food'] } : { postId: `p${i % 3}`, authorId: author, engagedMs: 1000 * i, final: true },
      timestamp: new Date(at).toISOString(),
      ...(i === 5 ? {} : { receivedAt: new Date(at + (i === 7 ? 86_400_000 : 1500)).toISOString() }),
      anonymousId: `r${i % 5}`,
      ...(i % 6 === 0 ? { userId: `u${i}` } : {}),
      sessionId: `s${i % 7}`,
      schema: 'travel@1',
      context: {
        page: { url: `https://blog.example/posts/${i % 3}`, path: `/posts/${i % 3}`, route: '/posts/[slug]' },
        screen: 'mobile',
        consent: { analytics: true, storage: true, marketing: false, gpc: false },
        sampleRate: i === 9 ? 0.25 : 1,
        library: { name: '@waymark/core', version: '0.1.0' },
        server: { siteId: 'blog', visitorId: 'v', device: 'mobile', clockSkewMs: 0 },
      } as SinkEvent['context'],
      ...(i % 2 === 0 ? { country: 'PT' } : {}),
    });
  }
  return out;
}

const readNdjson = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('exportData on DuckDB', () => {
  let engine: DuckdbEngine;
  beforeAll(async () => {
    engine = await duckdbEngine();
    expect((await duckdbSink({ connection: engine.connection }).write(events())).failed).toEqual([]);
    await refreshRollups(engine);
  });
  afterAll(() => engine?.close());

  for (const table of ['facts', 'daily', 'events'] as const) {
    it(`writes ${table} to Parquet that reads back with the same rows`, async () => {
      const out = join(dir, `${table}.parquet`);
      const result = await exportData(engine, { table, format: 'parquet', out });
      const source = table === 'events' ? 'waymark_events' : `waymark_${table}`;
      const expected = await engine.query(`SELECT * FROM ${source} ORDER BY ALL`);
      expect(result).toEqual({ rows: expected.length, path: out });
      expect(expected.length).toBeGreaterThan(0);
      expect(await engine.query(`SELECT * FROM read_parquet('${out}') ORDER BY ALL`)).toEqual(expected);
      const types = await engine.query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${out}'))`);
      const sourceTypes = await engine.query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${source})`);
      expect(types).toEqual(sourceTypes);
    });
  }

  it('limits rows to the period and to one author', async () => {
    const out = join(dir, 'scoped.parquet');
    const result = await exportData(engine, { table: 'facts', format: 'parquet', out, from: '2026-10-02', to: '2026-10-02', scope: { authorId: "o'brien" } });
    const rows = await engine.query(`SELECT id, day, author_id FROM read_parquet('${out}') ORDER BY id`);
    // Events 8..15 happen on 2026-10-02; those with i % 3 = 0 are by o'brien: 9, 12, 15.
    expect(rows).toEqual(['x-009', 'x-012', 'x-015'].map((id) => ({ id, day: '2026-10-02', author_id: "o'brien" })));
    expect(result.rows).toBe(3);
    const events = await exportData(engine, { table: 'events', format: 'ndjson', out: join(dir, 'scoped-events.ndjson'), to: '2026-10-01', scope: { authorId: 'a1' } });
    expect(readNdjson(events.path).map((r) => r.id)).toEqual(['x-001', 'x-002', 'x-004', 'x-005', 'x-007']);
  });

  it('writes events as NDJSON with ISO times and nested JSON', async () => {
    const out = join(dir, 'events.ndjson');
    const result = await exportData(engine, { table: 'events', format: 'ndjson', out });
    const rows = readNdjson(out);
    expect(result.rows).toBe(24);
    expect(rows).toHaveLength(24);
    expect(rows[0]).toMatchObject({
      id: 'x-000',
      timestamp: '2026-10-01T00:00:00.123Z',
      received_at: '2026-10-01T00:00:01.623Z',
      properties: { postId: 'p0', authorId: "o'brien", template: 'guide', themes: ['food'] },
      traits: null,
      user_id: 'u0',
      sample_rate: 1,
    });
    expect((rows[0].context as { server: unknown }).server).toEqual({ siteId: 'blog', visitorId: 'v', device: 'mobile', clockSkewMs: 0 });
    expect(rows[5]).toMatchObject({ id: 'x-005', received_at: null, country: null });
  });

  it('rejects bad options before writing anything', async () => {
    const out = join(dir, 'never.parquet');
    await expect(exportData(engine, { table: 'facts', format: 'parquet', out, from: '2026-13-01' })).rejects.toThrow(/`from` must be a day such as '2026-10-01', got "2026-13-01"/);
    await expect(exportData(engine, { table: 'facts', format: 'parquet', out, from: '2026-10-03', to: '2026-10-01' })).rejects.toThrow(/`from` \(2026-10-03\) is after `to`/);
    await expect(exportData(engine, { table: 'posts' as 'facts', format: 'parquet', out })).rejects.toThrow(/`table` must be/);
    await expect(exportData(engine, { table: 'facts', format: 'csv' as 'ndjson', out })).rejects.toThrow(/`format` must be/);
    expect(existsSync(out)).toBe(false);
  });

  it('leaves no file behind when the folder does not exist', async () => {
    const out = join(dir, 'missing', 'facts.parquet');
    await expect(exportData(engine, { table: 'facts', format: 'parquet', out })).rejects.toThrow(/^\[waymark\] exportData: cannot write .*missing/);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('says to refresh first when the derived tables are missing', async () => {
    const empty = await duckdbEngine();
    try {
      await expect(exportData(empty, { table: 'daily', format: 'ndjson', out: join(dir, 'none.ndjson') })).rejects.toThrow(/run refreshRollups first/);
    } finally {
      await empty.close();
    }
  });
});

describe.skipIf(!up)('exportData on ClickHouse 18.16 (real server)', { timeout: 60_000 }, () => {
  const database = `waymark_export_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  let house: ClickhouseEngine;
  let duck: DuckdbEngine;
  beforeAll(async () => {
    await clickhouseEngine({ url }).run(`CREATE DATABASE ${database}`);
    house = clickhouseEngine({ url, database });
    duck = await duckdbEngine();
    expect((await clickhouseSink({ url, database }).write(events())).failed).toEqual([]);
    expect((await duckdbSink({ connection: duck.connection }).write(events())).failed).toEqual([]);
    await refreshRollups(house);
    await refreshRollups(duck);
  });
  afterAll(async () => {
    await duck?.close();
    await clickhouseEngine({ url }).run(`DROP DATABASE IF EXISTS ${database}`);
  });

  it('refuses Parquet with a clear error', async () => {
    await expect(exportData(house, { table: 'facts', format: 'parquet', out: join(dir, 'ch.parquet') })).rejects.toThrow(
      "[waymark] exportData: ClickHouse cannot write Parquet (18.16 has no Parquet output format): use format 'ndjson', or export from DuckDB",
    );
  });

  for (const table of ['facts', 'daily', 'events'] as const) {
    it(`writes ${table} as the same NDJSON as DuckDB`, async () => {
      const options = { table, format: 'ndjson' as const, from: '2026-10-01', to: '2026-10-02', scope: { authorId: 'a1' } };
      const fromHouse = await exportData(house, { ...options, out: join(dir, `ch-${table}.ndjson`) });
      const fromDuck = await exportData(duck, { ...options, out: join(dir, `duck-${table}.ndjson`) });
      expect(fromHouse.rows).toBe(fromDuck.rows);
      expect(fromHouse.rows).toBeGreaterThan(0);
      const houseRows = readNdjson(fromHouse.path);
      const duckRows = readNdjson(fromDuck.path);
      if (table === 'events') {
        // ClickHouse stores the receipt time in whole seconds.
        for (const row of duckRows) row.received_at = row.received_at === null ? null : new Date(Math.floor(Date.parse(row.received_at as string) / 1000) * 1000).toISOString();
      }
      expect(houseRows).toEqual(duckRows);
    });
  }
});
